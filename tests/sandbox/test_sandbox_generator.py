"""The library generator: determinism, realism, the awkward cases, and the loader round trip."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from sandbox.generator import DEMO_LIKED, DEMO_PLAYLISTS, demo_library, generate_library
from sandbox.library import Library

from tests.sandbox.helpers import control

BASE62_ID = re.compile(r"^[0-9A-Za-z]{22}$")


@pytest.fixture(scope="module")
def library() -> Library:
    return generate_library(seed=11, users=3, liked=3000, playlists=6)


def test_same_seed_same_library_other_seed_other_library():
    first = generate_library(seed=4, users=2, liked=300, playlists=4)
    again = generate_library(seed=4, users=2, liked=300, playlists=4)
    other = generate_library(seed=5, users=2, liked=300, playlists=4)
    assert first.model_dump_json() == again.model_dump_json()
    assert first.model_dump_json() != other.model_dump_json()


def test_a_generated_library_survives_json_save_and_load(library, tmp_path):
    path = tmp_path / "library.json"
    path.write_text(json.dumps(library.model_dump(mode="json")))
    assert Library.model_validate_json(path.read_text()) == library


def test_the_sandbox_returns_the_library_it_was_given(sandboxes, library):
    running = sandboxes.start(generate_library(seed=1, liked=10, playlists=1))
    posted = library.model_dump(mode="json")
    control(running, "POST", "library", posted)
    assert control(running, "GET", "library").json() == posted


def test_catalog_looks_real(library):
    assert all(BASE62_ID.match(x.id) for x in [*library.tracks, *library.albums, *library.artists, *library.playlists])
    assert len({a.name for a in library.artists}) == len(library.artists)
    assert all(a.genres for a in library.artists)
    albums = {a.id: a for a in library.albums}
    assert {a.album_type for a in library.albums} == {"album", "single", "compilation"}
    assert {a.release_date_precision for a in library.albums} == {"year", "month", "day"}
    for album in library.albums:
        pattern = {"year": r"^\d{4}$", "month": r"^\d{4}-\d\d$", "day": r"^\d{4}-\d\d-\d\d$"}[album.release_date_precision]
        assert re.match(pattern, album.release_date)
    decades = {albums[t.album_id].release_date[:3] for t in library.tracks}
    assert {"196", "197", "198", "199", "200", "201", "202"} <= decades
    with_isrc = [t for t in library.tracks if t.isrc]
    assert 0.9 < len(with_isrc) / len(library.tracks) < 1
    assert all(re.match(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$", t.isrc) for t in with_isrc)
    assert len({t.isrc for t in with_isrc}) < len(with_isrc)  # compilations reuse recordings
    assert any(not t.is_playable for t in library.tracks)
    assert any(len(t.artist_ids) > 1 for t in library.tracks)


def test_liked_songs_spread_over_years_after_release(library):
    albums = {a.id: a for a in library.albums}
    tracks = {t.id: t for t in library.tracks}
    for user in ("alice", "bob", "carol"):
        saved = library.liked[user]
        assert len(saved) == 3000 and len({s.track_id for s in saved}) == 3000
        assert len({s.added_at[:4] for s in saved}) >= 8
        assert all(s.added_at[:4] >= albums[tracks[s.track_id].album_id].release_date[:4] for s in saved)


def test_playlists_owned_collaborative_followed_with_every_awkward_kind(library):
    playlists = library.playlists
    users = {u.id for u in library.users}
    assert any(p.collaborative and p.collaborators for p in playlists)
    assert any(p.followers and p.owner in users for p in playlists)
    track_sets = [{i.track_id for i in p.items if i.track_id} for p in playlists if p.items]
    assert any(a & b for n, a in enumerate(track_sets) for b in track_sets[n + 1:])  # overlap
    for first in (p for p in playlists if p.items and not p.collaborative and not p.followers):
        kinds = Counter("local" if i.local else "episode" if i.episode_id else "gone" if i.unavailable else "track" for i in first.items)
        assert kinds["local"] and kinds["episode"] and kinds["gone"] and kinds["track"]
        assert any(i.added_at is None for i in first.items)
        ids = [i.track_id for i in first.items if i.track_id]
        assert len(ids) > len(set(ids))
        break
    else:
        pytest.fail("no owned playlist with items")


def test_several_thousand_items_when_asked():
    library = generate_library(seed=3, liked=2000, playlists=2, big_playlist=4000)
    assert max(len(p.items) for p in library.playlists) >= 4000


def test_enrichment_has_realistic_gaps(library):
    enrichment = library.enrichment
    isrcs = {t.isrc for t in library.tracks if t.isrc}
    deezer = {d.isrc: d for d in enrichment.deezer}
    assert set(deezer) <= isrcs and 0.78 < len(deezer) / len(isrcs) < 0.92
    assert any(d.bpm == 0 for d in deezer.values()) and any(d.bpm > 200 for d in deezer.values())
    names = {a.id: a.name for a in library.artists}
    pairs = {(names[t.artist_ids[0]], t.name) for t in library.tracks}
    assert 0.7 < len(enrichment.lastfm_tracks) / len(pairs) < 0.9
    assert 0.85 < len(enrichment.lastfm_artists) / len(library.artists) < 0.95
    tags = Counter(tag for t in enrichment.lastfm_tracks for tag in t.tags)
    assert len(tags) > 40 and all(t.listeners > 0 for t in enrichment.lastfm_tracks)
    no_isrc = [t for t in library.tracks if not t.isrc]
    by_title = {(m.artist, m.title) for m in enrichment.musicbrainz if m.isrc is None}
    assert no_isrc and len(by_title) / len(no_isrc) > 0.6
    assert any(m.isrc for m in enrichment.musicbrainz) and any(m.genres for m in enrichment.musicbrainz)


def test_the_demo_library():
    demo = demo_library()
    assert demo == demo_library()
    assert [u.id for u in demo.users][:2] == ["demo", "friend"]
    assert len(demo.liked["demo"]) == DEMO_LIKED
    albums = {a.id: a for a in demo.albums}
    tracks = {t.id: t for t in demo.tracks}
    liked = [tracks[s.track_id] for s in demo.liked["demo"]]
    assert {albums[t.album_id].release_date[:3] for t in liked} >= {"196", "197", "198", "199", "200", "201", "202"}
    genres = {g for t in liked for a in demo.artists if a.id == t.artist_ids[0] for g in a.genres[:1]}
    assert len(genres) >= 12
    bpm = {d.isrc: d.bpm for d in demo.enrichment.deezer}
    assert sum(1 for t in liked if 160 <= bpm.get(t.isrc, 0) <= 180) >= 10
    mine = [p for p in demo.playlists if "demo" in (p.owner, *p.collaborators, *p.followers)]
    assert DEMO_PLAYLISTS < len(mine) <= 12  # their own, and others' they collaborate on or follow
    assert sum(p.owner == "demo" for p in mine) >= 3
    assert any(p.collaborative for p in mine) and any("demo" in p.followers for p in mine)
