"""Seed 002's sync as a baseline client: what a peer without a cache or a planner asks Spotify for.

Every sync, for one base collection: read all its tracks (50 a page), fetch their details in batches
(tracks 50, artists 50, albums 20 a request: the extended-access endpoints), build the filterable
tracks, apply each child playlist's filter, then wipe and replace each child playlist (clear it, add
the matching tracks 100 a request). Nothing is kept between syncs but the child playlists' ids. A thin
client over HTTP with its own request counter; the counts that matter are the sandbox's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

PAGE = 50
BATCHES = {"tracks": 50, "artists": 50, "albums": 20}
ADD = 100


@dataclass(frozen=True)
class FilterableTrack:
    """Seed 002's filterable structure, the fields its filters read."""

    track_id: str
    uri: str
    duration_ms: int
    popularity: int | None
    explicit: bool
    release_year: int | None
    genres: tuple[str, ...]
    artist_popularity: int | None


Filter = Callable[[FilterableTrack], bool]


def chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def release_year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None


def filterable(track: dict, albums: dict[str, dict], artists: dict[str, dict]) -> FilterableTrack:
    album = albums.get(track["album"]["id"], track["album"])
    found = [artists[a["id"]] for a in track["artists"] if a.get("id") in artists]
    return FilterableTrack(
        track_id=track["id"], uri=track["uri"], duration_ms=track["duration_ms"], popularity=track.get("popularity"),
        explicit=bool(track.get("explicit")), release_year=release_year(album.get("release_date")),
        genres=tuple(g for a in found for g in a.get("genres", [])),
        artist_popularity=found[0].get("popularity") if found else None,
    )


class PeerSync:
    """The peer's Spotify client and its sync of Liked Songs into child playlists."""

    def __init__(self, api_base: str, access_token: str):
        self.api = f"{api_base}/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"
        self.child_ids: dict[str, str] = {}  # the peer's database: which Spotify playlist is which child
        self.requests = 0

    def call(self, method: str, path: str, **kwargs) -> dict:
        self.requests += 1
        response = self.session.request(method, f"{self.api}{path}", timeout=30, **kwargs)
        response.raise_for_status()  # seed 002's MVP: fail fast, the user retries the whole sync
        return response.json() if response.content else {}

    def base_tracks(self) -> list[dict]:
        """Step 1: every track of the base collection, a page at a time."""
        tracks, offset, total = [], 0, 1
        while offset < total:
            page = self.call("GET", "/me/tracks", params={"limit": PAGE, "offset": offset})
            tracks += [item["track"] for item in page["items"] if item.get("track")]
            offset, total = offset + PAGE, page["total"]
        return tracks

    def several(self, kind: str, ids: list[str]) -> dict[str, dict]:
        """Step 2: full objects by id, in the endpoint's batches."""
        found = {}
        for batch in chunks(sorted(set(ids)), BATCHES[kind]):
            found |= {o["id"]: o for o in self.call("GET", f"/{kind}", params={"ids": ",".join(batch)})[kind] if o}
        return found

    def filterable_tracks(self) -> list[FilterableTrack]:
        """Steps 1 to 3: the base's tracks with their track, album and artist details."""
        base = self.base_tracks()
        tracks = self.several("tracks", [t["id"] for t in base])
        albums = self.several("albums", [t["album"]["id"] for t in tracks.values()])
        artists = self.several("artists", [a["id"] for t in tracks.values() for a in t["artists"] if a.get("id")])
        return [filterable(tracks[t["id"]], albums, artists) for t in base if t["id"] in tracks]

    def child_playlist(self, name: str) -> str:
        if name not in self.child_ids:  # created once by the user in the peer's app
            self.child_ids[name] = self.call("POST", "/me/playlists", json={"name": name})["id"]
        return self.child_ids[name]

    def wipe_and_replace(self, name: str, uris: list[str]) -> None:
        """Step 5: clear the child playlist, then add the matching tracks."""
        playlist = self.child_playlist(name)
        self.call("PUT", f"/playlists/{playlist}/tracks", json={"uris": []})
        for batch in chunks(uris, ADD):
            self.call("POST", f"/playlists/{playlist}/tracks", json={"uris": batch})

    def sync(self, children: dict[str, Filter]) -> dict[str, int]:
        """One sync of every child playlist; returns how many tracks each got."""
        tracks = self.filterable_tracks()
        sizes = {}
        for name, keep in children.items():  # step 4, then 5
            uris = [t.uri for t in tracks if keep(t)]
            self.wipe_and_replace(name, uris)
            sizes[name] = len(uris)
        return sizes
