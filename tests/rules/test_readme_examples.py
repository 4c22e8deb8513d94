"""Each rule example in README runs against the demo library (through the warehouse) to a correct tracklist."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from assets.normalise import normalise

from assets.playlists.rules import evaluate, parse_rules
from assets.playlists.tracklists import fields_for, read_features
from benchmarks.naive_rules import evaluate_naive

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> list[str]:
    text = README.read_text()
    section = text[text.index("<!-- rules:start -->"):text.index("<!-- rules:end -->")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    return [b for b in blocks if "- name: ..." not in b]


@pytest.fixture(scope="module")
def demo(demo_built):
    return read_features(demo_built["warehouse"], "demo"), demo_built["now"]


def _evaluate(features: pl.DataFrame, example: str, now: dt.datetime):
    rules = parse_rules(example, "README.md")
    assert rules.all_errors() == []
    playlists, _ = rules.for_user("demo")
    result = evaluate(features, playlists, user_id="demo", now=now, available_fields=fields_for(features))
    assert result.errors == []
    naive = evaluate_naive(features.to_dicts(), playlists, user_id="demo", now=now,
                           available_fields=fields_for(features))
    assert result.tracks.to_dicts() == naive
    return playlists[-1], result.tracks


def _chosen(features: pl.DataFrame, tracks: pl.DataFrame) -> pl.DataFrame:
    """The features of the tracklist's tracks, in tracklist order."""
    return tracks.select("track_uri").join(features, on="track_uri", how="left", maintain_order="left")


def test_the_readme_has_the_eight_worked_examples():
    names = [yaml.safe_load(e)["defaults"][-1]["name"] for e in readme_examples()]
    assert names == ["Running 160-180", "Fresh likes", "Nineties", "Liked, not in Party road", "Weekly shuffle",
                     "On repeat", "Forgotten favourites", "Never played"]


def test_running_mix(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[0], now)
    chosen = _chosen(features, tracks)
    assert chosen.height > 0
    assert chosen["bpm"].is_between(160, 180).all() and (chosen["duration_ms"] >= 120_000).all()
    assert chosen["bpm"].is_sorted()
    assert chosen["duration_ms"].sum() <= 3_600_000
    assert tracks["admitted_by"][0] == "bpm between [160, 180] and duration gte 2:00"


def test_fresh_likes(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[1], now)
    chosen = _chosen(features, tracks)
    expected = features.filter(pl.col("liked") & (pl.col("liked_at") >= now - dt.timedelta(days=30)))
    assert chosen.height == expected.height > 0
    assert chosen["liked_at"].is_sorted(descending=True)


def test_decade_mix(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[2], now)
    chosen = _chosen(features, tracks)
    assert chosen.height > 0
    assert (chosen["decade"] == 1990).all() and not chosen["explicit"].fill_null(False).any()
    keys = [(normalise(t), normalise(a)) for t, a in chosen.select("title", "artist").iter_rows()]
    assert len(keys) == len(set(keys)) > 1


def test_in_a_but_not_in_b(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[3], now)
    chosen = _chosen(features, tracks)
    in_b = features.filter(pl.col("playlist_names").list.contains("Party road"))
    assert chosen.height > 0 and in_b.height > 0
    assert chosen["liked"].all()
    assert not set(chosen["track_uri"]) & set(in_b["track_uri"])
    assert chosen.height == features.filter(pl.col("liked")).height - in_b.filter(pl.col("liked")).height


def test_weekly_shuffle_is_stable_within_a_week_and_changes_with_it(demo):
    features, now = demo
    monday = now - dt.timedelta(days=now.weekday())
    orders = {day: _evaluate(features, readme_examples()[4], monday + dt.timedelta(days=day))[1]["track_uri"].to_list()
              for day in (0, 3, 6, 7)}
    assert len(orders[0]) == 50
    assert orders[0] == orders[3] == orders[6]
    assert orders[7] != orders[0]


def test_on_repeat_is_the_short_term_top_in_rank_order(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[5], now)
    chosen = _chosen(features, tracks)
    top = features.filter(pl.col("top_rank_short_term").is_not_null()).sort("top_rank_short_term")
    assert chosen["track_uri"].to_list() == top["track_uri"].head(50).to_list()
    assert chosen.height == 50


def test_forgotten_favourites_were_played_often_but_not_for_six_months(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[6], now)
    chosen = _chosen(features, tracks)
    expected = features.filter(pl.col("liked") & (pl.col("play_count") >= 10)
                               & (pl.col("last_played_at") < now - dt.timedelta(days=180)))
    assert set(chosen["track_uri"]) == set(expected["track_uri"])
    assert chosen["play_count"].is_sorted(descending=True)


def test_never_played_are_the_liked_songs_without_a_play(demo):
    features, now = demo
    _, tracks = _evaluate(features, readme_examples()[7], now)
    chosen = _chosen(features, tracks)
    played = features.filter(pl.col("play_count") > 0)["track_id"]
    liked = features.filter(pl.col("liked"))
    assert 0 < chosen.height < liked.height
    assert set(chosen["track_uri"]) == set(liked.filter(~pl.col("track_id").is_in(played.implode()))["track_uri"])
