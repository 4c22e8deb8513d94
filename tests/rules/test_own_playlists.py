"""mixtape's own playlists (the user's playlists carrying the user's marker) are not part of the user's
library: a pushed track that left every real source leaves the child playlist too, and a push does not
move a track's `added_at` (the default order)."""

from __future__ import annotations

import polars as pl

from assets.playlists.push import marker_of
from assets.playlists.tracklists import read_features
from sandbox.generator import demo_library
from sandbox.library import Playlist, PlaylistItem
from tests.rules.demo_warehouse import demo_warehouse

PUSHED_AT = "2026-11-30T00:00:00Z"


def test_the_users_own_mixtape_playlists_feed_no_rule(tmp_path):
    library = demo_library()
    held = {s.track_id for s in library.liked["demo"]} | {
        i.track_id for p in library.playlists if "demo" in [p.owner, *p.collaborators, *p.followers] for i in p.items}
    outside, mine, friends = [t.id for t in library.tracks if t.id not in held][:3]
    liked = library.liked["demo"][0].track_id

    def playlist(id: str, name: str, owner: str, description: str, tracks: list[str], added_at: str | None = PUSHED_AT,
                 **kwargs) -> Playlist:
        items = [PlaylistItem(track_id=t, added_at=added_at, added_by=owner) for t in tracks]
        return Playlist(id=id, name=name, owner=owner, description=description, items=items, **kwargs)

    library.playlists += [
        # pushed by mixtape for demo: an old pick no longer liked nor anywhere else, and a liked track
        playlist("0MixtapeNineties0000000", "Nineties", "demo", f"Built by mixtape {marker_of('demo', 'Nineties')}",
                 [outside, liked, mine]),
        # Spotify has no date for items added long ago: the push's date must not become theirs
        playlist("0HandMade00000000000000", "Hand made", "demo", "my own list", [mine], added_at=None),
        # a friend's mixtape playlist demo collaborates on is a playlist like any other to demo
        playlist("0FriendsMix000000000000", "Friend's mix", "friend", f"{marker_of('friend', 'Mix')}", [friends],
                 collaborative=True, collaborators=["demo"]),
    ]
    warehouse, _ = demo_warehouse(tmp_path, library, ["demo"])

    features = read_features(warehouse, "demo")
    ids = set(features["track_id"])
    assert outside not in ids  # in mixtape's own playlist only: not the user's
    assert {mine, friends} <= ids
    row = features.filter(pl.col("track_id") == liked).row(0, named=True)
    assert "Nineties" not in row["playlist_names"]
    row = features.filter(pl.col("track_id") == mine).row(0, named=True)
    assert (row["playlist_names"], row["added_at"]) == (["Hand made"], None)
