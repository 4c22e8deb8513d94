"""The contract schemas (tests/sandbox/contract) are strict where mixtape relies on a field: the
sandbox's own answers pass, and each way of breaking what mixtape reads fails."""

from __future__ import annotations

import copy

import pytest
import spotipy
from jsonschema.exceptions import ValidationError

from sandbox import start_sandbox
from sandbox.generator import demo_library
from tests.sandbox.helpers import all_items, call, owned

# What mixtape reads from each object; losing any of these must fail the contract.
READ_BY_MIXTAPE = {
    "track": ["id", "uri", "name", "duration_ms", "explicit", "external_ids", "artists", "album", "track_number",
              "disc_number", "is_local", "type"],
    "simplified_album": ["id", "name", "album_type", "release_date", "release_date_precision", "total_tracks", "artists"],
    "simplified_artist": ["id", "name"],
    "simplified_playlist": ["id", "name", "owner", "snapshot_id", "collaborative", "public", "description", "items"],
    "playlist_item": ["added_at", "added_by", "is_local", "item"],
    "saved_track": ["added_at", "track"],
    "user": ["id", "display_name"],
    "paging": ["href", "items", "limit", "next", "offset", "previous", "total"],
    "snapshot": ["snapshot_id"],
    "error": ["status", "message"],
}


@pytest.fixture(scope="module")
def sandboxes_module():
    with start_sandbox(demo_library()) as running:
        token = running.world.tokens.issue("demo", "client-a", "playlist-modify-private", running.world.clock.now())["access_token"]
        sp = spotipy.Spotify(auth=token, retries=0)
        sp.prefix = running.url + "/v1/"
        yield running, sp


@pytest.fixture(scope="module")
def samples(sandboxes_module):
    """One real sandbox answer of each kind (development mode, with a market so is_playable shows)."""
    running, sp = sandboxes_module
    saved = sp.current_user_saved_tracks(limit=2, market="SE")
    playlists = sp.current_user_playlists(limit=2)
    entries = all_items(sp, owned(running).id, market="SE")  # read before the write below
    kinds = {}
    for entry in entries:
        content = entry["item"]
        kind = "gone" if content is None else "local" if entry["is_local"] else content["type"]
        kinds.setdefault(kind, entry)
    track = saved["items"][0]["track"]
    snapshot = sp.playlist_add_items(owned(running).id, [track["uri"]])
    error = call(running, "GET", "/v1/tracks/0000000000000000000000", sp._auth).json()["error"]
    return {
        "track": track, "simplified_album": track["album"], "simplified_artist": track["artists"][0],
        "simplified_playlist": playlists["items"][0], "playlist_item": kinds["track"], "saved_track": saved["items"][0],
        "user": sp.me(), "paging": saved, "snapshot": snapshot, "error": error, "kinds": kinds,
    }


@pytest.mark.parametrize("name", sorted(READ_BY_MIXTAPE))
def test_the_sandboxs_answers_conform(samples, conforms, name):
    conforms(samples[name], name)


@pytest.mark.parametrize("name,key", [(name, key) for name, keys in READ_BY_MIXTAPE.items() for key in keys])
def test_every_field_mixtape_reads_is_required(samples, conforms, name, key):
    broken = copy.deepcopy(samples[name])
    del broken[key]
    with pytest.raises(ValidationError):
        conforms(broken, name)


def test_every_kind_of_playlist_item_conforms(samples, conforms):
    kinds = samples["kinds"]
    assert set(kinds) == {"track", "episode", "local", "gone"}
    for entry in kinds.values():
        conforms(entry, "playlist_item")
    assert kinds["gone"]["added_by"]["id"] == ""


def broken(sample: dict, path: str, value) -> dict:
    """A copy of `sample` with the value at a dotted path replaced."""
    out = copy.deepcopy(sample)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return out


@pytest.mark.parametrize("name,path,value", [
    ("track", "duration_ms", "long"),
    ("track", "id", None),  # only local files lack an id
    ("track", "id", "not-base62!"),
    ("track", "uri", "spotify:episode:0000000000000000000000"),
    ("track", "external_ids.isrc", "GB-AYE-06-01690"),
    ("track", "artists", []),
    ("track", "restrictions", {"reason": "because"}),
    ("simplified_album", "album_type", "mixtape"),
    ("simplified_album", "release_date_precision", "day"),  # with a release date that is not a day
    ("simplified_album", "total_tracks", 0),
    ("simplified_playlist", "snapshot_id", ""),
    ("simplified_playlist", "items", {"href": "http://x/items"}),
    ("simplified_playlist", "owner", {"display_name": "no id"}),
    ("saved_track", "added_at", "yesterday"),
    ("saved_track", "track", None),
    ("paging", "next", "page-2"),
    ("paging", "total", -1),
    ("user", "uri", "spotify:artist:x"),
    ("error", "status", 200),
    ("error", "detail", "keys mixtape does not know"),
    ("snapshot", "version", 2),
])
def test_wrong_values_fail(samples, conforms, name, path, value):
    sample = samples[name]
    if path == "release_date_precision":
        sample = broken(sample, "release_date", "1969")
    with pytest.raises(ValidationError):
        conforms(broken(sample, path, value), name)


def test_entry_kinds_cannot_be_mixed_up(samples, conforms):
    kinds = samples["kinds"]
    local_claims_catalog = broken(kinds["track"], "is_local", True)
    catalog_claims_local = broken(kinds["local"], "is_local", False)
    saved_with_item_key = {"added_at": samples["saved_track"]["added_at"], "item": samples["track"]}
    for bad, name in [(local_claims_catalog, "playlist_item"), (catalog_claims_local, "playlist_item"),
                      (saved_with_item_key, "saved_track"), (broken(kinds["episode"], "item.show", None), "playlist_item")]:
        with pytest.raises(ValidationError):
            conforms(bad, name)
    conforms(broken(kinds["track"], "added_at", None), "playlist_item")  # very old playlists: allowed


def test_the_contract_is_the_projects_own_file(contract):
    assert contract["$schema"].endswith("/2020-12/schema")
    assert set(READ_BY_MIXTAPE) <= set(contract["$defs"])
