"""README's demo figures are what the demo prints: a first `mixtape demo` on the demo library in a clean
demo world, then a second one, against the Spotify requests and lookups README's "What `make demo`
does" quotes. A long test: the first demo waits on the enrichment services' real rate limits."""

from __future__ import annotations

import re

import pytest

from pipelines.cli import main
from tests.demo.conftest import PROJECT

pytestmark = pytest.mark.e2e

SERVICES = {"Deezer": "deezer", "Last.fm": "lastfm", "MusicBrainz": "musicbrainz"}


def readme_demo_section() -> str:
    text = (PROJECT / "README.md").read_text()
    return text[text.index("## What `make demo` does"):text.index("`make ui` (or `mixtape ui`)")]


def readme_figures() -> dict:
    """The figures README quotes for a first and a second demo."""
    section = " ".join(readme_demo_section().split())
    first, second = re.findall(r"\*\*(\d[\d,]*) Spotify requests\*\*", section)
    lookups = re.search(r"\*\*(\d[\d,]*) lookups\*\* \(([^)]*)\)", section)
    per_service = {SERVICES[name]: int(n.replace(",", "")) for name, n in re.findall(r"([\w.]+) (\d[\d,]*)", lookups[2])}
    return {
        "first": {"spotify": int(first.replace(",", "")), **per_service},
        "first_lookups": int(lookups[1].replace(",", "")),
        "reads_minimum": int(re.search(r"the reads' theoretical minimum is (\d+)", section)[1]),
        "second": {"spotify": int(second.replace(",", ""))},
        "second_lookups": "no lookups" in section,
    }


def printed(output: str) -> dict:
    """What a demo printed: requests per service, and the reads' theoretical minimum."""
    spent = re.search(r"all outside requests: (.*)", output)[1]
    by_service = {service: int(n) for service, n in re.findall(r"(\w+) (\d+)", spent)}
    minimum = int(re.search(r"theoretical minimum for the reads: (\d+)", output)[1])
    return {"requests": by_service, "reads_minimum": minimum}


def test_readme_quotes_what_the_demo_prints(clean_demo_world, capsys):
    assert main(["demo"]) == 0
    first = printed(capsys.readouterr().out)
    assert main(["demo"]) == 0
    second = printed(capsys.readouterr().out)

    readme = readme_figures()
    assert first["requests"] == readme["first"]
    assert sum(n for s, n in first["requests"].items() if s != "spotify") == readme["first_lookups"]
    assert first["reads_minimum"] == readme["reads_minimum"]
    assert second["requests"] == readme["second"] and readme["second_lookups"]
