"""The day's Spotify request budget in the UI: an asset the `spotify_budget` sensor observes, and the
check that fails while Spotify work must wait (the push's automation condition waits on it)."""

import dagster as dg

from assets.automation import BUDGET_CHECK, BUDGET_KEY
from resources.budget import BudgetState
from resources.spotify import SpotifyResource


def budget_metadata(state: BudgetState) -> dict[str, dg.MetadataValue]:
    """What the UI shows on the budget asset and check."""
    def count(value: int | None) -> dg.MetadataValue:
        return dg.MetadataValue.int(value) if value is not None else dg.MetadataValue.text("unlimited")

    values: dict[str, dg.MetadataValue] = {
        "spent_today": dg.MetadataValue.int(state.spent),
        "budget_per_day": count(state.budget),
        "remaining_today": count(state.remaining),
        "status": dg.MetadataValue.text(state.summary()),
    }
    if state.resume_at is not None:
        values["resume_at_utc"] = dg.MetadataValue.text(f"{state.resume_at:%Y-%m-%d %H:%M:%S}")
        values["cooldown"] = dg.MetadataValue.text(state.cooldown_kind or "")
    return values


def budget_check_evaluation(state: BudgetState) -> dg.AssetCheckEvaluation:
    """The budget as a check result, reported between runs: failing while Spotify work must wait."""
    return dg.AssetCheckEvaluation(
        asset_key=BUDGET_KEY, check_name=BUDGET_CHECK, passed=not state.paused,
        severity=dg.AssetCheckSeverity.WARN, metadata=budget_metadata(state), description=state.summary(),
    )


spotify_budget_asset = dg.AssetSpec(
    BUDGET_KEY,
    group_name="ops",
    kinds={"spotify"},
    description="Today's Spotify request budget of the developer account (observed by the spotify_budget sensor).",
)


@dg.asset_check(asset=BUDGET_KEY, name=BUDGET_CHECK,
                description="Fails (WARN) while the day's Spotify budget is spent or a quota cooldown runs; "
                            "automation that writes to Spotify waits meanwhile.")
def budget_left(spotify: SpotifyResource) -> dg.AssetCheckResult:
    """The budget as it stands now; the spotify_budget sensor reports the same between runs."""
    state = spotify.budget.state()
    return dg.AssetCheckResult(passed=not state.paused, severity=dg.AssetCheckSeverity.WARN,
                               metadata=budget_metadata(state), description=state.summary())
