"""Freshness as cache TTL, and the automation that really refreshes.

In Dagster 1.13 a `FreshnessPolicy` only reports PASS/WARN/FAIL; it launches nothing, and it judges a
whole asset, not one user's partition (reference/dagster-1.13.md §1). So:

- every cached asset carries `ttl_policy(its TTL)`: the UI shows when a cache has gone stale
  (`LIBRARY_FRESHNESS` for the Spotify library, the hit TTL of each source for enrichment);
- shared (unpartitioned) enrichment assets refresh with `REFRESH_WHEN_STALE` (freshness WARN/FAIL, or
  new tracks upstream);
- per-user Spotify assets are refreshed per partition by sensors (`pipelines/sensors.py`: the change
  detector and the per-user TTL sensor), which can see the request budget and tag runs by user;
- derived per-user assets rebuild with `EAGER` when upstream data changed; the push does too, but
  waits while the Spotify budget is spent (`PUSH_WHEN_CHANGED`).

The Spotify budget reaches the conditions through one asset check, `ops/spotify_budget:budget_left`,
which a sensor keeps current from the request ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import dagster as dg

from resources.ledger import Ledger, next_utc_midnight, utc_naive
from resources.spotify import SpotifyResource

# Seed 000: a library cache older than 24 hours is stale.
LIBRARY_TTL = timedelta(hours=24)
# Seed 000: a full liked-songs resync when the last one is older than its TTL (the schedule's period).
FULL_RESYNC_CRON = "0 3 * * 0"
# Warn at 75 % of a TTL, so a refresh starts before the asset shows red.
WARN_FRACTION = 0.75

BUDGET_KEY = dg.AssetKey(["ops", "spotify_budget"])
BUDGET_CHECK = "budget_left"


def ttl_policy(ttl: timedelta, warn_fraction: float = WARN_FRACTION) -> dg.FreshnessPolicy:
    """A freshness policy equal to a cache TTL: WARN at `warn_fraction` of it, FAIL at the TTL."""
    warn = max(timedelta(minutes=1), ttl * warn_fraction)
    return dg.FreshnessPolicy.time_window(fail_window=ttl, warn_window=warn if warn < ttl else None)


LIBRARY_FRESHNESS = ttl_policy(LIBRARY_TTL)

SPOTIFY_PAUSED = dg.AutomationCondition.asset_matches(
    BUDGET_KEY, dg.AutomationCondition.any_checks_match(dg.AutomationCondition.check_failed())
).with_label("spotify budget spent or quota cooldown")

_STALE = (dg.AutomationCondition.freshness_warned() | dg.AutomationCondition.freshness_failed()).with_label("stale")

# Shared enrichment: refresh once per staleness episode, when first missing, or when upstream brought
# new tracks; never while it or an upstream is running. Not `eager()`: its "no dep missing" clause
# would let one user who never synced block enrichment for everyone.
REFRESH_WHEN_STALE = (
    (
        _STALE.newly_true()
        | dg.AutomationCondition.missing().newly_true()
        | dg.AutomationCondition.any_deps_updated()
    ).since_last_handled()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.any_deps_in_progress()
).with_label("refresh_when_stale")

# Derived per-user assets (features, tracklists): rebuild when upstream data changed.
EAGER = dg.AutomationCondition.eager()

# The push writes to Spotify: rebuild like EAGER, but not while the budget is spent or a quota
# cooldown runs. The pending update is remembered (`since_last_handled`) and pushed afterwards.
PUSH_WHEN_CHANGED = (dg.AutomationCondition.eager() & ~SPOTIFY_PAUSED).with_label("eager_within_budget")


# -- the budget gate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetState:
    """The developer account's Spotify request budget for today, and any quota/rate-limit cooldown."""

    budget: int | None  # requests per UTC day; None = unlimited
    spent: int
    resume_at: datetime | None = None  # naive UTC; set while a cooldown runs
    cooldown_kind: str | None = None  # "quota" or "rate_limit"
    day_ends_at: datetime | None = None  # naive UTC: when the budget refills

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.spent)

    @property
    def cooling_down(self) -> bool:
        return self.resume_at is not None

    def affords(self, requests: int) -> bool:
        """True when no cooldown runs and `requests` more fit in today's budget."""
        return not self.cooling_down and (self.remaining is None or self.remaining >= requests)

    @property
    def paused(self) -> bool:
        return not self.affords(1)

    def reason(self) -> str:
        """Why Spotify work waits, with the time it may resume (empty when it need not wait)."""
        if self.cooling_down:
            what = "daily quota exceeded (QUOTA_EXCEEDED)" if self.cooldown_kind == "quota" else "rate limited"
            return f"Spotify {what}: no Spotify work until {self.resume_at:%Y-%m-%d %H:%M:%S} UTC"
        if self.paused:
            when = f"{self.day_ends_at:%Y-%m-%d %H:%M:%S} UTC" if self.day_ends_at else "the next UTC day"
            return f"request budget spent ({self.spent} of {self.budget} today): Spotify work resumes at {when}"
        return ""

    def summary(self) -> str:
        left = "unlimited" if self.remaining is None else f"{self.remaining} of {self.budget}"
        return self.reason() or f"{left} Spotify requests left today"

    def metadata(self) -> dict[str, dg.MetadataValue]:
        """What the UI shows on the budget asset and check."""
        values: dict[str, dg.MetadataValue] = {
            "spent_today": dg.MetadataValue.int(self.spent),
            "budget_per_day": dg.MetadataValue.int(self.budget) if self.budget is not None else dg.MetadataValue.text("unlimited"),
            "remaining_today": dg.MetadataValue.int(self.remaining) if self.remaining is not None else dg.MetadataValue.text("unlimited"),
            "status": dg.MetadataValue.text(self.summary()),
        }
        if self.resume_at is not None:
            values["resume_at_utc"] = dg.MetadataValue.text(f"{self.resume_at:%Y-%m-%d %H:%M:%S}")
            values["cooldown"] = dg.MetadataValue.text(self.cooldown_kind or "")
        return values


def read_budget(ledger: Ledger, client_id: str, budget_per_day: int | None, now: float) -> BudgetState:
    """The budget state of a developer account at epoch time `now`, from the request ledger."""
    cooldown = ledger.cooldown(client_id, now)
    return BudgetState(
        budget=budget_per_day,
        spent=ledger.spent_today(client_id, now),
        resume_at=utc_naive(cooldown.resume_at) if cooldown else None,
        cooldown_kind=cooldown.kind if cooldown else None,
        day_ends_at=utc_naive(next_utc_midnight(now)),
    )


def budget_check_evaluation(state: BudgetState) -> dg.AssetCheckEvaluation:
    """The budget as a check result: failing while Spotify work must wait (which gates SPOTIFY_PAUSED)."""
    return dg.AssetCheckEvaluation(
        asset_key=BUDGET_KEY, check_name=BUDGET_CHECK, passed=not state.paused,
        severity=dg.AssetCheckSeverity.WARN, metadata=state.metadata(), description=state.summary(),
    )


def budget_of(spotify: SpotifyResource) -> BudgetState:
    """The budget state of the resource's developer account, now."""
    from assets.spotify.budget import clock_of  # the resource's clock: tests move it a day at a time

    return read_budget(spotify.ledger, spotify.app_client_id, spotify.budget_per_day, clock_of(spotify)())


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
    state = budget_of(spotify)
    return dg.AssetCheckResult(passed=not state.paused, severity=dg.AssetCheckSeverity.WARN,
                               metadata=state.metadata(), description=state.summary())
