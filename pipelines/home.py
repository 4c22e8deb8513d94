"""The persistent Dagster instance (DAGSTER_HOME). Its dagster.yaml belongs to the user: mixtape writes
the project's defaults there only when the file is missing, and never changes an existing one."""

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = PROJECT_ROOT / "dagster.yaml"

# The per-user run limits mixtape relies on: one sync per user at a time (see assets/partitions.py).
PER_USER_TAGS = ("spotify_user", "dagster/partition")


def _get(config: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(config, Mapping):
            return None
        config = config.get(part)
    return config


def _tag_limit_keys(config: Mapping) -> set[str]:
    """Tag keys with a run concurrency limit, wherever Dagster accepts them."""
    keys = set()
    for path in (("concurrency", "runs"), ("run_queue",), ("run_coordinator", "config")):
        for limit in _get(config, *path, "tag_concurrency_limits") or []:
            if isinstance(limit, Mapping) and isinstance(limit.get("key"), str):
                keys.add(limit["key"])
    return keys


def missing_defaults(config: Any) -> list[str]:
    """The instance settings mixtape relies on that `config` (a parsed dagster.yaml) lacks. A setting
    the user gave a value of their own is theirs, not missing."""
    missing = []
    if _get(config, "telemetry", "enabled") is None:
        missing.append("telemetry.enabled: false")
    if _get(config, "concurrency", "pools", "default_limit") is None and \
            _get(config, "concurrency", "default_op_concurrency_limit") is None:
        missing.append("concurrency.pools.default_limit: 1")
    have = _tag_limit_keys(config) if isinstance(config, Mapping) else set()
    missing += [f"concurrency.runs.tag_concurrency_limits[{key}]" for key in PER_USER_TAGS if key not in have]
    if _get(config, "run_monitoring", "enabled") is None:
        missing.append("run_monitoring.enabled: true")
    return missing


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME, or `.dagster_home/` in the project. Create its dagster.yaml from the project's
    defaults when there is none; leave an existing one untouched, saying in one line which of the
    project's defaults it lacks (README, "Scaling out", says what each is for)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(DEFAULTS, target)
        return home
    try:
        missing = missing_defaults(yaml.safe_load(target.read_text()))
    except (OSError, yaml.YAMLError) as error:
        print(f"mixtape: could not read {target} to check it for the project's instance defaults ({error})",
              file=sys.stderr)
        return home
    if missing:
        print(f"mixtape: {target} is yours and left as it is; it lacks the project's defaults "
              f"{', '.join(missing)} (they are in {DEFAULTS})", file=sys.stderr)
    return home
