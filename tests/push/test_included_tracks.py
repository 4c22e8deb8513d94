"""`include` on the sandbox, end to end through Dagster: a track the user does not have is fetched once
(GET /v1/tracks/{id}), has its fields in track_features, is pushed in its place, and is never fetched again;
a track Spotify does not have is recorded as unavailable and left out, never a crash."""

import logging

import dagster as dg
import polars as pl

from assets.playlists import PLAYLISTS_ASSETS
from assets.playlists.included import INCLUDED_TABLE
from assets.playlists.push import MANAGED
from assets.playlists.tracklists import FEATURES_TABLE, TRACKLISTS_TABLE
from assets.spotify import SPOTIFY_ASSETS
from resources.rule_file import RuleFile

RULES = """\
users:
  alice:
    - name: Picks
      source: {playlist: Mix}
      sort: [{field: title, order: desc}]
      include: [tr300, "spotify:track:tr7", "spotify:track:tr1", "spotify:track:NoSuchTrack000000000000"]
"""
SINGLE_TRACK = "GET /v1/tracks/{track_id}"


def run_rules_and_push(spotify, warehouse, instance, rules) -> dg.ExecuteInProcessResult:
    result = dg.materialize(PLAYLISTS_ASSETS, partition_key="alice", instance=instance,
                            selection=[k for a in PLAYLISTS_ASSETS for k in a.keys if k.path[-1] != "name_keys"],
                            resources={"spotify": spotify, "warehouse": warehouse, "rule_file": RuleFile(path=str(rules))})
    assert result.success
    return result


def test_an_included_track_the_user_lacks_is_fetched_once_and_pushed(spotify, warehouse, remote, env):
    rules = env / "playlists.yaml"
    rules.write_text(RULES)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        assert dg.materialize(SPOTIFY_ASSETS, partition_key="alice", instance=instance,
                              resources={"spotify": spotify, "warehouse": warehouse}).success
        remote.reset()
        first = run_rules_and_push(spotify, warehouse, instance, rules)
        assert {route: n for route, n in remote.stats().items() if route.startswith("GET /v1/tracks")} == {
            SINGLE_TRACK: 3}  # tr300, tr7 and the one Spotify lacks; tr1 is alice's own (inline)

        features = warehouse.read(FEATURES_TABLE, "alice").sort("track_id")
        assert features.select("track_id", "title", "album", "release_year", "duration_ms", "in_library").rows() == [
            ("tr1", "Track 1", "Album 0", 2001, 180000, True),
            ("tr300", "Track 300", "Album 0", 2001, 180000, False),
            ("tr7", "Track 7", "Album 0", 2001, 180000, False),
        ]
        stored = warehouse.read(INCLUDED_TABLE, "alice").sort("track_id")
        assert stored.select("track_id", "status").rows() == [
            ("NoSuchTrack000000000000", "unavailable"), ("tr1", "inline"), ("tr300", "fetched"), ("tr7", "fetched")]
        warnings = [r.user_message for r in instance.all_logs(first.run_id) if r.level == logging.WARNING]
        assert any("'Picks' includes spotify:track:NoSuchTrack000000000000" in w for w in warnings)

        picks = warehouse.read(TRACKLISTS_TABLE, "alice").sort("position")
        # by title, descending: tracks without fields would sort last
        expected = ["spotify:track:tr7", "spotify:track:tr300", "spotify:track:tr1"]
        assert picks["track_uri"].to_list() == expected
        (playlist_id,) = warehouse.read(MANAGED, "alice")["playlist_id"].to_list()
        assert remote.uris(playlist_id) == expected

        remote.reset()
        run_rules_and_push(spotify, warehouse, instance, rules)
        assert [route for route in remote.stats() if route.startswith("GET /v1/tracks")] == []
        assert warehouse.read(INCLUDED_TABLE, "alice").sort("track_id").equals(stored)
        assert remote.uris(playlist_id) == expected


def test_a_track_another_user_fetched_is_not_fetched_again(spotify, warehouse, remote, env):
    """The cache is shared: a row fetched for one user serves every user who includes the same track."""
    rules = env / "playlists.yaml"
    rules.write_text(RULES)
    fetched_for_bob = pl.DataFrame({"track_id": ["tr300"], "status": ["fetched"], "name": ["Track 300 (cached)"],
                                    "child_playlists": [["Other"]]})
    warehouse.append(INCLUDED_TABLE, fetched_for_bob, user_id="bob")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        assert dg.materialize(SPOTIFY_ASSETS, partition_key="alice", instance=instance,
                              resources={"spotify": spotify, "warehouse": warehouse}).success
        remote.reset()
        run_rules_and_push(spotify, warehouse, instance, rules)
    assert remote.stats().get(SINGLE_TRACK) == 2  # tr7 and the unknown one; not tr300
    titles = dict(warehouse.read(FEATURES_TABLE, "alice").select("track_id", "title").rows())
    assert titles["tr300"] == "Track 300 (cached)"



def test_spotify_failing_leaves_the_fields_for_a_later_run_and_the_playlist_is_built(spotify, warehouse, remote, env):
    rules = env / "playlists.yaml"
    rules.write_text(RULES.replace(', "spotify:track:NoSuchTrack000000000000"', ""))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        assert dg.materialize(SPOTIFY_ASSETS, partition_key="alice", instance=instance,
                              resources={"spotify": spotify, "warehouse": warehouse}).success
        remote.fault(route=SINGLE_TRACK, status=503, times=spotify.max_get_attempts)  # every retry of the first
        run_rules_and_push(spotify, warehouse, instance, rules)
        assert warehouse.read(INCLUDED_TABLE, "alice").select("track_id", "status").rows() == [("tr1", "inline")]
        picks = warehouse.read(TRACKLISTS_TABLE, "alice")
        assert set(picks["track_uri"]) >= {"spotify:track:tr1", "spotify:track:tr300", "spotify:track:tr7"}

        run_rules_and_push(spotify, warehouse, instance, rules)
        assert sorted(warehouse.read(INCLUDED_TABLE, "alice").select("track_id", "status").rows()) == [
            ("tr1", "inline"), ("tr300", "fetched"), ("tr7", "fetched")]
