"""Tables as assets: every warehouse table is one asset spec that names its table."""

from collections.abc import Iterable

import dagster as dg

from assets.kinds import storage_kind

TABLE_NAME = "dagster/table_name"


def table_spec(key: list[str], table: str, description: str, *, kinds: Iterable[str] = (), **kwargs) -> dg.AssetSpec:
    """The spec of the asset that owns `table`: its group is its key prefix."""
    return dg.AssetSpec(key, description=description, group_name=key[0], kinds={*kinds, storage_kind()},
                        metadata={TABLE_NAME: table, **kwargs.pop("metadata", {})}, **kwargs)


def table_of(spec: dg.AssetSpec) -> str | None:
    return spec.metadata.get(TABLE_NAME)


def keys_by_table(assets: Iterable[dg.AssetsDefinition]) -> dict[str, dg.AssetKey]:
    """`schema.table` -> the key of the one asset that writes it."""
    return {table_of(spec): spec.key for a in assets for spec in a.specs if table_of(spec)}
