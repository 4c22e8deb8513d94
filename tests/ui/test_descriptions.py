"""Every asset, asset check, sensor, schedule and job of the code location says in one line what it is for."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def repository():
    from pipelines.definitions import defs

    return defs, defs.get_repository_def()


def one_line(text: str | None) -> bool:
    return bool(text and text.strip())


def test_every_asset_and_check_has_a_description(repository):
    defs, _ = repository
    graph = defs.resolve_asset_graph()
    missing = [node.key.to_user_string() for node in graph.asset_nodes
               if node.is_materializable and not one_line(node.description)]
    assert not missing, f"assets without a description: {missing}"
    checks = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    assert checks
    undescribed = [f"{c.asset_key.to_user_string()}:{c.name}" for c in checks if not one_line(c.description)]
    assert not undescribed, f"asset checks without a description: {undescribed}"


def test_every_sensor_schedule_and_job_has_a_description(repository):
    _, repo = repository
    described = [*repo.sensor_defs, *repo.schedule_defs,
                 *[job for job in repo.get_all_jobs() if not job.name.startswith("__")]]  # Dagster's implicit job
    assert len(repo.sensor_defs) >= 5 and repo.schedule_defs
    missing = [d.name for d in described if not one_line(d.description)]
    assert not missing, f"without a description: {missing}"
