"""The Dagster UI in a real browser: `dagster dev` on the sandbox, the asset graph, a materialization for
the demo user launched from the UI, and the metadata it left. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager

import pytest
import requests

from pipelines.commands.ui import DEMO_USER, free_port, login_demo_user, start_dagster_dev, stop_process_group
from pipelines.home import PROJECT_ROOT, ensure_dagster_home

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_S = 180  # dagster dev is ~10 s on an idle machine; CI machines are busier
RUN_S = 300
BUDGET_S = 180
ASSET = "spotify/liked_songs"


def wait_until_serving(url: str, process, timeout_s: float) -> None:
    """Poll the webserver until it answers; fail early if dagster dev died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dagster dev exited with {process.returncode}; see {ARTIFACTS / 'dagster.log'}")
        try:
            if requests.get(f"{url}/server_info", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"dagster dev did not serve {url} within {timeout_s} s")


@pytest.fixture
def demo_library():
    from sandbox.generator import demo_library

    return demo_library()


@contextmanager
def ui_on_sandbox(tmp_path, monkeypatch, library, before_start=lambda sandbox: None):
    """`dagster dev -w workspace.yaml` on free ports, a fresh DAGSTER_HOME with the project's dagster.yaml,
    the sandbox in this process with the demo user logged in and its partition registered; `before_start`
    runs once that is set up, before the UI starts."""
    from sandbox import start_sandbox

    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "MIXTAPE_TOKEN_STORE", "SPOTIFY_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MIXTAPE_RULES", str(PROJECT_ROOT / "playlists.yaml"))
    monkeypatch.chdir(tmp_path)
    ensure_dagster_home()
    sandbox = start_sandbox(library)
    for name, url in sandbox.base_urls.items():
        monkeypatch.setenv(name, url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "dagster.log"
    process = None
    try:
        login_demo_user(DEMO_USER)
        before_start(sandbox)
        port = free_port()
        with open(log_path, "w") as log:
            process = start_dagster_dev(port, env=dict(os.environ), cwd=tmp_path, log=log)
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process, STARTUP_S)
            yield url
    finally:
        if process is not None:
            stop_process_group(process)
        sandbox.stop()
        if log_path.exists():
            shutil.copyfile(log_path, ARTIFACTS / "dagster.log")


@pytest.fixture
def dagster_ui(tmp_path, monkeypatch, demo_library):
    with ui_on_sandbox(tmp_path, monkeypatch, demo_library) as url:
        yield url


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            yield page
        finally:
            page.screenshot(path=str(ARTIFACTS / "last.png"))
            browser.close()


def skip_community_dialog(page) -> None:
    """A fresh instance greets the first visit with "Join the Dagster community"."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_role("button", name="Skip").click(timeout=30_000)
    except PlaywrightTimeout:
        pass  # already dismissed on this instance


def launch_for_partition(page, partition: str) -> None:
    """On an asset page: Materialize… -> pick one partition -> Launch 1 run."""
    page.locator("button", has_text="Materialize").first.click()
    # liked songs is one multi-asset with the sync state it keeps: the UI says what else it writes
    page.get_by_role("dialog").filter(has_text="Additional assets will be materialized") \
        .get_by_role("button", name="Confirm").click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_placeholder("Filter partitions").fill(partition)
    page.get_by_role("menuitem").filter(has_text=partition).filter(has_not_text="partition").first.click()
    dialog.get_by_text("Launch runs to materialize").click()  # closes the partition picker
    page.screenshot(path=str(ARTIFACTS / "03-launch-dialog.png"))
    dialog.get_by_role("button", name="Launch 1 run").click()


def reload_until_visible(page, locator, timeout_s: float) -> None:
    """Reload until `locator` shows: a sensor's observation appears on its own tick, not on ours."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            locator.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
            page.reload()


def metadata_value(page, key: str) -> str:
    """The value of one metadata row of the asset's latest materialization."""
    row = page.locator("tr", has=page.locator("td", has_text=re.compile(rf"^\s*{re.escape(key)}\s*$")))
    return row.first.locator("td").last.inner_text().strip()


def test_materialize_the_demo_users_liked_songs_from_the_ui(dagster_ui, page, demo_library):
    from pipelines.definitions import defs

    groups = {node.group_name for node in defs.resolve_asset_graph().asset_nodes if node.is_materializable}
    page.goto(f"{dagster_ui}/asset-groups")
    skip_community_dialog(page)
    page.get_by_text("Global asset lineage").wait_for()
    for group in sorted(groups):
        page.get_by_text(group, exact=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "01-asset-graph.png"))

    page.goto(f"{dagster_ui}/assets/{ASSET}")
    skip_community_dialog(page)
    page.get_by_text("The user's liked songs").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "02-asset-page.png"))
    launch_for_partition(page, DEMO_USER)

    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    run_id = re.search(r"Launched run ([0-9a-f]{8})", toast.inner_text()).group(1)
    page.get_by_role("link", name="View").or_(page.get_by_role("button", name="View")).first.click()
    page.wait_for_url(re.compile(rf"/runs/{run_id}"))
    page.get_by_text("Success", exact=True).first.wait_for(timeout=RUN_S * 1000)
    page.screenshot(path=str(ARTIFACTS / "04-run-success.png"))

    page.goto(f"{dagster_ui}/assets/{ASSET}?view=overview&partition={DEMO_USER}")
    page.locator("td", has_text="spotify_requests").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "05-metadata.png"), full_page=True)
    liked = len(demo_library.liked[DEMO_USER])
    assert re.search(rf"Row count\s+{liked:,}|Row count\s+{liked}\b", page.inner_text("body"))
    assert int(metadata_value(page, "liked")) == liked
    assert int(metadata_value(page, "spotify_requests")) >= 1
    assert metadata_value(page, "complete") == "true"

    # The request budget: observed by the spotify_budget sensor (every minute) on ops/spotify_budget.
    page.goto(f"{dagster_ui}/assets/ops/spotify_budget")
    reload_until_visible(page, page.locator("td", has_text="remaining_today").first, BUDGET_S)
    page.screenshot(path=str(ARTIFACTS / "06-budget.png"), full_page=True)
    remaining, budget = int(metadata_value(page, "remaining_today")), int(metadata_value(page, "budget_per_day"))
    assert 0 < remaining < budget
    assert f"{remaining} of {budget} Spotify requests left today" in metadata_value(page, "status")

    # The run list reads like the work: a stage run by `mixtape run` on the same instance shows as its job.
    from pipelines.cli import main

    assert main(["run", "--stage", "ingest", "--user", DEMO_USER]) == 0
    page.goto(f"{dagster_ui}/runs")
    page.get_by_role("link", name="ingest", exact=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "07-run-list.png"), full_page=True)


# -- after a finished demo ---------------------------------------------------------------------------

NEW_CHECKS = {  # asset -> the one check on it that a user cares about
    "playlists/child_playlist_tracks": "rule_file_valid",
    "playlists/managed_playlists": "pushed_playlists_match",
    "enrichment/deezer_tracks": "enrichment_coverage",
    "enrichment/lastfm_tracks": "enrichment_coverage",
}
STALE_BADGES = ("Unsynced", "Upstream data")


def spotify_requests(sandbox) -> int:
    from pipelines.commands.demo import sandbox_stats

    return sandbox_stats(sandbox.base_urls["SPOTIFY_API_BASE"])["by_service"].get("spotify", 0)


def run_the_demo_then_the_push_check_alone(sandbox) -> None:
    """`mixtape demo`, then the pushed-playlists check once more on its own: it must cost no request."""
    import dagster as dg

    from assets.playlists.checks import pushed_playlists_match
    from pipelines.cli import main
    from pipelines.definitions import defs
    from pipelines.resources import resources_from_env

    assert main(["demo"]) == 0
    before = spotify_requests(sandbox)
    job = dg.define_asset_job("push_check_alone", selection=dg.AssetSelection.checks(pushed_playlists_match))
    check_only = dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=[job],
                                resources=resources_from_env())
    result = check_only.resolve_job_def(job.name).execute_in_process()
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description
    assert spotify_requests(sandbox) == before


@pytest.fixture
def ui_after_demo(tmp_path, monkeypatch, demo_library):
    with ui_on_sandbox(tmp_path, monkeypatch, demo_library, before_start=run_the_demo_then_the_push_check_alone) as url:
        yield url


def open_page(page, url: str, shows) -> str:
    """Go to `url`, wait until `shows` (text) is on the page, and return the page's text."""
    page.goto(url)
    skip_community_dialog(page)
    page.get_by_text(shows).first.wait_for()
    return page.inner_text("body")


def test_after_a_finished_demo_the_ui_looks_finished(ui_after_demo, page):
    from pipelines.definitions import defs
    from pipelines.sensors import spotify_changes

    # a sensor says what it is for
    text = open_page(page, f"{ui_after_demo}/locations/mixtape/sensors/spotify_changes", spotify_changes.description)
    assert re.search(rf"Description\s+{re.escape(spotify_changes.description)}", text)

    # track_features lists its columns with their types
    text = open_page(page, f"{ui_after_demo}/assets/playlists/track_features?partition={DEMO_USER}", "Columns")
    page.screenshot(path=str(ARTIFACTS / "10-track-features.png"), full_page=True)
    assert re.search(r"\bbpm\s+DOUBLE\b", text) and re.search(r"\bartists\s+VARCHAR\[\]", text)

    # and a preview of its first rows
    row = page.locator("tr", has=page.locator("td", has_text=re.compile(r"^\s*preview\s*$")))
    row.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(re.compile(r"first 5 of \d+ rows")).wait_for()
    assert "track_uri" in dialog.inner_text() and "spotify:track:" in dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / "11-preview.png"))
    page.keyboard.press("Escape")

    # the three checks a user cares about ran with the demo and passed
    for asset, check in NEW_CHECKS.items():
        text = open_page(page, f"{ui_after_demo}/assets/{asset}?view=checks", check)
        assert re.search(rf"{check}\s+{check}\s+Succeeded", text), f"{asset}: {check} did not pass"
        assert re.search(r"Evaluation result\s+Passed", text)
    page.screenshot(path=str(ARTIFACTS / "12-check.png"), full_page=True)

    # every asset materialized and in sync: no stale badge on the assets that show one (the shared ones),
    # the snapshot ad-hoc SQL reads among them
    shared = sorted(n.key.to_user_string() for n in defs.resolve_asset_graph().asset_nodes
                    if n.is_materializable and n.partitions_def is None)
    assert "ops/warehouse_snapshot" in shared and "enrichment/deezer_tracks" in shared
    for asset in shared:
        text = open_page(page, f"{ui_after_demo}/assets/{asset}", "Latest materialization")
        badges = [badge for badge in STALE_BADGES if badge in text]
        assert not badges, f"{asset} shows {badges}"

    # the overview timeline shows the demo's runs, by job
    text = open_page(page, f"{ui_after_demo}/overview/activity/timeline", "warehouse_snapshot_job")
    page.screenshot(path=str(ARTIFACTS / "14-timeline.png"), full_page=True)
    for job in ("ingest", "enrich", "rules", "push", "marts"):
        assert re.search(rf"^{job}$", text, re.MULTILINE), f"no {job} runs on the timeline"
