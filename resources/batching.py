"""Splitting a sequence into one request's worth at a time, pure: the Spotify client's batch reads
and the push planner's writes use the same helper."""

from collections.abc import Sequence
from typing import TypeVar

S = TypeVar("S", bound=Sequence)


def chunks(values: S, size: int) -> list[S]:
    """`values` in consecutive slices of at most `size`, each of the same type (a list's are lists)."""
    return [values[start:start + size] for start in range(0, len(values), size)]
