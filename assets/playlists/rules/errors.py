"""Rule errors that say where they are: file, line, YAML path, the offending value and a suggestion."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """`("users", "demo", 2, "filter")` -> `users.demo[2].filter`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top>"


def nearest(word: Any, choices: Iterable[str]) -> str | None:
    """The closest valid name to a misspelt one, if any is close enough."""
    if not isinstance(word, str):
        return None
    by_lower = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[found[0]] if found else None


@dataclass(frozen=True)
class RuleError:
    file: str
    line: int | None
    path: str
    message: str
    value: Any = None
    suggestion: str | None = None
    playlist: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value!r})"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        return text


@dataclass(frozen=True)
class Where:
    """Where a part of the rule file came from, to locate errors found later (e.g. at evaluation)."""

    file: str
    path: Path
    lines: dict[Path, int]

    def line(self, path: Path) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def error(self, relative: Path, message: str, value: Any = None, suggestion: str | None = None,
              playlist: str | None = None) -> RuleError:
        full = self.path + tuple(relative)
        return RuleError(self.file, self.line(full), format_path(full), message, value, suggestion, playlist)


class RuleFileError(Exception):
    """The rule file cannot be used at all (unreadable, not YAML, wrong top-level shape)."""

    def __init__(self, errors: list[RuleError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
