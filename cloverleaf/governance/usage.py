"""Where list endpoints read `current_usage` from. Enforcement keeps the live counters (memory
or Redis); until it plugs its own view in, the stored value is shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from cloverleaf.governance.models import GovernanceSnapshot

#: `current_usage(scope, id)` scopes
BUDGET = "budget"
RATE_LIMIT_TOKENS = "rate_limit_tokens"
RATE_LIMIT_REQUESTS = "rate_limit_requests"


class UsageView(Protocol):
    def current_usage(self, scope: str, id: str) -> Decimal | int:
        """Spend in dollars for a budget; tokens or requests in the window for a rate limit."""
        ...


class StoredUsage:
    """The usage stored with each budget and rate limit (0 until counters persist it)."""

    def __init__(self, snapshot: GovernanceSnapshot) -> None:
        self._snapshot = snapshot

    def current_usage(self, scope: str, id: str) -> Decimal | int:
        if scope == BUDGET:
            budget = self._snapshot.budgets.get(id)
            return budget.current_usage if budget is not None else Decimal(0)
        limit = self._snapshot.rate_limits.get(id)
        if limit is None:
            return 0
        if scope == RATE_LIMIT_TOKENS:
            return limit.token_current_usage
        return limit.request_current_usage
