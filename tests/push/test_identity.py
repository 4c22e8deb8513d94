"""A managed playlist is known by its child playlist's id (the rule's `id`, default its name): a rule
renamed under the same id renames the same Spotify playlist; renamed without an id it is a new child
playlist, and the old playlist, like the playlist of a deleted rule, is left alone and reported as
orphaned. Checked on the sandbox's own playlists and request counts."""

import dagster as dg

from assets.playlists import sync_events as events
from assets.playlists.push import MANAGED, PushConfig, marker_of, orphaned_children, push_playlists, push_user, utcnow
from assets.playlists.tracklists import child_playlist_tracks, track_features
from resources.rule_file import RuleFile
from tests.push.conftest import uri
from tests.push.test_push_asset import ingest

RUNNING = [uri(i) for i in range(120)]
WALKING = [uri(i) for i in range(200, 230)]


def push(spotify, warehouse, clock, children: dict[str, tuple[str | None, list[str]]], warnings: list | None = None):
    """Push alice's child playlists ({name: (id or None, uris)}) as the asset does; returns the events."""
    wanted = {name: {"uris": uris, "rule_hash": "r1", "base_source": "liked", "child_id": child_id}
              for name, (child_id, uris) in children.items()}
    warn = warnings.append if warnings is not None else (lambda _: None)
    return push_user(spotify, warehouse, "alice", wanted, PushConfig(), run_id="test", log=lambda _: None,
                     clock=clock, sleep=clock.sleep, now=utcnow, warn=warn)


def managed(warehouse) -> dict[str, dict]:
    """alice's managed playlist rows by child id."""
    return {row["child_id"]: row for row in warehouse.read(MANAGED, user_id="alice").to_dicts()}


def test_a_rule_renamed_under_its_id_renames_the_same_playlist(spotify, warehouse, remote, clock):
    push(spotify, warehouse, clock, {"Running": ("run", RUNNING)})
    playlist_id = managed(warehouse)["run"]["playlist_id"]
    remote.reset()

    (event,) = push(spotify, warehouse, clock, {"Running 160-180": ("run", RUNNING)})

    assert event["status"] == events.COMPLETED and event["write_requests"] == 1
    stats = remote.stats()
    assert stats.get("POST /v1/me/playlists", 0) == 0 and stats["PUT /v1/playlists/{playlist_id}"] == 1
    assert remote.writes() == {}  # the tracks stay as they are
    playlist = remote.playlist(playlist_id)
    assert playlist["name"] == "Running 160-180"
    assert playlist["description"].endswith(marker_of("alice", "run"))
    assert "“Running 160-180”" in playlist["description"]
    assert remote.uris(playlist_id) == RUNNING
    row = managed(warehouse)["run"]
    assert (row["playlist_id"], row["child_playlist"], row["name"]) == (playlist_id, *["Running 160-180"] * 2)

    remote.reset()
    (again,) = push(spotify, warehouse, clock, {"Running 160-180": ("run", RUNNING + WALKING)})
    assert remote.stats().get("PUT /v1/playlists/{playlist_id}", 0) == 0  # renamed once
    assert again["status"] == events.COMPLETED and remote.uris(playlist_id) == RUNNING + WALKING


def test_a_rule_renamed_without_an_id_is_a_new_playlist_and_the_old_one_is_orphaned(spotify, warehouse, remote,
                                                                                        clock):
    push(spotify, warehouse, clock, {"Running": (None, RUNNING)})
    old_id = managed(warehouse)["Running"]["playlist_id"]
    remote.reset()
    warnings: list[str] = []

    push(spotify, warehouse, clock, {"Jogging": (None, RUNNING)}, warnings)

    assert remote.stats()["POST /v1/me/playlists"] == 1
    assert remote.stats().get("PUT /v1/playlists/{playlist_id}", 0) == 0
    rows = managed(warehouse)
    assert set(rows) == {"Running", "Jogging"} and rows["Jogging"]["playlist_id"] != old_id
    old = remote.playlist(old_id)
    assert old["name"] == "Running" and remote.uris(old_id) == RUNNING  # untouched
    assert orphaned_children(warehouse, "alice", {"Jogging": {"child_id": None}}) == ["Running"]
    assert any(w.startswith("Running: its rule is gone") and "orphaned" in w for w in warnings)


def test_a_deleted_rule_leaves_its_playlist_alone_and_reports_it_orphaned(spotify, warehouse, remote, clock):
    push(spotify, warehouse, clock, {"Running": ("run", RUNNING), "Walking": (None, WALKING)})
    walking_id = managed(warehouse)["Walking"]["playlist_id"]
    remote.reset()
    warnings: list[str] = []

    push(spotify, warehouse, clock, {"Running": ("run", RUNNING)}, warnings)

    assert not any(route.split()[0] in ("POST", "PUT", "DELETE") for route in remote.stats())
    assert remote.playlist(walking_id)["name"] == "Walking" and remote.uris(walking_id) == WALKING
    assert "Walking" in managed(warehouse)  # still known, so a rule brought back finds it again
    assert orphaned_children(warehouse, "alice", {"Running": {"child_id": "run"}}) == ["Walking"]
    assert warnings == ["Walking: its rule is gone; its Spotify playlist is left as it is (orphaned, never deleted)"]


def test_a_rule_given_an_id_keeps_its_playlist_and_is_marked_with_the_id(spotify, warehouse, remote, clock):
    push(spotify, warehouse, clock, {"Running": (None, RUNNING)})
    playlist_id = managed(warehouse)["Running"]["playlist_id"]
    assert orphaned_children(warehouse, "alice", {"Running": {"child_id": "run"}}) == []
    remote.reset()

    push(spotify, warehouse, clock, {"Running": ("run", RUNNING)})

    stats = remote.stats()
    assert stats.get("POST /v1/me/playlists", 0) == 0 and stats["PUT /v1/playlists/{playlist_id}"] == 1
    assert remote.playlist(playlist_id)["description"].endswith(marker_of("alice", "run"))
    rows = managed(warehouse)
    assert set(rows) == {"run"} and rows["run"]["playlist_id"] == playlist_id


def build_and_push(spotify, warehouse, instance, rules_file) -> None:
    """The rules stage and the push stage of a run, as Dagster runs them, with `rules_file`."""
    resources = {"spotify": spotify, "warehouse": warehouse, "rule_file": RuleFile(path=str(rules_file))}
    assert dg.materialize([track_features, child_playlist_tracks, push_playlists], partition_key="alice",
                          instance=instance, resources=resources).success


def test_a_rule_renamed_in_the_rule_file_renames_its_playlist_through_the_assets(spotify, warehouse, remote,
                                                                                  tmp_path):
    rules = tmp_path / "playlists.yaml"
    rules.write_text("defaults:\n  - name: Mixed\n    id: mixed\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("spotify_users", ["alice"])
        ingest(spotify, warehouse, instance)
        build_and_push(spotify, warehouse, instance, rules)
        (playlist_id,) = warehouse.read(MANAGED, user_id="alice")["playlist_id"].to_list()
        remote.reset()

        rules.write_text("defaults:\n  - name: Mixed again\n    id: mixed\n")
        build_and_push(spotify, warehouse, instance, rules)

    assert remote.stats().get("POST /v1/me/playlists", 0) == 0
    assert remote.playlist(playlist_id)["name"] == "Mixed again" and remote.uris(playlist_id) == [uri(1)]
    summary = warehouse.read("marts.child_playlists", user_id="alice")
    assert summary.select("child_playlist", "child_id").rows() == [("Mixed again", "mixed")]
    assert warehouse.read(MANAGED, user_id="alice").select("child_id", "playlist_id").rows() == [("mixed", playlist_id)]


def test_a_rename_whose_answer_is_lost_is_sent_again_by_the_next_push(spotify, warehouse, remote, clock):
    push(spotify, warehouse, clock, {"Running": ("run", RUNNING)})
    playlist_id = managed(warehouse)["run"]["playlist_id"]
    remote.fault(route="PUT /v1/playlists/{playlist_id}", status=502, apply=True)

    (failed,) = push(spotify, warehouse, clock, {"Jogging": ("run", RUNNING)})

    assert failed["status"] == events.FAILED and '"outcome": "uncertain"' in failed["applied"]
    assert remote.playlist(playlist_id)["name"] == "Jogging"  # it landed, but mixtape cannot know
    assert managed(warehouse)["run"]["name"] == "Running"
    remote.reset()
    (again,) = push(spotify, warehouse, clock, {"Jogging": ("run", RUNNING)})
    assert again["status"] == events.COMPLETED and remote.stats()["PUT /v1/playlists/{playlist_id}"] == 1
    assert remote.stats().get("POST /v1/me/playlists", 0) == 0
    assert managed(warehouse)["run"]["name"] == "Jogging" and remote.playlist(playlist_id)["name"] == "Jogging"
