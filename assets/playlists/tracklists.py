"""Track features per user (sql/marts/track_features.sql) and the child-playlist tracklists evaluated from them."""

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import EAGER, REFRESH_WHEN_STALE
from assets.enrichment import ENRICH_ASSETS
from assets.kinds import storage_kind
from assets.normalise import normalise
from assets.partitions import spotify_users
from assets.spotify import SPOTIFY_ASSETS
from assets.spotify.catalog import ARTISTS_KEY, TRACKS_KEY
from assets.tables import TABLE_NAME, keys_by_table
from assets.playlists.rules import (ALL_FIELDS, DEVMODE_MISSING, Evaluation, RuleFileError, conform, evaluate,
                                    load_rules)
from resources.rule_file import RuleFile
from resources.warehouse import SQL_DIR, Warehouse

FEATURES_TABLE = "marts.track_features"
TRACKLISTS_TABLE = "marts.child_playlist_tracks"
NAME_KEYS_TABLE = "marts.name_keys"
FEATURES_SQL = SQL_DIR / "marts" / "track_features.sql"
POOL = "duckdb_write"


def _inputs() -> list[dg.AssetKey]:
    """The assets whose tables the features select reads, from its `-- deps:` line."""
    line = next(line for line in FEATURES_SQL.read_text().splitlines() if line.startswith("-- deps:"))
    tables = [t.strip() for t in line.removeprefix("-- deps:").split(",")]
    keys = {**keys_by_table([*SPOTIFY_ASSETS, *ENRICH_ASSETS]), NAME_KEYS_TABLE: NAME_KEYS_KEY}
    return [keys[t] for t in tables]


NAME_KEYS_KEY = dg.AssetKey(["playlists", "name_keys"])
FEATURES_KEY = dg.AssetKey(["playlists", "track_features"])
TRACKLISTS_KEY = dg.AssetKey(["playlists", "child_playlist_tracks"])


@dg.asset(
    key=NAME_KEYS_KEY,
    deps=[TRACKS_KEY, ARTISTS_KEY],
    group_name="playlists",
    kinds={"python", storage_kind()},
    pool=POOL,
    automation_condition=REFRESH_WHEN_STALE,  # shared: one user's missing catalog must not hold it back
    metadata={TABLE_NAME: NAME_KEYS_TABLE},
)
def name_keys(warehouse: Warehouse) -> dg.MaterializeResult:
    """Normalised keys of every catalog title and artist name, for joining the Last.fm and MusicBrainz caches."""
    added = refresh_name_keys(warehouse)
    return dg.MaterializeResult(metadata={"added": added})


def refresh_name_keys(warehouse: Warehouse) -> int:
    """Add normalise(name) for catalog titles and artist names the key table lacks; returns how many."""
    missing = warehouse.query(
        "select distinct name from (select name from raw.tracks union all "
        "select unnest(artist_names) as name from raw.tracks) "
        f"where name is not null and name not in (select name from {NAME_KEYS_TABLE})")
    if missing.is_empty():
        return 0
    keys = missing.with_columns(key=pl.col("name").map_elements(normalise, return_dtype=pl.String))
    return warehouse.append(NAME_KEYS_TABLE, keys)


def read_features(warehouse: Warehouse, user_id: str) -> pl.DataFrame:
    return conform(warehouse.read(FEATURES_TABLE, user_id))


def fields_for(features: pl.DataFrame, profile: str = "auto") -> frozenset[str]:
    """Rule fields the access profile fills; "auto" reads it off the data (devmode: popularity all null)."""
    if profile == "auto":
        profile = "extended" if features["popularity"].drop_nulls().len() > 0 else "devmode"
    return ALL_FIELDS - DEVMODE_MISSING if profile == "devmode" else ALL_FIELDS


def evaluate_user(features: pl.DataFrame, rules_file: str | Path, user_id: str, now: dt.datetime,
                  profile: str = "auto") -> Evaluation:
    """The user's tracklists and every error in the rule file that concerns them.
    Raises RuleFileError when the file cannot be used at all (then nothing is evaluated)."""
    rules = load_rules(rules_file)
    playlists, cross_errors = rules.for_user(user_id)
    result = evaluate(features, playlists, user_id=user_id, now=now, available_fields=fields_for(features, profile))
    own = [e for e in rules.errors if e.path.startswith(("defaults", f"users.{user_id}["))]
    result.errors = own + cross_errors + result.errors
    return result


class TracklistsConfig(dg.Config):
    rules_file: str | None = Field(None, description="the rule file; default the rule_file resource's (MIXTAPE_RULES)")
    profile: str = Field("auto", description="auto (from the data), devmode or extended")
    now: str | None = Field(None, description="naive-UTC ISO time the rules are evaluated at; default now")


@dg.asset(
    key=FEATURES_KEY,
    deps=_inputs(),
    partitions_def=spotify_users,
    group_name="playlists",
    kinds={"sql", storage_kind()},
    pool=POOL,
    automation_condition=EAGER,
    metadata={TABLE_NAME: FEATURES_TABLE},
)
def track_features(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """One row per track the user has, with every field the child-playlist rules can filter on."""
    user = context.partition_key
    rows = warehouse.query(f"select * from ({FEATURES_SQL.read_text().strip().rstrip(';')}) where user_id = ?", [user])
    count = warehouse.replace_partition(FEATURES_TABLE, user, rows)
    return dg.MaterializeResult(metadata={"dagster/row_count": count,
                                          "with_bpm": rows["bpm"].drop_nulls().len(),
                                          "with_genres": rows["genres"].drop_nulls().len()})


@dg.asset(
    key=TRACKLISTS_KEY,
    deps=[track_features],
    partitions_def=spotify_users,
    group_name="playlists",
    kinds={"polars", storage_kind()},
    pool=POOL,
    automation_condition=EAGER,
    metadata={TABLE_NAME: TRACKLISTS_TABLE},
)
def child_playlist_tracks(context: dg.AssetExecutionContext, config: TracklistsConfig,
                          warehouse: Warehouse, rule_file: RuleFile) -> dg.MaterializeResult:
    """The tracklist of each of the user's child playlists, evaluated from the rule file in one pass."""
    user = context.partition_key
    rules_file = config.rules_file or rule_file.path
    now = dt.datetime.fromisoformat(config.now) if config.now else dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        result = evaluate_user(read_features(warehouse, user), rules_file, user, now, config.profile)
    except RuleFileError as error:  # nothing is evaluated and the tracklists stay as they were
        raise dg.Failure(description=f"the rule file cannot be used:\n{error}") from None
    for error in result.errors:
        context.log.warning(f"child playlist skipped: {error}")
    rows = result.tracks.with_columns(evaluated_at=pl.lit(now))
    count = warehouse.replace_partition(TRACKLISTS_TABLE, user, rows)
    counts = result.counts()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": count,
        "rows_per_child_playlist": dg.MetadataValue.json(counts),
        "invalid_rules": dg.MetadataValue.json([str(e) for e in result.errors]),
        "invalid_count": len(result.errors),
        "rules_file": str(rules_file),
    })


TRACKLIST_ASSETS = [name_keys, track_features, child_playlist_tracks]
