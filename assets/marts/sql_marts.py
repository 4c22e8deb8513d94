"""The SQL marts: each `sql/marts/<name>.sql` select becomes the asset `marts/<name>`.

A mart file starts with a one-line comment (the asset's description) and may name its inputs in a
`-- deps: raw.tracks, enrich.deezer_tracks` line. Marts with a `user_id` column are per user and
materialize one partition at a time; the others replace the whole table.
"""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.automation import EAGER, REFRESH_WHEN_STALE
from assets.partitions import spotify_users
from assets.tables import rows_metadata, table_spec
from resources.warehouse import SQL_DIR, Warehouse, is_user_partitioned, mart_columns

MARTS_DIR = SQL_DIR / "marts"
POOL = "duckdb_write"

# Marts that the playlists domain materializes itself (the rule engine's input).
BUILT_ELSEWHERE = {"track_features"}


@dataclass(frozen=True)
class MartFile:
    name: str
    sql: str
    description: str
    deps: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"marts.{self.name}"


def parse_mart(path: Path) -> MartFile:
    """A mart's name, select, first-comment description and declared input tables."""
    text = path.read_text()
    lines = [line.strip() for line in text.splitlines()]
    comments = [line.removeprefix("--").strip() for line in lines if line.startswith("--")]
    description = next((c for c in comments if not c.startswith("deps:")), path.stem)
    deps = tuple(
        dep.strip().lower()
        for c in comments if c.startswith("deps:")
        for dep in c.removeprefix("deps:").split(",") if dep.strip()
    )
    return MartFile(name=path.stem, sql=text.strip().rstrip(";"), description=description, deps=deps)


def mart_files() -> list[MartFile]:
    return [parse_mart(p) for p in sorted(MARTS_DIR.glob("*.sql")) if p.stem not in BUILT_ELSEWHERE]


def is_per_user(mart: MartFile) -> bool:
    """Per-user marts have a user_id column."""
    return is_user_partitioned(mart.table)


def mart_key(mart: MartFile) -> dg.AssetKey:
    return dg.AssetKey(["marts", mart.name])


def build_mart_asset(mart: MartFile, per_user: bool, keys: dict[str, dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset of one mart; `keys` maps each input table to the asset that writes it."""
    spec = table_spec(mart_key(mart).path, mart.table, mart.description, kinds={"sql"},
                      deps=[keys[t] for t in mart.deps],
                      partitions_def=spotify_users if per_user else None,
                      # per user: rebuild when that user's inputs changed; shared: when any input changed
                      automation_condition=EAGER if per_user else REFRESH_WHEN_STALE,
                      metadata={"sql": dg.MetadataValue.md(f"```sql\n{mart.sql}\n```")})

    @dg.multi_asset(specs=[spec], name=f"marts__{mart.name}", pool=POOL)
    def _mart(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        if reshape_if_changed(warehouse, mart):
            context.log.info("%s changed its columns: table recreated, other partitions rebuild on their runs", mart.table)
        user = context.partition_key if per_user else None
        if per_user:
            rows = warehouse.query(f"select * from ({mart.sql}) where user_id = ?", [user])
            warehouse.replace_partition(mart.table, user, rows)
        else:
            warehouse.replace_table(mart.table, warehouse.query(mart.sql))
        return dg.MaterializeResult(metadata=rows_metadata(warehouse, mart.table, user))

    return _mart


def reshape_if_changed(warehouse: Warehouse, mart: MartFile) -> bool:
    """A DuckDB mart table made from an older version of its select is recreated with the new columns.

    (`create table if not exists` keeps the old shape, and inserting the new rows would then fail.)
    Parquet needs nothing: its readers union files by column name.
    """
    if not warehouse.is_duckdb:
        return False
    with warehouse.connect() as con:
        stored = tuple(row[0] for row in con.sql(f"describe {mart.table}").fetchall())
        if stored == mart_columns(mart.table):
            return False
        con.execute(f"create or replace table {mart.table} as select * from ({mart.sql}) limit 0")
        return True


def build_mart_assets(upstream: dict[str, dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """Every mart's asset; a mart may read the tables of `upstream` assets and other marts."""
    marts = mart_files()
    keys = {**upstream, **{m.table: mart_key(m) for m in marts}}
    return [build_mart_asset(m, is_per_user(m), keys) for m in marts]
