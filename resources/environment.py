"""What every `mixtape` command reads before anything else, without pydantic (so `mixtape sql -c` starts in
a fraction of a second): `.env` exported into the environment, and where the warehouse is.
resources/settings.py reads every other setting."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

DATA_DIR = "data"
ENV_FILE = ".env"


def export_dotenv(path: str | Path = ENV_FILE) -> None:
    """Put the variables of `.env` into the environment, without overriding any already set (as
    Dagster's own commands do), so the resources' `EnvVar`s see them in `mixtape` commands too."""
    for name, value in dotenv_values(path).items():
        if value is not None:
            os.environ.setdefault(name, value)


def warehouse_location() -> tuple[Path, str]:
    """The data directory and the storage (`duckdb`, or a Parquet root) the environment names."""
    return (Path(os.environ.get("MIXTAPE_DATA_DIR") or DATA_DIR),
            os.environ.get("MIXTAPE_STORAGE") or "duckdb")
