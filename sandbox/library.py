"""The sandbox library as pydantic models: users, catalog, liked songs, playlists and enrichment data.

Its JSON form is what `mixtape sandbox generate` writes and `mixtape sandbox serve --library` reads;
unknown keys are rejected and every id a playlist or liked song names must resolve.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Model):
    id: str
    display_name: str | None = None


class Artist(_Model):
    id: str
    name: str
    genres: list[str] = []
    popularity: int | None = None
    followers: int | None = None


class Album(_Model):
    id: str
    name: str
    album_type: str = "album"
    release_date: str
    release_date_precision: str = "day"
    artist_ids: list[str]
    label: str | None = None
    total_tracks: int = 1
    popularity: int | None = None


class Track(_Model):
    id: str
    name: str
    album_id: str
    artist_ids: list[str]
    duration_ms: int
    explicit: bool = False
    isrc: str | None = None
    track_number: int = 1
    disc_number: int = 1
    popularity: int | None = None
    is_playable: bool = True


class Episode(_Model):
    id: str
    name: str
    duration_ms: int
    show_name: str


class Liked(_Model):
    track_id: str
    added_at: str


class Play(_Model):
    """One play: `played_at` is when it ended, as Spotify's recently-played and export stamp it."""

    track_id: str
    played_at: str
    ms_played: int
    context: dict | None = None


class LocalFile(_Model):
    name: str
    artist: str
    album: str
    duration_ms: int


class PlaylistItem(_Model):
    track_id: str | None = None
    episode_id: str | None = None
    local: LocalFile | None = None
    unavailable: bool = False
    added_at: str | None = None
    added_by: str | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "PlaylistItem":
        kinds = [self.track_id is not None, self.episode_id is not None, self.local is not None, self.unavailable]
        if sum(kinds) != 1:
            raise ValueError("a playlist item is exactly one of track_id, episode_id, local, unavailable")
        return self


class Playlist(_Model):
    id: str
    name: str
    owner: str
    collaborative: bool = False
    public: bool = False
    description: str = ""
    collaborators: list[str] = []
    followers: list[str] = []
    items: list[PlaylistItem] = []


class DeezerEntry(_Model):
    isrc: str
    id: int
    bpm: float = 0
    gain: float | None = None
    rank: int | None = None
    release_date: str | None = None


class LastfmTrack(_Model):
    artist: str
    track: str
    listeners: int = 0
    playcount: int = 0
    tags: list[str] = []
    corrections: list[str] = []  # track names Last.fm's autocorrect leads here (e.g. "X - Remastered 2011")


class LastfmArtist(_Model):
    artist: str
    listeners: int = 0
    playcount: int = 0
    tags: list[str] = []
    corrections: list[str] = []  # artist names Last.fm's autocorrect leads here (e.g. "Beatles")


class MusicbrainzEntry(_Model):
    isrc: str | None = None
    recording_id: str
    title: str
    artist: str
    length_ms: int | None = None
    genres: list[str] = []


class Enrichment(_Model):
    deezer: list[DeezerEntry] = []
    lastfm_tracks: list[LastfmTrack] = []
    lastfm_artists: list[LastfmArtist] = []
    musicbrainz: list[MusicbrainzEntry] = []


class Library(_Model):
    profile: str = "devmode"
    users: list[User] = []
    artists: list[Artist] = []
    albums: list[Album] = []
    tracks: list[Track] = []
    episodes: list[Episode] = []
    liked: dict[str, list[Liked]] = {}
    playlists: list[Playlist] = []
    enrichment: Enrichment = Enrichment()
    plays: dict[str, list[Play]] = {}

    @model_validator(mode="after")
    def _references_resolve(self) -> "Library":
        artists = {a.id for a in self.artists}
        albums = {a.id for a in self.albums}
        tracks = {t.id for t in self.tracks}
        episodes = {e.id for e in self.episodes}
        users = {u.id for u in self.users}
        problems = [f"album {a.id}: unknown artist {x}" for a in self.albums for x in a.artist_ids if x not in artists]
        problems += [f"track {t.id}: unknown album {t.album_id}" for t in self.tracks if t.album_id not in albums]
        problems += [f"track {t.id}: unknown artist {x}" for t in self.tracks for x in t.artist_ids if x not in artists]
        problems += [f"liked[{u}]: unknown user" for u in self.liked if u not in users]
        problems += [f"liked[{u}]: unknown track {s.track_id}" for u, ss in self.liked.items() for s in ss if s.track_id not in tracks]
        problems += [f"plays[{u}]: unknown user" for u in self.plays if u not in users]
        problems += [f"plays[{u}]: unknown track {p.track_id}" for u, ps in self.plays.items() for p in ps if p.track_id not in tracks]
        for p in self.playlists:
            problems += [f"playlist {p.id}: unknown user {x}" for x in [p.owner, *p.collaborators, *p.followers] if x not in users]
            problems += [f"playlist {p.id}: unknown track {i.track_id}" for i in p.items if i.track_id and i.track_id not in tracks]
            problems += [f"playlist {p.id}: unknown episode {i.episode_id}" for i in p.items if i.episode_id and i.episode_id not in episodes]
            if p.collaborators and not p.collaborative:
                problems.append(f"playlist {p.id}: collaborators need collaborative: true")
        if problems:
            raise ValueError("; ".join(problems[:10]))
        return self
