"""Listening in the sandbox: made-up plays, recently-played (the last 50, cursors), Last.fm's
user.getRecentTracks and the Extended Streaming History export."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import requests
from spotipy.exceptions import SpotifyException

from sandbox.generator import generate_library
from sandbox.plays import EXPORT_DAYS, KEPT, epoch_ms, export_rows, listening, sandbox_ip, write_export

START = datetime(2026, 11, 2)


def library_with_plays(days: int = 2, start: datetime = START):
    library = generate_library(seed=5, users=["demo", "friend"], liked=80, playlists=2, big_playlist=20)
    library.plays = {"demo": listening(library, "demo", start, start + timedelta(days=days))}
    return library


def at(running, when: datetime) -> None:
    """Move the sandbox clock to `when` (naive UTC)."""
    running.world.clock.advance(when.replace(tzinfo=UTC).timestamp() - running.world.clock.now())


def test_a_days_plays_are_the_same_whatever_span_asks_for_them():
    library = library_with_plays()
    whole = listening(library, "demo", START, START + timedelta(days=3))
    parts = listening(library, "demo", START, START + timedelta(days=1, hours=13)) + \
        listening(library, "demo", START + timedelta(days=1, hours=13), START + timedelta(days=3))
    assert whole == parts
    assert len(whole) > 30
    assert [p.played_at for p in whole] == sorted(p.played_at for p in whole)
    assert whole != listening(library, "friend", START, START + timedelta(days=3))


def test_recently_played_keeps_the_last_50_newest_first_and_follows_the_clock(sandboxes):
    library = library_with_plays(days=3)
    running = sandboxes.start(library)
    sp = sandboxes.client(running)
    plays = library.plays["demo"]
    at(running, START + timedelta(days=2))
    ended = [p for p in plays if epoch_ms(p.played_at) <= epoch_ms(running_now(running))]
    page = sp.current_user_recently_played(limit=50)
    assert [epoch_ms(i["played_at"]) for i in page["items"]] == [epoch_ms(p.played_at) for p in ended[-KEPT:]][::-1]
    assert page["items"][0]["track"]["id"] == ended[-1].track_id
    assert page["cursors"]["after"] == str(epoch_ms(ended[-1].played_at))
    assert len(ended) > KEPT

    older = sp.current_user_recently_played(limit=50, before=int(page["cursors"]["after"]))
    assert len(older["items"]) == min(KEPT, len(ended)) - 1  # only the last 50 are kept

    cursor = int(page["cursors"]["after"])
    assert sp.current_user_recently_played(limit=50, after=cursor)["items"] == []
    at(running, START + timedelta(days=2, hours=23, minutes=59))
    newer = sp.current_user_recently_played(limit=50, after=cursor)["items"]
    later = [p for p in plays if cursor < epoch_ms(p.played_at) <= epoch_ms(running_now(running))]
    assert [epoch_ms(i["played_at"]) for i in newer] == [epoch_ms(p.played_at) for p in later[-KEPT:]][::-1]


def running_now(running) -> str:
    return datetime.fromtimestamp(running.world.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize("params", [{"limit": 51}, {"after": 1, "before": 2}, {"limit": 0}])
def test_recently_played_refuses_what_spotify_refuses(sandboxes, params):
    running = sandboxes.start(library_with_plays())
    with pytest.raises(SpotifyException) as raised:
        sandboxes.client(running)._get("me/player/recently-played", **params)
    assert raised.value.http_status == 400


def lastfm(running, **params) -> dict:
    query = {"method": "user.getRecentTracks", "api_key": "k", "format": "json", **params}
    return requests.get(f"{running.url}/lastfm/2.0/", params=query, timeout=10).json()


def test_recent_tracks_are_the_scrobbled_plays_stamped_at_their_start_newest_first(sandboxes):
    library = library_with_plays()
    running = sandboxes.start(library)
    at(running, START + timedelta(days=2))
    durations = {t.id: t.duration_ms for t in library.tracks}
    scrobbled = [p for p in library.plays["demo"] if p.ms_played >= 30_000 and 2 * p.ms_played >= durations[p.track_id]]
    starts = [(epoch_ms(p.played_at) - p.ms_played) // 1000 for p in scrobbled][::-1]
    body = lastfm(running, user="demo", limit=200)["recenttracks"]
    assert body["@attr"]["total"] == str(len(scrobbled))
    assert [int(t["date"]["uts"]) for t in body["track"]] == starts[:200]
    assert 0 < len(scrobbled) < len(library.plays["demo"])  # skips are not scrobbled

    since = starts[9]
    recent = lastfm(running, user="demo", limit=3, page=2, **{"from": since})["recenttracks"]
    assert recent["@attr"] == {"user": "demo", "totalPages": "4", "page": "2", "perPage": "3", "total": "10"}
    assert [int(t["date"]["uts"]) for t in recent["track"]] == starts[3:6]
    single = lastfm(running, user="demo", **{"from": starts[0]})["recenttracks"]["track"]
    assert isinstance(single, dict) and single["artist"]["#text"] and single["name"]  # a list of one is an object
    assert lastfm(running, user="nobody")["error"] == 6


def test_the_export_lists_every_play_with_the_real_field_names(tmp_path):
    library = library_with_plays(days=3)
    rows = export_rows(library, "demo")
    assert len(rows) == len(library.plays["demo"])
    first = rows[0]
    assert {"ts", "ms_played", "spotify_track_uri", "master_metadata_track_name", "master_metadata_album_artist_name",
            "master_metadata_album_album_name", "reason_start", "reason_end", "shuffle", "skipped", "offline",
            "ip_addr", "user_agent_decrypted", "platform", "conn_country"} <= set(first)
    assert first["ts"] == library.plays["demo"][0].played_at[:19] + "Z"
    assert first["ip_addr"] == sandbox_ip("demo")

    files = write_export(library, "demo", tmp_path / "files", per_file=50)
    assert [f.name for f in files][:2] == ["Streaming_History_Audio_2026_0.json", "Streaming_History_Audio_2026_1.json"]
    assert sum(len(json.loads(f.read_text())) for f in files) == len(rows)
    [archive] = write_export(library, "demo", tmp_path / "zip", as_zip=True)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
    assert names == ["Spotify Extended Streaming History/Streaming_History_Audio_2026_0.json"]


def test_generate_writes_each_users_export_of_the_librarys_plays(tmp_path):
    from tests.sandbox.test_sandbox_cli import mixtape

    out, exports = tmp_path / "lib.json", tmp_path / "exports"
    process = mixtape("sandbox", "generate", "--seed", "2", "--users", "2", "--liked", "30", "--playlists", "1",
                      "--out", str(out), "--export-dir", str(exports))
    assert process.wait(timeout=60) == 0, process.stderr.read()
    library = generate_library(2, 2, 30, 1)
    assert set(library.plays) == {"alice", "bob"} and all(library.plays.values())
    for user, plays in library.plays.items():
        rows = [row for f in sorted((exports / user).glob("Streaming_History_Audio_*.json")) for row in json.loads(f.read_text())]
        shown = [(p.played_at[:19] + "Z", f"spotify:track:{p.track_id}") for p in plays]
        # the plays the services show, after a year of listening before them, as a whole export holds it
        assert [(r["ts"], r["spotify_track_uri"]) for r in rows][-len(shown):] == shown
        earlier = rows[:-len(shown)]
        first_day = datetime.fromisoformat(plays[0].played_at[:10])
        assert earlier and all(r["ts"] < shown[0][0] for r in earlier)
        assert datetime.fromisoformat(earlier[0]["ts"][:10]) >= first_day - timedelta(days=EXPORT_DAYS)
