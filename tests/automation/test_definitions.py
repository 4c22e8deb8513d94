"""The code location loads without a deprecation or supersession warning, and runs its automation."""

import subprocess
import sys
import textwrap

import dagster as dg

from pipelines.home import PROJECT_ROOT

# Run in a fresh interpreter: warnings raised while modules are first imported are the ones that count.
STRICT_LOAD = textwrap.dedent("""
    import warnings
    import dagster as dg

    warnings.simplefilter("error", DeprecationWarning)
    warnings.simplefilter("error", dg.SupersessionWarning)
    from pipelines.definitions import defs
    dg.Definitions.validate_loadable(defs)
    print(len(defs.resolve_asset_graph().get_all_asset_keys()), "assets")
""")


def test_definitions_load_without_deprecated_or_superseded_apis(tmp_path):
    result = subprocess.run([sys.executable, "-c", STRICT_LOAD], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "MIXTAPE_DATA_DIR": str(tmp_path / "data"),
                                              "PYTHONPATH": str(PROJECT_ROOT),
                                              # a configured world: no demo sandbox started in the background
                                              "SPOTIFY_API_BASE": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("assets")


def test_the_automation_sensor_runs_by_default_and_every_sensor_is_there():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    automation = [s for s in repo.sensor_defs if isinstance(s, dg.AutomationConditionSensorDefinition)]
    assert [s.name for s in automation] == ["mixtape_automation"]
    assert automation[0].default_status == dg.DefaultSensorStatus.RUNNING
    names = {s.name for s in repo.sensor_defs}
    assert {"spotify_budget", "new_spotify_users", "stale_spotify_users", "spotify_changes"} <= names
