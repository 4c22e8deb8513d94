"""How the real Last.fm and MusicBrainz match the names a client sends, written for the sandbox alone.

The sandbox judges a client; it must not share the client's idea of "the same name". Nothing here
strips "feat." credits or remaster suffixes: a client that sends such a name finds what the real
service would find with it, no more.

Last.fm looks a name up case-insensitively (leading, trailing and repeated spaces do not count) and
forgives nothing else. With `autocorrect=1` it also follows its corrections: variant spellings that
Last.fm knows lead to the canonical artist or track. The sandbox's catalog lists those variants per
entry (`corrections`); a variant it does not list is not found.

MusicBrainz search is Lucene over analysed fields: the analyser folds case and accents and splits
text into words at anything that is not a letter or digit. A quoted phrase matches a field holding
its words in order, next to each other; a bare word matches a field holding that word. Clauses
combine with AND / OR (OR when nothing is written between them, Lucene's default), and a clause
may be grouped in parentheses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

# --- Last.fm ----------------------------------------------------------------------------------


def lastfm_name(text: str) -> str:
    """The form Last.fm compares names in: case folded, spaces trimmed and collapsed."""
    return " ".join(text.split()).casefold()


class LastfmIndex:
    """Entries by their name, and (for autocorrect) by the variants Last.fm corrects to them."""

    def __init__(self) -> None:
        self.exact: dict[tuple[str, ...], object] = {}
        self.corrected: dict[tuple[str, ...], object] = {}

    def add(self, names: tuple[str, ...], entry: object, variants: Iterable[tuple[str, ...]] = ()) -> None:
        key = tuple(lastfm_name(n) for n in names)
        self.exact[key] = entry  # a name listed twice: the later entry wins
        for variant in variants:
            self.corrected[tuple(lastfm_name(n) for n in variant)] = entry

    def find(self, names: tuple[str, ...], autocorrect: bool):
        key = tuple(lastfm_name(n) for n in names)
        found = self.exact.get(key)
        if found is None and autocorrect:
            found = self.corrected.get(key)
        return found


# --- MusicBrainz ------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'\s*(?:(\()|(\))|(AND|OR|&&|\|\|)(?=[\s(])|(?:([\w-]+):)?(?:"((?:[^"\\]|\\.)*)"|((?:[^\s()"\\]|\\.)+)))')


def words(text: str | None) -> list[str]:
    """MusicBrainz's analyser, roughly: accents and case folded, split at non-alphanumerics."""
    if not text:
        return []
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(folded.casefold())


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@dataclass(frozen=True)
class Clause:
    field: str | None
    words: tuple[str, ...]
    raw: str


@dataclass(frozen=True)
class Group:
    operator: str  # "AND" or "OR"
    parts: tuple  # Clause | Group


def parse_query(query: str) -> Group:
    """A Lucene query as nested groups of field clauses (precedence: AND binds tighter than OR)."""
    tokens: list = []
    position = 0
    while position < len(query):
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            if query[position:].strip():
                position += 1  # a stray character Lucene would reject; the sandbox skips it
                continue
            break
        position = match.end()
        opening, closing, operator, field, phrase, word = match.groups()
        if opening:
            tokens.append("(")
        elif closing:
            tokens.append(")")
        elif operator:
            tokens.append({"&&": "AND", "||": "OR"}.get(operator, operator))
        else:
            text = _unescape(phrase if phrase is not None else word)
            tokens.append(Clause(field.lower() if field else None, tuple(words(text)), text))
    group, _ = _parse_or(tokens, 0)
    return group


def _parse_or(tokens: list, at: int) -> tuple[Group, int]:
    parts = []
    while at < len(tokens) and tokens[at] != ")":
        part, at = _parse_and(tokens, at)
        parts.append(part)
        if at < len(tokens) and tokens[at] == "OR":
            at += 1
    return Group("OR", tuple(parts)), at


def _parse_and(tokens: list, at: int):
    parts = []
    while True:
        if at < len(tokens) and tokens[at] == "(":
            part, at = _parse_or(tokens, at + 1)
            at += 1 if at < len(tokens) and tokens[at] == ")" else 0
        elif at < len(tokens) and isinstance(tokens[at], Clause):
            part, at = tokens[at], at + 1
        else:
            at += 1 if at < len(tokens) and tokens[at] == "AND" else 0
            break
        parts.append(part)
        if at < len(tokens) and tokens[at] == "AND":
            at += 1
            continue
        break
    return (parts[0] if len(parts) == 1 else Group("AND", tuple(parts))), at


def phrase_fit(phrase: tuple[str, ...], field: list[str]) -> float:
    """How well a phrase matches a field: 1 for the whole field, its share of the field when the
    field holds it (in order, adjacent), 0 when the field does not hold it."""
    if not phrase or not field:
        return 0.0
    width = len(phrase)
    for start in range(len(field) - width + 1):
        if tuple(field[start:start + width]) == phrase:
            return width / len(field)
    return 0.0


def match_score(group, fields: Callable[[str | None], list[list[str]]]) -> float:
    """0..1: how well a record's fields answer the query (0: not a hit)."""
    if isinstance(group, Clause):
        return max((phrase_fit(group.words, f) for f in fields(group.field)), default=0.0)
    scores = [match_score(part, fields) for part in group.parts]
    if not scores:
        return 0.0
    if group.operator == "AND":
        return 0.0 if min(scores) == 0 else sum(scores) / len(scores)
    return sum(scores) / len(scores) if max(scores) > 0 else 0.0


def search_score(query: str | Group, fields: Callable[[str | None], list[list[str]]]) -> int:
    """The MusicBrainz-style 0..100 score of one record for a query (text, or parsed once by `parse_query`)."""
    return round(100 * match_score(parse_query(query) if isinstance(query, str) else query, fields))
