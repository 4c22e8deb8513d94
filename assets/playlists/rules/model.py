"""The rule file as pydantic models: child playlists, sources, filter trees, sort, limit, dedupe.

The same models validate the YAML and generate the JSON Schema for editors (`write_json_schema`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import polars as pl
from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, PositiveInt, PrivateAttr, Tag,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from .errors import Where, nearest
from .fields import (ALL_OPERATORS, FIELDS, NEGATIONS, OPERATORS, TOP_RANGES, Kind, parse_duration_ms,
                     parse_instant, parse_span)

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "playlists.schema.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _fail(kind: str, message: str, part: str | None = None, suggestion: str | None = None) -> PydanticCustomError:
    """A validation error; `part` names the key it is about when raised for the whole object."""
    context = {k: v for k, v in (("part", part), ("suggestion", suggestion)) if v}
    return PydanticCustomError(kind, message, context)


def _known_field(name: str | None) -> str | None:
    if name is not None and name not in FIELDS:
        raise _fail("unknown_field", f"unknown field '{name}'", suggestion=nearest(name, FIELDS))
    return name


# ---------------------------------------------------------------- filter conditions


class Condition(_Model):
    """`{field, op, value}`: one test on one track field."""

    field: Annotated[str | None, Field(json_schema_extra={"enum": sorted(FIELDS)})] = None
    op: Annotated[str, Field(json_schema_extra={"enum": ALL_OPERATORS})]
    value: Any = None
    case_sensitive: bool = False
    # The value parsed for the field and operator: folded text, ms, Instant, timedelta, tuples.
    _operand: Any = PrivateAttr(None)

    @field_validator("field")
    @classmethod
    def _known(cls, name: str | None) -> str | None:
        return _known_field(name)

    @field_validator("op")
    @classmethod
    def _known_op(cls, op: str) -> str:
        if op not in ALL_OPERATORS:
            raise _fail("unknown_operator", f"unknown operator '{op}'", suggestion=nearest(op, ALL_OPERATORS))
        return op

    @model_validator(mode="after")
    def _fits_field(self) -> "Condition":
        if self.field is None:
            if self.op not in ("in_playlist", "not_in_playlist"):
                raise _fail("missing_field", "a condition needs a field", part="field")
            self.field = "in_playlist"
        kind = FIELDS[self.field].kind
        valid = OPERATORS[kind]
        if self.op not in valid:
            raise _fail("wrong_operator", f"operator '{self.op}' does not apply to {kind} field '{self.field}' "
                        f"(valid: {', '.join(valid)})", part="op", suggestion=nearest(self.op, valid))
        try:
            self._operand = _parse_operand(self)
        except ValueError as error:
            raise _fail("bad_value", f"{self.field} {self.op}: {error}", part="value") from None
        return self

    @property
    def positive_op(self) -> str:
        return NEGATIONS.get(self.op, self.op)

    @property
    def operand(self) -> Any:
        return self._operand

    @property
    def label(self) -> str:
        if "value" not in self.model_fields_set:
            return f"{self.field} {self.op}"
        shown = "[" + ", ".join(map(_shown, self.value)) + "]" if isinstance(self.value, list) else _shown(self.value)
        return f"{self.field} {self.op} {shown}"


def _shown(value: Any) -> str:
    """A value as written in YAML."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _fold(text: str, case_sensitive: bool) -> str:
    return text if case_sensitive else text.lower()


def _parse_operand(c: Condition) -> Any:
    field, op, value, has_value = FIELDS[c.field], c.positive_op, c.value, "value" in c.model_fields_set
    if op == "is_null":
        if has_value:
            raise ValueError("takes no value")
        return None
    if not has_value or value is None:
        raise ValueError("needs a value")
    if field.kind in (Kind.TEXT, Kind.TEXT_LIST):
        if op == "in":
            return tuple(_fold(v, c.case_sensitive) for v in _list_of(value, _text))
        if op == "matches":
            return _regex(_text(value), c.case_sensitive)
        return _fold(_text(value), c.case_sensitive)
    if field.kind == Kind.NUMBER:
        number = parse_duration_ms if field.name == "duration" else _number
        if op == "between":
            low, high = _pair(value, number)
            if low > high:
                raise ValueError("between needs [low, high] with low <= high")
            return low, high
        if op == "in":
            return tuple(_list_of(value, number))
        return number(value)
    if field.kind == Kind.BOOL:
        if not isinstance(value, bool):
            raise ValueError("expects true or false")
        return value
    if field.kind in (Kind.DATE, Kind.DATETIME):
        if op == "in_the_last":
            return parse_span(value)
        if op == "between":
            start, end = _pair(value, parse_instant)
            if start.start > end.start:
                raise ValueError("between needs [earlier, later]")
            return start, end
        return parse_instant(value)
    return tuple(_list_of(value, _text)) if isinstance(value, list) else (_text(value),)  # playlists


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expects text, not {type(value).__name__}")
    if not value or "\x1f" in value:
        raise ValueError("expects non-empty text")
    return value


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expects a number, not {type(value).__name__}")
    return value


def _list_of(value: Any, parse) -> list:
    if not isinstance(value, list) or not value:
        raise ValueError("expects a non-empty list")
    return [parse(v) for v in value]


def _pair(value: Any, parse) -> tuple:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("expects a list of two values: [low, high]")
    return parse(value[0]), parse(value[1])


def _regex(pattern: str, case_sensitive: bool) -> str:
    """The pattern as both engines run it; it must compile in Python and in Polars (Rust regex)."""
    full = pattern if case_sensitive else f"(?i){pattern}"
    try:
        re.compile(full)
        pl.Series([""]).str.contains(full)
    except (re.error, pl.exceptions.PolarsError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if line.startswith("error:")), lines[0] if lines else "")
        raise ValueError(f"bad regular expression: {reason.removeprefix('error:').strip()}") from None
    return full


class All(_Model):
    all: list[Node] = Field(min_length=1)


class AnyOf(_Model):
    any: list[Node] = Field(min_length=1)


class Not(_Model):
    not_: Node = Field(alias="not")


def _node_tag(value: Any) -> str:
    if isinstance(value, dict):
        return next((f"<{key}>" for key in ("all", "any", "not") if key in value), "<condition>")
    return {All: "<all>", AnyOf: "<any>", Not: "<not>"}.get(type(value), "<condition>")


Node = Annotated[
    Union[Annotated[All, Tag("<all>")], Annotated[AnyOf, Tag("<any>")], Annotated[Not, Tag("<not>")],
          Annotated[Condition, Tag("<condition>")]],
    Discriminator(_node_tag),
]


def describe(node: Node) -> str:
    if isinstance(node, Condition):
        return node.label
    if isinstance(node, Not):
        return f"not ({describe(node.not_)})"
    joiner = " and " if isinstance(node, All) else " or "
    return "(" + joiner.join(describe(n) for n in (node.all if isinstance(node, All) else node.any)) + ")"


def conditions(node: Node | None, path: tuple = ("filter",)) -> list[tuple[tuple, Condition]]:
    """Every condition in a filter tree with its path relative to the child playlist."""
    if node is None:
        return []
    if isinstance(node, Condition):
        return [(path, node)]
    if isinstance(node, Not):
        return conditions(node.not_, path + ("not",))
    key = "all" if isinstance(node, All) else "any"
    return [found for i, child in enumerate(getattr(node, key)) for found in conditions(child, path + (key, i))]


# ---------------------------------------------------------------- sources

NAMED_SOURCES = ("library", "liked")


def _named_source(name: str) -> str:
    if name not in NAMED_SOURCES:
        raise _fail("unknown_source", f"unknown source '{name}' (write liked, library, or a mapping such as "
                    "{playlist: NAME}, {child: NAME}, {top: tracks, range: short_term}, {union: [...]})", suggestion=nearest(name, NAMED_SOURCES))
    return name


NamedSource = Annotated[str, AfterValidator(_named_source), Field(json_schema_extra={"enum": list(NAMED_SOURCES)})]


class PlaylistSource(_Model):
    playlist: str = Field(description="a Spotify playlist of the user, by id or exact name")


class ChildSource(_Model):
    child: str = Field(description="another child playlist of the same user, by name")


class UnionSource(_Model):
    union: list[Source] = Field(min_length=1)


class IntersectionSource(_Model):
    intersection: list[Source] = Field(min_length=1)


class DifferenceSource(_Model):
    difference: list[Source] = Field(min_length=2, description="tracks of the first source not in any other")


class TopSource(_Model):
    top: Literal["tracks", "artists"] = Field(
        description="tracks: the user's top tracks, saved or not; artists: the tracks they have by their top artists")
    range: Literal[TOP_RANGES] = Field(  # type: ignore[valid-type]
        "medium_term", description="short_term (about 4 weeks), medium_term (6 months) or long_term (a year)")

    @property
    def rank_column(self) -> str:
        return f"top_rank_{self.range}" if self.top == "tracks" else f"top_artist_rank_{self.range}"


_SOURCE_KEYS = ("playlist", "child", "top", "union", "intersection", "difference")


def _source_tag(value: Any) -> str:
    if isinstance(value, str):
        return "<named>"
    if isinstance(value, dict):
        return next((f"<{key}>" for key in _SOURCE_KEYS if key in value), "<playlist>")
    return {PlaylistSource: "<playlist>", ChildSource: "<child>", TopSource: "<top>", UnionSource: "<union>",
            IntersectionSource: "<intersection>", DifferenceSource: "<difference>"}.get(type(value), "<named>")


Source = Annotated[
    Union[Annotated[NamedSource, Tag("<named>")], Annotated[PlaylistSource, Tag("<playlist>")],
          Annotated[ChildSource, Tag("<child>")], Annotated[TopSource, Tag("<top>")], Annotated[UnionSource, Tag("<union>")],
          Annotated[IntersectionSource, Tag("<intersection>")], Annotated[DifferenceSource, Tag("<difference>")]],
    Discriminator(_source_tag),
]


def source_parts(source: Source, path: tuple = ("source",)) -> list[tuple[tuple, Source]]:
    """Every source in the tree with its path relative to the child playlist."""
    found = [(path, source)]
    for key in ("union", "intersection", "difference"):
        for i, part in enumerate(getattr(source, key, None) or []):
            found += source_parts(part, path + (key, i))
    return found


def child_dependencies(source: Source) -> list[tuple[tuple, str]]:
    return [(path + ("child",), s.child) for path, s in source_parts(source) if isinstance(s, ChildSource)]


# ---------------------------------------------------------------- sort, limit, dedupe


class SortKey(_Model):
    field: str
    order: Literal["asc", "desc"] = "asc"

    @field_validator("field")
    @classmethod
    def _sortable(cls, name: str) -> str:
        sortable = [f for f in FIELDS if FIELDS[f].sortable]
        if name not in sortable:
            raise _fail("unknown_field", f"cannot sort by '{name}' (sortable: {', '.join(sortable)})",
                        suggestion=nearest(name, sortable))
        return name


class Shuffle(_Model):
    shuffle: Literal["daily", "weekly"] = Field(description="the order stays the same for a day or an ISO week")
    seed: int = 0

    def key(self, now: dt.datetime) -> str:
        """The seed and the current day or week: the shuffle changes when this does."""
        if self.shuffle == "daily":
            return f"{self.seed}:{now.date().isoformat()}"
        year, week, _ = now.isocalendar()
        return f"{self.seed}:{year}-W{week:02d}"


def shuffle_seed(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")


def shuffle_ranks(key: str, track_uris: pl.Series) -> pl.Series:
    """The tracks' places in a seeded shuffle: a seeded hash of the uri (stable for a given Polars version,
    whatever the batch), so the same key gives the same order."""
    return track_uris.hash(seed=shuffle_seed(key))


def _sort_tag(value: Any) -> str:
    return "<shuffle>" if isinstance(value, (dict, Shuffle)) else "<keys>"


Sort = Annotated[
    Union[Annotated[list[SortKey], Tag("<keys>")], Annotated[Shuffle, Tag("<shuffle>")]],
    Discriminator(_sort_tag),
]


class Limit(_Model):
    count: PositiveInt | None = None
    duration: Annotated[int | float | str | None, Field(description="total length: seconds, h:mm:ss or a span such as 90 min")] = None
    _duration_ms: int | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _parse(self) -> "Limit":
        if self.count is None and self.duration is None:
            raise _fail("empty_limit", "a limit needs count, duration or both")
        if self.duration is not None:
            try:
                self._duration_ms = parse_duration_ms(self.duration)
            except ValueError as error:
                raise _fail("bad_duration", str(error), part="duration") from None
        return self

    @property
    def duration_ms(self) -> int | None:
        return self._duration_ms


ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # nothing that could end or split the description marker
MAX_ID_LENGTH = 64


def _track_uri(ref: str) -> str:
    return ref if ref.startswith("spotify:") else f"spotify:track:{ref}"


class ChildPlaylist(_Model):
    """One child playlist: tracks from `source` passing `filter`, ordered, deduplicated and limited."""

    name: str = Field(min_length=1)
    id: str | None = Field(None, json_schema_extra={"pattern": ID_PATTERN.pattern, "maxLength": MAX_ID_LENGTH},
                           description="the child playlist's stable identity (letters, digits, '.', '_', '-'): "
                           "keep it when renaming and the same Spotify playlist is renamed; default: the name")
    description: str | None = None
    source: Source = "library"
    filter: Node | None = None
    sort: Sort | None = Field(None, description="keys in order (ties: track uri), or a seeded shuffle; "
                              "default: added_at desc")
    limit: Limit | None = None
    dedupe: Literal["track_id", "isrc", "title_artist"] | None = None
    include: list[str] = Field([], description="track ids or uris always in the playlist (placed first)")
    exclude: list[str] = Field([], description="track ids or uris never in the playlist")
    _where: Where | None = PrivateAttr(None)
    _rule_hash: str | None = PrivateAttr(None)  # of the rule as written in the file (set by the loader)

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > MAX_ID_LENGTH or not ID_PATTERN.match(value)):
            raise _fail("bad_id", f"an id is 1 to {MAX_ID_LENGTH} letters, digits, '.', '_' or '-', starting with a "
                        "letter or digit")
        return value

    @property
    def rule_hash(self) -> str:
        """Changes whenever the rule as written changes (the name included)."""
        return self._rule_hash or rule_hash(self.model_dump(mode="json", by_alias=True, exclude_defaults=True))

    @property
    def child_id(self) -> str:
        """What the managed Spotify playlist is known by (its marker, the push's records): `id`, else the name."""
        return self.id or self.name

    @property
    def include_uris(self) -> list[str]:
        return [_track_uri(ref) for ref in self.include]

    @property
    def exclude_uris(self) -> list[str]:
        return [_track_uri(ref) for ref in self.exclude]

    @property
    def sort_keys(self) -> list[SortKey]:
        if isinstance(self.sort, list) and self.sort:
            return self.sort
        return [] if isinstance(self.sort, Shuffle) else [SortKey(field="added_at", order="desc")]

    @property
    def used_fields(self) -> list[tuple[tuple, str]]:
        """(path, field) for every field the rules read, to check them against the access profile."""
        used = [(path + ("field",), c.field) for path, c in conditions(self.filter)]
        if isinstance(self.sort, list):
            used += [(("sort", i, "field"), k.field) for i, k in enumerate(self.sort)]
        return used

    def error(self, relative: tuple, message: str, value: Any = None, suggestion: str | None = None):
        where = self._where or Where("<rules>", (), {})
        return where.error(relative, message, value, suggestion, playlist=self.name)


def rule_hash(item: Any) -> str:
    """A short stable hash of a rule as parsed from YAML (key order does not count)."""
    text = json.dumps(item, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RuleFile(_Model):
    """The rule file: child playlists for every user (`defaults`) and per Spotify user id (`users`)."""

    model_config = ConfigDict(title="mixtape child playlists", extra="forbid")
    defaults: list[ChildPlaylist] = Field([], description="child playlists every user gets; a user's own "
                                          "child playlist of the same name replaces the default")
    users: dict[str, list[ChildPlaylist]] = {}


KNOWN_KEYS = sorted({name for model in (Condition, All, AnyOf, SortKey, Shuffle, Limit, ChildPlaylist, RuleFile,
                                        PlaylistSource, ChildSource, TopSource, UnionSource, IntersectionSource,
                                        DifferenceSource) for name in model.model_fields} | {"not"})


def json_schema() -> dict:
    schema = RuleFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
    return path
