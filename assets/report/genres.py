"""Which of a library's genres and tags the report charts as genres, pure.

Spotify's artist genres are genres by definition. Last.fm's tags are anyone's words: genres, but also
moods and personal labels ("happy", "beautiful", "favorites", "seen live"), decades and instruments.
A tag counts as a genre only when MusicBrainz's genre list names it; spellings that differ only in
case, accents, spaces or hyphens are one genre ("hip-hop" is "hip hop"), named as MusicBrainz spells it.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

SPOTIFY = "spotify"


def genre_key(name: str) -> str:
    """A genre's name folded for comparison: lower case, no accents, letters, digits and & only."""
    folded = unicodedata.normalize("NFKD", name.lower())
    return re.sub(r"[^0-9a-z&]+", "", "".join(c for c in folded if not unicodedata.combining(c)))


def top_genres(breakdown: pl.DataFrame, known: list[str], limit: int = 15) -> pl.DataFrame:
    """The `limit` genres with the most tracks, from a `genre_breakdown` frame (genre, source, tracks):
    Spotify's genres, and the tags MusicBrainz's `known` list names. A genre from both sources counts
    the larger of its two counts (a track can carry it from both)."""
    canonical = {genre_key(name): name for name in known}
    tracks: dict[str, int] = {}
    for row in breakdown.iter_rows(named=True):
        name = canonical.get(genre_key(row["genre"]))
        if name is None and row["source"] == SPOTIFY:
            name = row["genre"]
        if name is not None:
            tracks[name] = max(tracks.get(name, 0), row["tracks"])
    ranked = sorted(tracks.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return pl.DataFrame(ranked, schema={"genre": pl.String, "tracks": pl.Int64}, orient="row")
