"""Demo warehouses for the SQL tests, in both storage modes.

The demo warehouse is built as `make demo` builds it, only smaller: a library from the sandbox generator
with the demo's seed and users (fewer songs than `demo_library()`, so it takes seconds), served by the
sandbox in development mode; both users log in, and the real ingestion and enrichment assets fill the
raw and enrich tables over HTTP. Sync events are rows made by the push's own event functions; then
every mart is materialized (with the rules engineer's track features and the demo rule file's
tracklists). The hand-made `small_library()` (figures worked out by hand) is seeded
straight into the raw tables.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests

from assets import enrichment as enrichment_domain
from assets import listening as listening_domain
from assets.listening.plays import imports_dir
from assets.marts import MART_ASSETS
from assets.ops.api_requests import api_requests
from assets.playlists.sync_events import COMPLETED, FAILED, finish_event, start_event, to_frame
from assets.playlists.tracklists import TRACKLIST_ASSETS
from assets.spotify import SPOTIFY_ASSETS
from pipelines.commands.login import login
from resources.deezer import DeezerResource
from resources.http import Timing, with_timing
from resources.lastfm import LastfmResource
from resources.musicbrainz import MusicbrainzResource
from sandbox import start_sandbox
from sandbox.generator import generate_library
from sandbox.plays import listening, write_export
from resources.settings import Settings
from resources.spotify import SpotifyResource
from resources.rule_file import RuleFile
from resources.warehouse import Warehouse
from tests.sql.demo import seed_raw_tables
from tests.sql.library import small_library

DEMO_RULES = Path(__file__).resolve().parents[2] / "playlists.yaml"


@pytest.fixture(scope="session", params=["duckdb", "parquet"])
def demo_warehouse(request, tmp_path_factory) -> Warehouse:
    """Built once per storage mode: tests only read it."""
    warehouse = empty_warehouse(request.param, tmp_path_factory.mktemp(f"demo-{request.param}"))
    build_demo_warehouse(warehouse)
    return warehouse


@pytest.fixture(scope="session", params=["duckdb", "parquet"])
def small_warehouse(request, tmp_path_factory) -> Warehouse:
    """The hand-made `small_library()` (figures worked out by hand), raw tables and marts only."""
    warehouse = empty_warehouse(request.param, tmp_path_factory.mktemp(f"small-{request.param}"))
    library = small_library()
    users = [u.id for u in library.users]
    seed_raw_tables(warehouse, library, users)
    materialize_marts(warehouse, users)
    return warehouse


def empty_warehouse(storage: str, directory: Path) -> Warehouse:
    if storage == "duckdb":
        return Warehouse(storage="duckdb", data_dir=str(directory))
    return Warehouse(storage=str(directory / "lake"), data_dir=str(directory))


def build_demo_warehouse(warehouse: Warehouse) -> None:
    library = demo_sized_library()
    users = [u.id for u in library.users if library.liked.get(u.id)]
    with start_sandbox(library) as sandbox:
        ingest(sandbox, warehouse, users)
        listen(sandbox, warehouse, users)
        enrich(sandbox, warehouse)
    seed_sync_events(warehouse, users)
    materialize_marts(warehouse, users)
    api_requests(warehouse)  # the request ledger copied into ops.api_requests, as `mixtape run` does last


def demo_sized_library():
    return generate_library(seed=2026, users=["demo", "friend"], liked=60, playlists=5, big_playlist=20)


def ingest(sandbox, warehouse: Warehouse, users: list[str]) -> None:
    """Each user logs in (token in the data dir) and the Spotify assets run for their partition."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    with pytest.MonkeyPatch.context() as env:
        for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "SPOTIFY_REDIRECT_URI"):
            env.delenv(name, raising=False)
        env.setenv("SPOTIFY_API_BASE", sandbox.url)
        env.setenv("SPOTIFY_ACCOUNTS_BASE", sandbox.url)
        env.setenv("MIXTAPE_DATA_DIR", warehouse.data_dir)
        env.chdir(warehouse.data_dir)  # no stray .env from the project
        for user in users:
            requests.post(f"{sandbox.url}/_sandbox/session", json={"user": user}, timeout=5).raise_for_status()
            login(Settings.from_env(), user, open_browser=False, timeout_s=5, say=lambda *_: None)
            spotify = SpotifyResource(api_base=sandbox.url, accounts_base=sandbox.url, data_dir=warehouse.data_dir)
            result = dg.materialize(SPOTIFY_ASSETS, partition_key=user, instance=instance,
                                    resources={"warehouse": warehouse, "spotify": spotify})
            assert result.success


def listen(sandbox, warehouse: Warehouse, users: list[str]) -> None:
    """The listening assets as `mixtape run`'s ingest stage runs them (top items too), over four weeks of
    plays up to now: the demo user's export dropped and imported, every user's recently-played read and
    (the sandbox's user of the same name) Last.fm scrobbles, merged."""
    library, now = sandbox.world.library, datetime.fromtimestamp(sandbox.world.clock.now(), UTC).replace(tzinfo=None)
    library.plays = {user: listening(library, user, now - timedelta(days=28), now) for user in users}
    sandbox.world.load(library)
    write_export(library, "demo", imports_dir(warehouse.data_dir, "demo"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    resources = {"warehouse": warehouse,
                 "spotify": SpotifyResource(api_base=sandbox.url, accounts_base=sandbox.url, data_dir=warehouse.data_dir),
                 "lastfm": LastfmResource(base_url=sandbox.base_urls["LASTFM_API_BASE"], data_dir=warehouse.data_dir,
                                          usernames=",".join(f"{u}={u}" for u in users))}
    for user in users:
        assert dg.materialize(list(listening_domain.defs.assets), partition_key=user, instance=instance,
                              resources=resources).success


def enrich(sandbox, warehouse: Warehouse) -> None:
    timing = Timing(clock=sandbox.world.clock.now, sleep=sandbox.world.clock.advance)  # no real waiting
    urls = sandbox.base_urls
    resources = {
        "warehouse": warehouse,
        "deezer": with_timing(DeezerResource(base_url=urls["DEEZER_API_BASE"], data_dir=warehouse.data_dir), timing),
        "lastfm": with_timing(LastfmResource(base_url=urls["LASTFM_API_BASE"], data_dir=warehouse.data_dir), timing),
        "musicbrainz": with_timing(MusicbrainzResource(base_url=urls["MUSICBRAINZ_API_BASE"], data_dir=warehouse.data_dir),
                                   timing),
    }
    now = datetime.fromtimestamp(sandbox.world.clock.now(), UTC).replace(tzinfo=None).isoformat()
    enrichment = list(enrichment_domain.defs.assets)  # the lookups and the genre list, as the enrich job runs them
    config = {"ops": {a.op.name: {"config": {"as_of": now}} for a in enrichment}}
    assert dg.materialize(enrichment, resources=resources, run_config=config).success


def seed_sync_events(warehouse: Warehouse, users: list[str]) -> None:
    start = datetime(2026, 1, 5, 9, 0)
    for n, user in enumerate(users):
        first = start_event(user, "Upbeat", start + timedelta(days=n), base_source="liked")
        second = start_event(user, "Upbeat", start + timedelta(days=n + 1), base_source="liked")
        events = [
            finish_event({**first, "adds": 40}, COMPLETED, first["started_at"] + timedelta(seconds=4),
                         playlist_ids=["p1"], tracks=40, api_requests=3, write_requests=1),
            finish_event(second, FAILED, second["started_at"] + timedelta(seconds=2), error="502 from Spotify"),
        ]
        warehouse.replace_partition("ops.sync_events", user, to_frame(events))


def materialize_marts(warehouse: Warehouse, users: list[str]) -> None:
    """Every mart, with the rules engineer's track features and the demo rule file's tracklists."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    per_user = [*TRACKLIST_ASSETS, *(a for a in MART_ASSETS if a.partitions_def is not None)]
    shared = [a for a in MART_ASSETS if a.partitions_def is None]
    rules = {"ops": {"playlists__child_playlist_tracks": {"config": {"rules_file": str(DEMO_RULES)}}}}
    for user in users:
        result = dg.materialize(per_user, partition_key=user, instance=instance,
                                resources={"warehouse": warehouse, "rule_file": RuleFile()}, run_config=rules)
        assert result.success
    if shared:
        assert dg.materialize(shared, instance=instance, resources={"warehouse": warehouse}).success
