"""Freshness as cache TTL, and the automation that really refreshes.

In Dagster 1.13 a `FreshnessPolicy` only reports PASS/WARN/FAIL; it launches nothing, and it judges a
whole asset, not one user's partition. So:

- every cached asset carries `ttl_policy(its TTL)`: the UI shows when a cache has gone stale
  (`LIBRARY_FRESHNESS` for the Spotify library, the hit TTL of each source for enrichment);
- shared (unpartitioned) enrichment assets refresh with `REFRESH_WHEN_STALE` (freshness WARN/FAIL, or
  new tracks upstream);
- per-user Spotify assets are refreshed per partition by sensors (`pipelines/sensors.py`: the change
  detector and the per-user TTL sensor), which can see the request budget and tag runs by user;
- derived per-user assets rebuild with `EAGER` when upstream data changed; the push does too, but
  waits while the Spotify budget is spent (`PUSH_WHEN_CHANGED`).

The Spotify budget reaches the conditions through one asset check, `ops/spotify_budget:budget_left`
(`assets/ops/budget.py`), which a sensor keeps current from the request ledger.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

# A library cache older than 24 hours is stale.
LIBRARY_TTL = timedelta(hours=24)
# A full liked-songs resync when the last one is older than its TTL (the schedule's period).
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

# Top tracks and artists read within 24 hours are not read again: the TTL is their cooldown.
TOP_ITEMS_TTL = timedelta(hours=24)
TOP_ITEMS_FRESHNESS = ttl_policy(TOP_ITEMS_TTL)

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
