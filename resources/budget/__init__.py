"""The request budget, in one place: the ledger every outside request is counted in (`ledger`), the
day's Spotify budget read from it, the cooldowns, each user's fair share and the stop that pauses a
run (`state`), and which run and asset a request belongs to (`attribution`, the only part that needs
Dagster). The Spotify resource spends it, sensors and the budget check read it, assets ask it for
their allowance, and `ops/api_requests` copies it into the warehouse."""

from resources.budget.ledger import (
    SPOTIFY,
    Cooldown,
    Ledger,
    counts_to_quota,
    endpoint_of,
    next_utc_midnight,
    utc_day,
    utc_naive,
)
from resources.budget.state import (
    PAUSES,
    BudgetState,
    OutOfBudget,
    RequestBudget,
    affordable,
    fair_shares,
    pausable,
)

__all__ = [
    "PAUSES", "SPOTIFY", "BudgetState", "Cooldown", "Ledger", "OutOfBudget", "RequestBudget", "affordable",
    "counts_to_quota", "endpoint_of", "fair_shares", "next_utc_midnight", "pausable", "utc_day", "utc_naive",
]
