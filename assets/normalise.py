"""Normalised artist and title text: the shared key for enrichment lookups and rule dedupe."""

import re
import unicodedata

_FEATURING = re.compile(r"\s*[\(\[]?\b(feat\.?|ft\.?|featuring)\b.*$", re.IGNORECASE)
_VERSION = re.compile(r"\s+-\s+.*\b(remaster(ed)?|version|edit|mix|mono|stereo|live)\b.*$", re.IGNORECASE)
_BRACKETED = re.compile(r"\s*[\(\[][^)\]]*\b(remaster(ed)?|version|edit|mono|stereo)\b[^)\]]*[\)\]]", re.IGNORECASE)


def search_title(title: str) -> str:
    """A title as a catalog search expects it: Spotify's 'feat.' credits and remaster or version
    suffixes removed (the services list those apart), case and accents kept."""
    stripped = _BRACKETED.sub("", _VERSION.sub("", _FEATURING.sub("", title))).strip()
    return stripped or title


def normalise(text: str | None) -> str:
    """Lower case, no accents, no 'feat.' credits or remaster suffixes, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _BRACKETED.sub("", _VERSION.sub("", _FEATURING.sub("", text)))
    text = re.sub(r"[^\w\s&']", " ", text.lower())
    return " ".join(text.split())
