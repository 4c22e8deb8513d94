"""deploy/'s Helm values and ECS instance file say what deploy/dagster.yaml (the file the five-user test
runs) says about run storage, the run queue and its limits, run monitoring and compute logs, and their
run launchers are valid: each part parsed by Dagster's own config loading.

No Helm binary runs here: `chart_instance` writes the instance config the way the chart's templates
(helm/dagster/templates/configmap-instance.yaml and helpers/instance/*.tpl, chart 1.13) do, for the
values mixtape sets."""

from __future__ import annotations

import importlib
from pathlib import Path

import json

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config

from tests.production.world import CODE_LOCATION_ARGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VARIABLES = ["DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_PORT",
             "MIXTAPE_LOGS_BUCKET", "DAGSTER_HOME", "DAGSTER_K8S_INSTANCE_CONFIG_MAP",
             "DAGSTER_K8S_PG_PASSWORD_SECRET", "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"]
PARTS = ["run_storage", "event_log_storage", "schedule_storage", "run_coordinator", "run_launcher", "compute_logs"]


def snake(values: dict) -> dict:
    """The chart's camelCase keys as dagster.yaml's snake_case (applyLimitPerUniqueValue stays as it is)."""
    return {("".join(f"_{c.lower()}" if c.isupper() else c for c in k) if k != "applyLimitPerUniqueValue" else k):
            snake(v) if isinstance(v, dict) else [snake(i) if isinstance(i, dict) else i for i in v]
            if isinstance(v, list) else v for k, v in values.items()}


def chart_instance(values: dict) -> dict:
    """The dagster.yaml the chart renders from `values` (the parts mixtape's values set)."""
    pg = values["postgresql"]
    postgres_db = {"username": pg["postgresqlUsername"], "password": {"env": "DAGSTER_PG_PASSWORD"},
                   "hostname": pg["postgresqlHost"], "db_name": pg["postgresqlDatabase"], "port": pg["service"]["port"],
                   "params": pg.get("postgresqlParams") or {}, "scheme": pg["postgresqlScheme"]}
    storage = {kind: {"module": f"dagster_postgres.{module}", "class": cls, "config": {"postgres_db": postgres_db}}
               for kind, module, cls in [("run_storage", "run_storage", "PostgresRunStorage"),
                                         ("event_log_storage", "event_log", "PostgresEventLogStorage"),
                                         ("schedule_storage", "schedule_storage", "PostgresScheduleStorage")]}
    daemon = values["dagsterDaemon"]
    assert daemon["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    logs = values["computeLogManager"]
    assert logs["type"] == "S3ComputeLogManager"
    monitoring = daemon["runMonitoring"]
    return {
        **storage,
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                            "config": snake(daemon["runCoordinator"]["config"]["queuedRunCoordinator"])},
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
            "load_incluster_config": True, "job_namespace": "mixtape", "image_pull_policy": "IfNotPresent",
            "service_account_name": "mixtape-dagster", "dagster_home": {"env": "DAGSTER_HOME"},
            "instance_config_map": {"env": "DAGSTER_K8S_INSTANCE_CONFIG_MAP"},
            "postgres_password_secret": {"env": "DAGSTER_K8S_PG_PASSWORD_SECRET"},
            "env_config_maps": [{"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"}],
            "env_secrets": [s["name"] for s in k8s["envSecrets"]]}},
        "compute_logs": {"module": "dagster_aws.s3.compute_log_manager", "class": "S3ComputeLogManager",
                         "config": snake(logs["config"]["s3ComputeLogManager"])},
        "concurrency": snake(values["concurrency"]),
        "run_monitoring": {"enabled": monitoring["enabled"], "start_timeout_seconds": monitoring["startTimeoutSeconds"],
                           "poll_interval_seconds": monitoring["pollIntervalSeconds"]},
        "telemetry": values["telemetry"],
    }


def loaded(config: dict, folder: Path) -> dict:
    """The config as Dagster loads an instance's dagster.yaml: the whole file checked against the instance
    schema (conflicting run-queue settings included), and each configurable part against its class's own."""
    folder.mkdir()
    (folder / "dagster.yaml").write_text(yaml.safe_dump(config))
    checked, _ = dagster_instance_config(str(folder))
    if "storage" in checked:  # `storage: postgres:` is shorthand for the three Postgres storages
        db = checked["storage"]["postgres"]
        checked = {**checked, **{kind: {"module": f"dagster_postgres.{module}", "class": cls, "config": db}
                                 for kind, module, cls in [("run_storage", "run_storage", "PostgresRunStorage"),
                                                           ("event_log_storage", "event_log", "PostgresEventLogStorage"),
                                                           ("schedule_storage", "schedule_storage", "PostgresScheduleStorage")]}}
    for part in PARTS:
        if part in checked:
            # as ConfigurableClassData.rehydrate does, short of building the object (no Postgres, no cluster)
            cls = configurable_class(checked[part]["module"], checked[part]["class"])
            result = process_config(cls.config_type(), checked[part].get("config") or {})
            assert result.success, (part, result.errors)
    return checked


def configurable_class(module: str, name: str) -> type:
    # The instance builds its QueuedRunCoordinator by class name: `dagster.core.run_coordinator`, the
    # module the chart (and Dagster's docs) write, is no longer importable.
    if name == "QueuedRunCoordinator":
        return dg.QueuedRunCoordinator
    return getattr(importlib.import_module(module), name)


def agreed(config: dict) -> dict:
    """What must agree: Postgres for every storage (its database settings, as the chart or the file
    names them, aside), the run queue and its limits, the pools, run monitoring, compute logs."""
    return {
        **{kind: (config[kind]["class"], sorted(set(config[kind]["config"]["postgres_db"]) - {"params"}))
           for kind in ("run_storage", "event_log_storage", "schedule_storage")},
        "password": config["run_storage"]["config"]["postgres_db"]["password"],
        "scheme": config["run_storage"]["config"]["postgres_db"]["scheme"],
        "run_coordinator": (config["run_coordinator"]["class"], config["run_coordinator"].get("config")),
        "concurrency": config["concurrency"],
        "run_monitoring": config["run_monitoring"],
        "compute_logs": (config["compute_logs"]["class"], config["compute_logs"]["config"]["prefix"]),
        "telemetry": config["telemetry"],
    }


@pytest.fixture(autouse=True)
def variables(monkeypatch):
    for name in VARIABLES:
        monkeypatch.setenv(name, "5432" if name.endswith("PORT") else "x")


@pytest.fixture
def tested(tmp_path) -> dict:
    return loaded(yaml.safe_load((DEPLOY / "dagster.yaml").read_text()), tmp_path / "tested")


@pytest.mark.production
def test_the_helm_values_give_the_tested_instance_on_kubernetes(tmp_path, tested):
    chart = loaded(chart_instance(yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())), tmp_path / "helm")
    assert agreed(chart) == agreed(tested)
    assert chart["run_launcher"]["class"] == "K8sRunLauncher"


@pytest.mark.production
def test_the_ecs_file_is_the_tested_instance_with_runs_on_ecs(tmp_path, tested):
    ecs_file = yaml.safe_load((DEPLOY / "ecs" / "dagster.yaml").read_text())
    ecs = loaded(ecs_file, tmp_path / "ecs")
    assert ecs["run_launcher"]["class"] == "EcsRunLauncher"
    tested_file = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    assert {k: v for k, v in ecs_file.items() if k != "run_launcher"} == tested_file  # nothing else differs
    assert agreed(ecs) == agreed(tested)


@pytest.mark.production
def test_a_disagreeing_limit_is_caught(tmp_path, tested):
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    values["concurrency"]["runs"]["tagConcurrencyLimits"][0]["limit"] = 2
    assert agreed(loaded(chart_instance(values), tmp_path / "helm")) != agreed(tested)


@pytest.mark.production
def test_an_invalid_launcher_setting_is_caught(tmp_path):
    ecs_file = yaml.safe_load((DEPLOY / "ecs" / "dagster.yaml").read_text())
    ecs_file["run_launcher"]["config"]["run_resources"] = "lots"
    with pytest.raises(AssertionError, match="run_launcher"):
        loaded(ecs_file, tmp_path / "ecs")


@pytest.mark.production
def test_the_image_and_the_chart_serve_the_code_location_the_test_runs():
    command = next(json.loads(line.removeprefix("CMD ")) for line in (DEPLOY / "Dockerfile").read_text().splitlines()
                   if line.startswith("CMD "))
    assert command[:3] == ["dagster", "api", "grpc"] and command[-2:] == CODE_LOCATION_ARGS
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == CODE_LOCATION_ARGS
    assert str(deployment["port"]) == command[command.index("-p") + 1]
