"""The report's fonts: a stack that draws the characters the data holds, and a clean fallback.

DejaVu Sans draws the text, Symbola (Debian's fonts-symbola, installed by scripts/install-chromium.sh)
the emoji and symbols playlist names carry ("🎧", "★"). Matplotlib draws every chart with the stack
(the PNG in the Dagster UI); the SVG keeps its text as text in the same stack, for the browser to draw.
A character no font of the stack has is left out of a label rather than drawn as a missing-glyph box.
"""

from __future__ import annotations

from collections.abc import Container
from functools import cache

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

FONT_STACK = ("DejaVu Sans", "Symbola")


@cache
def chart_fonts() -> tuple[str, ...]:
    """The families of the stack this machine has, in order. Matplotlib's font cache may predate a
    font installed since (Symbola): the system's fonts it does not know are added first."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            font_manager.fontManager.addfont(path)
    families = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(f for f in FONT_STACK if f in families)


@cache
def covered_codepoints() -> frozenset[int]:
    """Every character some font of the stack draws."""
    paths = {font_manager.findfont(family, fallback_to_default=False) for family in chart_fonts()}
    return frozenset(code for path in paths for code in FT2Font(path).get_charmap())


def drawable(text: str, covered: Container[int]) -> str:
    """`text` without the characters no font draws (spaces they leave doubled are closed up)."""
    kept = "".join(c for c in text if c.isspace() or ord(c) in covered)
    return " ".join(kept.split())


def label(text: str) -> str:
    """`text` as the charts can draw it with this machine's fonts."""
    return drawable(text, covered_codepoints())
