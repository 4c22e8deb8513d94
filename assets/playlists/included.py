"""The tracks the user's rules `include`, with their fields, so a child playlist holds them whether or not the
user has them: read from the user's inline track objects when they are there, otherwise fetched once from
Spotify's single-track endpoint (development mode has no batch lookup) and kept, for every user."""

from datetime import datetime

import dagster as dg
import polars as pl

from assets.automation import PUSH_WHEN_CHANGED
from assets.kinds import storage_kind
from assets.partitions import spotify_users
from assets.playlists.rules import ChildPlaylist, RuleFileError, load_rules
from assets.spend import record_spend
from assets.spotify.catalog import track_objects
from assets.spotify.library import LIKED_OBJECTS, LIKED_OBJECTS_KEY
from assets.spotify.parse import track_object_row
from assets.spotify.playlist_items import PLAYLIST_OBJECTS, PLAYLIST_OBJECTS_KEY
from assets.spotify.state import read_tables, same_rows
from assets.tables import table_metadata
from resources.budget import OutOfBudget, pausable, utc_naive
from resources.rule_file import RuleFile
from resources.spotify import SpotifyResource
from resources.spotify_errors import SpotifyBadRequest, SpotifyError, SpotifyNotFound
from resources.warehouse import Warehouse, polars_schema

INCLUDED_TABLE = "raw.included_tracks"
INCLUDED_KEY = dg.AssetKey(["playlists", "included_tracks"])
TRACK_PREFIX = "spotify:track:"
INLINE, FETCHED, UNAVAILABLE = "inline", "fetched", "unavailable"
POOL = "duckdb_write"


def included_ids(playlists: list[ChildPlaylist]) -> dict[str, list[str]]:
    """Track id -> the child playlists whose rules include it (catalog tracks only: a local file has no
    catalog entry to read)."""
    wanted: dict[str, list[str]] = {}
    for p in playlists:
        for uri in p.include_uris:
            if uri.startswith(TRACK_PREFIX):
                wanted.setdefault(uri.removeprefix(TRACK_PREFIX), []).append(p.name)
    return wanted


def known_rows(wanted: dict[str, list[str]], objects: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The rows of the wanted tracks already known, and the ids still to fetch. `objects`: the user's inline
    track objects; `stored`: raw.included_tracks, every user's rows. A track stored for any user, with its
    fields or as unavailable (a 404), is never asked for again; one copied from another user is `fetched`."""
    schema = polars_schema(INCLUDED_TABLE, user_id=False)
    fields = [c for c in schema if c not in ("track_id", "status", "child_playlists", "fetched_at")]
    ids = pl.DataFrame({"track_id": list(wanted), "child_playlists": list(wanted.values())},
                       schema={"track_id": pl.String, "child_playlists": pl.List(pl.String)})
    inline = objects.join(ids.select("track_id"), on="track_id").select(
        "track_id", pl.lit(INLINE).alias("status"), *fields, pl.lit(None).alias("fetched_at"))
    earlier = (stored.join(ids.select("track_id"), on="track_id").join(inline.select("track_id"), on="track_id", how="anti")
               .sort("fetched_at", nulls_last=False).unique("track_id", keep="last", maintain_order=True)
               .with_columns(status=pl.when(pl.col("status") == UNAVAILABLE).then(pl.col("status")).otherwise(pl.lit(FETCHED))))
    known = pl.concat([part.select(inline.columns).cast({c: schema[c] for c in inline.columns})
                       for part in (inline, earlier)])
    rows = ids.join(known, on="track_id", how="inner", maintain_order="left").select(list(schema))
    return rows, [track_id for track_id in wanted if track_id not in set(rows["track_id"])]


def unavailable_uris(warehouse: Warehouse, user: str) -> set[str]:
    """The included tracks Spotify answered it does not have: they cannot be added to a playlist."""
    rows = warehouse.query(f"select track_id from {INCLUDED_TABLE} where user_id = ? and status = ?", [user, UNAVAILABLE])
    return {TRACK_PREFIX + track_id for track_id in rows["track_id"]}


def fetched_row(track_id: str, track: dict | None, child_playlists: list[str], at: datetime) -> dict:
    """A fetched track's row; `track` None: Spotify has no such track (recorded so it is not asked again)."""
    fields = track_object_row(track) if track else None
    return {**(fields or {}), "track_id": track_id, "status": FETCHED if fields else UNAVAILABLE,
            "child_playlists": child_playlists, "fetched_at": at}


def fetch_tracks(spotify: SpotifyResource, user: str, wanted: dict[str, list[str]]) -> tuple[list[dict], str | None]:
    """A row for each wanted track from GET /v1/tracks/{id}, in order, until the budget or Spotify stops it
    (then also why): what was fetched is kept, the rest waits for a later run."""
    fetched = []
    for track_id, child_playlists in wanted.items():
        try:
            track = pausable(lambda t=track_id: spotify.track(user, t))
        except (SpotifyNotFound, SpotifyBadRequest):  # 404, or 400 for an id that cannot be one
            track = None
        except (OutOfBudget, SpotifyError) as stop:  # the budget, or Spotify failing after its retries
            return fetched, str(stop)
        fetched.append(fetched_row(track_id, track, child_playlists, utc_naive(spotify.time_source.time())))
    return fetched, None


def unavailable_warning(user: str, row: dict) -> str:
    names = ", ".join(repr(n) for n in row["child_playlists"])
    return (f"user {user!r}: child playlist {names} includes {TRACK_PREFIX}{row['track_id']}, which Spotify says "
            "it does not have; it is recorded as unavailable (never asked for again) and left out of the playlist")


@dg.asset(
    key=INCLUDED_KEY,
    deps=[LIKED_OBJECTS_KEY, PLAYLIST_OBJECTS_KEY],
    partitions_def=spotify_users,
    group_name="playlists",
    kinds={"spotify", storage_kind()},
    pool=POOL,
    automation_condition=PUSH_WHEN_CHANGED,
    metadata=table_metadata(INCLUDED_TABLE),
)
def included_tracks(context: dg.AssetExecutionContext, warehouse: Warehouse, spotify: SpotifyResource,
                    rule_file: RuleFile) -> dg.MaterializeResult:
    """Every track the user's child-playlist rules include, with its fields: inline, or fetched once from Spotify."""
    user = context.partition_key
    try:
        playlists, _ = load_rules(rule_file.path, rule_file.max_bytes, rule_file.max_child_playlists).for_user(user)
    except RuleFileError as error:  # the tracklists asset reports it; the rows stored stay as they were
        context.log.warning(f"included tracks left as they were: the rule file cannot be used: {error}")
        return dg.MaterializeResult(metadata={"dagster/row_count": warehouse.read(INCLUDED_TABLE, user).height})
    wanted = included_ids(playlists)
    tables = read_tables(warehouse, user, [LIKED_OBJECTS, PLAYLIST_OBJECTS, INCLUDED_TABLE])
    objects = track_objects(tables[LIKED_OBJECTS], tables[PLAYLIST_OBJECTS])
    rows, missing = known_rows(wanted, objects, warehouse.read(INCLUDED_TABLE))
    fetched, stopped = fetch_tracks(spotify, user, {t: wanted[t] for t in missing})
    if stopped:
        context.log.warning(f"included tracks: fetching stopped, {len(missing) - len(fetched)} left for a later "
                            f"run: {stopped}")
    if fetched:
        rows = pl.concat([rows, pl.DataFrame(fetched, schema=polars_schema(INCLUDED_TABLE, user_id=False))])
    for row in rows.filter(pl.col("status") == UNAVAILABLE).to_dicts():
        context.log.warning(unavailable_warning(user, row))
    old = tables[INCLUDED_TABLE].drop("user_id")
    if not same_rows(old, rows):
        warehouse.replace_partition(INCLUDED_TABLE, user, rows)
    statuses = dict(rows.group_by("status").len().iter_rows())
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows.height,
        **{status: statuses.get(status, 0) for status in (INLINE, FETCHED, UNAVAILABLE)},
        "fetched_now": len(fetched),
        "unavailable_tracks": dg.MetadataValue.json(
            rows.filter(pl.col("status") == UNAVAILABLE).select("track_id", "child_playlists").to_dicts()),
        **record_spend(context, spotify.ledger),
        **({"stopped": stopped} if stopped else {}),
    })
