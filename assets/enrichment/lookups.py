"""What each enrichment source asks for and what its answers become, pure.

Keys: Deezer by ISRC (the catalog's, then those MusicBrainz found for tracks that had none);
Last.fm once per normalised artist + title and once per normalised credited artist; MusicBrainz
only for catalog tracks without an ISRC. Each `wanted_*` maps a key (a tuple, one value per key
column of the cache table) to what the client is asked with, in first-seen order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assets.normalise import normalise, search_title

if TYPE_CHECKING:
    from resources.deezer import DeezerTrack
    from resources.lastfm import LastfmArtistInfo, LastfmTrackInfo
    from resources.musicbrainz import MusicbrainzRecording

# Deezer's tempo detector sometimes reports half or double the felt tempo. Outside this range a
# bpm is far more likely such an octave error than a real tempo: flag it, keep the raw value.
PLAUSIBLE_BPM = (60.0, 200.0)


# -- keys ----------------------------------------------------------------------------------------


def track_key(track: dict) -> tuple[str, str] | None:
    """(normalised primary artist, normalised title), or None when either is empty."""
    artists = track.get("artist_names") or []
    key = (normalise(artists[0] if artists else ""), normalise(track.get("name")))
    return key if all(key) else None


def lookup_key(artist_key: str, track_key: str) -> str:
    """MusicBrainz's one-column cache key for a normalised artist + title."""
    return f"{artist_key}|{track_key}"


def distinct_tracks(tracks: list[dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """(artist_key, track_key) -> the (artist, title) to ask with, once per normalised pair."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for track in tracks:
        key = track_key(track)
        if key and key not in wanted:
            wanted[key] = (track["artist_names"][0], track["name"])
    return wanted


def distinct_artists(tracks: list[dict]) -> dict[str, str]:
    """artist_key -> the name to ask with, once per normalised name of any credited artist."""
    wanted: dict[str, str] = {}
    for track in tracks:
        for name in track.get("artist_names") or []:
            key = normalise(name)
            if key and key not in wanted:
                wanted[key] = name
    return wanted


def tracks_without_isrc(tracks: list[dict]) -> dict[str, tuple[str, str]]:
    """lookup_key -> the (artist, title) to search with, for catalog tracks lacking an ISRC."""
    wanted: dict[str, tuple[str, str]] = {}
    for track in tracks:
        key = track_key(track)
        if key and not (track.get("isrc") or "").strip():
            wanted.setdefault(lookup_key(*key), (track["artist_names"][0], search_title(track["name"])))
    return wanted


def wanted_isrcs(tracks: list[dict], found: list[dict]) -> list[str]:
    """Catalog ISRCs, then the ISRCs MusicBrainz `found` for catalog tracks that had none."""
    isrcs = [t["isrc"].strip().upper() for t in tracks if t["isrc"] and t["isrc"].strip()]
    wanted_mb = set(tracks_without_isrc(tracks))
    isrcs += [row["isrc"].upper() for row in found if row["lookup_key"] in wanted_mb]
    return list(dict.fromkeys(isrcs))


# The same selections keyed as the cache tables are, a tuple per row (`distinct_tracks` already is).


def wanted_deezer(tracks: list[dict], musicbrainz_rows: list[dict]) -> dict[tuple[str], str]:
    found = [row for row in musicbrainz_rows if row.get("status") == "hit" and row.get("isrc")]
    return {(isrc,): isrc for isrc in wanted_isrcs(tracks, found)}


def wanted_lastfm_artists(tracks: list[dict]) -> dict[tuple[str], str]:
    return {(key,): name for key, name in distinct_artists(tracks).items()}


def wanted_musicbrainz(tracks: list[dict]) -> dict[tuple[str], tuple[str, str]]:
    return {(key,): names for key, names in tracks_without_isrc(tracks).items()}


# -- answers -------------------------------------------------------------------------------------


def tempo_flag(bpm: float | None) -> str | None:
    """'half' or 'double' for a bpm that is probably an octave error, else None."""
    if bpm is None:
        return None
    low, high = PLAUSIBLE_BPM
    if bpm < low:
        return "half"
    if bpm > high:
        return "double"
    return None


def deezer_values(track: DeezerTrack | None) -> dict[str, Any] | None:
    """The cached columns of a Deezer answer; bpm 0 (Deezer's "unknown") becomes null."""
    if track is None:
        return None
    bpm = track.bpm_raw if track.bpm_raw else None
    return {"deezer_id": track.deezer_id, "bpm": bpm, "bpm_raw": track.bpm_raw, "bpm_flag": tempo_flag(bpm),
            "gain": track.gain, "rank": track.rank, "release_date": track.release_date}


def lastfm_track_values(info: LastfmTrackInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"artist": info.artist, "track": info.track, "listeners": info.listeners,
            "playcount": info.playcount, "tags": info.tags}


def lastfm_artist_values(info: LastfmArtistInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"artist": info.artist, "listeners": info.listeners, "playcount": info.playcount, "tags": info.tags}


def musicbrainz_values(recording: MusicbrainzRecording | None) -> dict[str, Any] | None:
    if recording is None:
        return None
    return {"isrc": recording.isrc, "recording_id": recording.recording_id, "title": recording.title,
            "artist": recording.artist, "length_ms": recording.length_ms, "genres": recording.genres}
