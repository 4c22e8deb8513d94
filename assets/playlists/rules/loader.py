"""Read the rule file: YAML with line numbers, each child playlist validated on its own, cross-checks per user."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import RuleError, RuleFileError, Where, format_path, nearest
from .model import KNOWN_KEYS, ChildPlaylist, PlaylistSource, child_dependencies, rule_hash, source_parts

MAX_BYTES = 1_000_000  # a rule file is a few kilobytes; a bigger one is a mistake or an attack
MAX_CHILD_PLAYLISTS = 200  # per user: each becomes a Spotify playlist

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line_map(node: yaml.Node, path: tuple = (), lines: dict | None = None) -> dict[tuple, int]:
    """YAML path -> 1-based line, for every key and list item."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (key_node.value,)
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), lines)
    return lines


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


@dataclass
class RuleSet:
    """A parsed rule file: the valid child playlists and everything found wrong."""

    file: str
    defaults: list[ChildPlaylist] = field(default_factory=list)
    users: dict[str, list[ChildPlaylist]] = field(default_factory=dict)
    errors: list[RuleError] = field(default_factory=list)
    # Names of child playlists that failed validation, by scope (None: defaults), to explain skipped dependants.
    invalid: dict[str | None, set[str]] = field(default_factory=dict)
    # Hash of each invalid child playlist as written, by scope and name.
    invalid_hashes: dict[str | None, dict[str, str]] = field(default_factory=dict)
    # The id of each child playlist as written (its name when it has none), valid or not, by scope and name.
    ids: dict[str | None, dict[str, str]] = field(default_factory=dict)
    max_playlists: int = MAX_CHILD_PLAYLISTS

    def for_user(self, user_id: str) -> tuple[list[ChildPlaylist], list[RuleError]]:
        """The user's child playlists (defaults, replaced by the user's own of the same name) that pass the
        cross-checks, and the cross-check errors. Validation errors of the file are in `errors`.
        Beyond `max_playlists`, the last ones in the file are skipped with an error each."""
        own = self.users.get(user_id, [])
        own_names = {p.name for p in own}
        own_ids = {p.child_id: p for p in own}
        defaults = [p for p in self.defaults if p.name not in own_names]
        clashes = [p for p in defaults if p.child_id in own_ids]
        clashing = [p.error(("id",) if p.id else ("name",),
                            f"duplicate child playlist id: {_place(own_ids[p.child_id])} has it too; this default "
                            f"is skipped for user '{user_id}' (give one of them another id)", p.child_id)
                    for p in clashes]
        playlists = [p for p in defaults if p not in clashes] + own
        over = [p.error(("name",), f"more than {self.max_playlists} child playlists for "
                        f"{'every user' if user_id is None else 'user ' + repr(user_id)}; this one is skipped "
                        "(the limit is max_child_playlists)", p.name) for p in playlists[self.max_playlists:]]
        kept = playlists[:self.max_playlists]
        invalid = self.invalid.get(None, set()) | self.invalid.get(user_id, set()) | {p.name for p in clashes}
        kept, errors = _cross_check(kept, invalid - {p.name for p in kept} | {p.name for p in playlists[len(kept):]})
        return kept, clashing + over + errors

    def child_id(self, user_id: str | None, name: str) -> str:
        """The id of the user's child playlist `name` as written (own before default; invalid ones too)."""
        return self.ids.get(user_id, {}).get(name) or self.ids.get(None, {}).get(name) or name

    def invalid_hash(self, user_id: str | None, name: str) -> str | None:
        """The hash of an invalid child playlist of the user as written (own before default)."""
        return self.invalid_hashes.get(user_id, {}).get(name) or self.invalid_hashes.get(None, {}).get(name)

    def all_errors(self) -> list[RuleError]:
        """Every error in the file: validation, and cross-checks for each user named and for the defaults."""
        found = list(self.errors)
        for user_id in [None, *self.users]:
            for error in self.for_user(user_id)[1]:
                if error not in found:
                    found.append(error)
        return found


def load_rules(path: str | Path, max_bytes: int = MAX_BYTES, max_playlists: int = MAX_CHILD_PLAYLISTS) -> RuleSet:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RuleFileError([_too_big(str(path), size, max_bytes)])
        with path.open("rb") as handle:  # the file may grow between stat and read
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise RuleFileError([RuleError(str(path), None, "<top>", f"cannot read the rule file: {error.strerror}")])
    if len(data) > max_bytes:
        raise RuleFileError([_too_big(str(path), len(data), max_bytes)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuleFileError([RuleError(str(path), None, "<top>", f"the rule file is not UTF-8 text ({error.reason} "
                                       f"at byte {error.start})")]) from None
    return parse_rules(text, str(path), max_bytes, max_playlists)


def _too_big(file: str, size: int, max_bytes: int) -> RuleError:
    return RuleError(file, None, "<top>", f"the rule file is {size:,} bytes, over the limit of {max_bytes:,} bytes; "
                     "nothing is read")


def _refuse_aliases(text: str, file: str) -> None:
    """YAML aliases (`*name`) are refused before anything is built from the file: nested ones expand
    exponentially ("billion laughs"), and a rule file has no need of them. Reading the events is linear."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise RuleFileError([RuleError(file, event.start_mark.line + 1, "<top>",
                                               f"YAML aliases are not allowed in a rule file (got '*{event.anchor}'); "
                                               "write each child playlist out in full")])
    except yaml.YAMLError:
        return  # reported with its line by the full parse


def parse_rules(text: str, file: str = "<rules>", max_bytes: int = MAX_BYTES,
                max_playlists: int = MAX_CHILD_PLAYLISTS) -> RuleSet:
    """Validate a rule file. Raises RuleFileError when it is not YAML, not shaped like a rule file, over
    `max_bytes` or using YAML aliases."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise RuleFileError([_too_big(file, size, max_bytes)])
    _refuse_aliases(text, file)
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        raise RuleFileError([RuleError(file, mark.line + 1 if mark else None, "<top>", f"not valid YAML: {reason}")])
    lines = _line_map(node) if node is not None else {}
    rules = RuleSet(file, max_playlists=max_playlists)
    if data is None:
        return rules
    _check_top_level(data, file, lines)
    rules.defaults = _validate_list(data.get("defaults") or [], ("defaults",), None, rules, lines)
    for user_id, playlists in (data.get("users") or {}).items():
        rules.users[str(user_id)] = _validate_list(playlists or [], ("users", user_id), str(user_id), rules, lines)
    return rules


def _check_top_level(data: Any, file: str, lines: dict) -> None:
    def error(path: tuple, message: str, value: Any = None, suggestion: str | None = None) -> RuleError:
        return RuleError(file, Where(file, (), lines).line(path), format_path(path), message, value, suggestion)

    if not isinstance(data, dict):
        raise RuleFileError([error((), "the rule file must be a mapping with `defaults` and/or `users`")])
    problems = [error((key,), f"unknown top-level key '{key}'", suggestion=nearest(key, ["defaults", "users"]))
                for key in data if key not in ("defaults", "users")]
    if not isinstance(data.get("defaults") or [], list):
        problems.append(error(("defaults",), "`defaults` must be a list of child playlists"))
    users = data.get("users") or {}
    if not isinstance(users, dict):
        problems.append(error(("users",), "`users` must map a Spotify user id to a list of child playlists"))
    else:
        problems += [error(("users", u), f"users.{u} must be a list of child playlists")
                     for u, p in users.items() if not isinstance(p or [], list)]
    if problems:
        raise RuleFileError(problems)


def _validate_list(raw: list, path: tuple, scope: str | None, rules: RuleSet, lines: dict) -> list[ChildPlaylist]:
    valid: list[ChildPlaylist] = []
    seen: set[str] = set()
    by_id: dict[str, ChildPlaylist] = {}
    for i, item in enumerate(raw):
        where = Where(rules.file, path + (i,), lines)
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and name in seen:
            rules.errors.append(where.error(("name",), "duplicate child playlist name; this one is skipped",
                                            name, playlist=name))
            continue
        if isinstance(name, str):
            seen.add(name)
            written_id = item.get("id")
            rules.ids.setdefault(scope, {})[name] = written_id if isinstance(written_id, str) else name
        if i >= rules.max_playlists:  # validating tens of thousands would only report them as over the cap
            rules.errors.append(where.error((), f"{len(raw):,} child playlists in {format_path(path)}, over the "
                                            f"limit of {rules.max_playlists}: from this one on, none is read",
                                            playlist=name if isinstance(name, str) else None))
            break
        try:
            playlist = ChildPlaylist.model_validate(item)
        except ValidationError as invalid:
            rules.errors += [_located(e, where, item, name) for e in invalid.errors()]
            if isinstance(name, str):
                rules.invalid.setdefault(scope, set()).add(name)
                rules.invalid_hashes.setdefault(scope, {})[name] = rule_hash(item)
            continue
        playlist._where = where
        playlist._rule_hash = rule_hash(item)
        first = by_id.setdefault(playlist.child_id, playlist)
        if first is not playlist:
            rules.errors.append(playlist.error(("id",) if playlist.id else ("name",),
                                               f"duplicate child playlist id: {_place(first)} has it too; "
                                               "this one is skipped", playlist.child_id))
            rules.invalid.setdefault(scope, set()).add(name)
            rules.invalid_hashes.setdefault(scope, {})[name] = playlist.rule_hash
            continue
        valid.append(playlist)
    return valid


def _place(playlist: ChildPlaylist) -> str:
    """Where a child playlist is written: its path in the file and its line."""
    where = playlist._where
    line = where.line(where.path)
    return f"{format_path(where.path)} ('{playlist.name}'" + (f", line {line})" if line else ")")


def _located(error: dict, where: Where, item: Any, name: Any) -> RuleError:
    """A pydantic error as a RuleError: union tags dropped from the path, the offending value looked up."""
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("<")))
    context = error.get("ctx") or {}
    if "part" in context:
        loc += (context["part"],)
    suggestion = context.get("suggestion")
    if error["type"] == "extra_forbidden":
        suggestion = nearest(loc[-1], KNOWN_KEYS)
        message = f"unknown key '{loc[-1]}'"
    else:
        message = error["msg"]
    value = _value_at(item, loc) if loc else None
    return where.error(loc, message, value, suggestion, playlist=name if isinstance(name, str) else None)


def _cross_check(playlists: list[ChildPlaylist], invalid: set[str]) -> tuple[list[ChildPlaylist], list[RuleError]]:
    """Drop child playlists whose child sources are unknown, invalid, cyclic, or depend on such."""
    by_name = {p.name: p for p in playlists}
    errors: list[RuleError] = []
    bad: set[str] = set()
    for p in playlists:
        for path, child in child_dependencies(p.source):
            if child in invalid:
                errors.append(p.error(path, f"source child playlist '{child}' is invalid and skipped", child))
                bad.add(p.name)
            elif child not in by_name:
                errors.append(p.error(path, "unknown child playlist", child, nearest(child, by_name)))
                bad.add(p.name)
    for cycle in _cycles(by_name):
        text = " -> ".join(cycle + [cycle[0]])
        for name in cycle:
            path = next(path for path, child in child_dependencies(by_name[name].source) if child in cycle)
            errors.append(by_name[name].error(path, f"cycle between child playlists: {text}", _value_at_child(path, by_name[name])))
            bad.add(name)
    return _without(playlists, bad, errors)


def _without(playlists: list[ChildPlaylist], bad: set[str], errors: list[RuleError]):
    """Drop the bad child playlists and, with an error each, those that read them, directly or not."""
    bad = set(bad)
    changed = True
    while changed:
        changed = False
        for p in playlists:
            if p.name in bad:
                continue
            skipped = [(path, c) for path, c in child_dependencies(p.source) if c in bad]
            if skipped:
                path, child = skipped[0]
                errors.append(p.error(path, f"source child playlist '{child}' is skipped", child))
                bad.add(p.name)
                changed = True
    return [p for p in playlists if p.name not in bad], errors


def check_against_data(playlists: list[ChildPlaylist], available_fields: set[str] | frozenset[str],
                       known_playlists: set[str] | None) -> tuple[list[ChildPlaylist], list[RuleError]]:
    """Errors only the data can tell: fields the access profile lacks, playlists the user does not have.
    `known_playlists` holds the user's playlist ids and names (None: do not check)."""
    errors: list[RuleError] = []
    bad: set[str] = set()
    for p in playlists:
        for path, name in p.used_fields:
            if name not in available_fields:
                errors.append(p.error(path, f"field '{name}' is not available with this Spotify access "
                                      "(development mode has no popularity)", name))
                bad.add(p.name)
        for path, part in source_parts(p.source) if known_playlists is not None else []:
            if isinstance(part, PlaylistSource) and part.playlist not in known_playlists:
                errors.append(p.error(path + ("playlist",), "unknown playlist (give an id or the exact name)",
                                      part.playlist, nearest(part.playlist, known_playlists)))
                bad.add(p.name)
    return _without(playlists, bad, errors)


def _value_at_child(path: tuple, playlist: ChildPlaylist) -> Any:
    return next(child for p, child in child_dependencies(playlist.source) if p == path)


def _cycles(by_name: dict[str, ChildPlaylist]) -> list[list[str]]:
    """Each cycle once, found by depth-first search over child sources."""
    edges = {n: [c for _, c in child_dependencies(p.source) if c in by_name] for n, p in by_name.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for nxt in edges[name]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[name] = 2

    for name in by_name:
        if name not in state:
            visit(name, [])
    return cycles


def dependency_order(playlists: list[ChildPlaylist]) -> list[ChildPlaylist]:
    """Child playlists so that each comes after the child playlists it reads (no cycles left by then)."""
    by_name = {p.name: p for p in playlists}
    done: dict[str, ChildPlaylist] = {}

    def place(p: ChildPlaylist) -> None:
        for _, child in child_dependencies(p.source):
            if child not in done and child in by_name:
                place(by_name[child])
        done.setdefault(p.name, p)

    for p in playlists:
        place(p)
    return list(done.values())
