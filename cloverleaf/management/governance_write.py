"""Steps every governance write shares: put an owned budget or rate limit (create or merge),
drop one with its owner, and 404s in Bifrost's shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.limits import save_budget, save_rate_limit
from cloverleaf.governance.models import GovernanceSnapshot
from cloverleaf.governance.validate import BudgetFields, RateLimitFields
from cloverleaf.storage.governance_repository import GovernanceTx


def missing(what: str, ident: str) -> GatewayError:
    return GatewayError(404, f"{what} {ident!r} not found", code="not_found")


@dataclass(frozen=True, slots=True)
class Edit:
    """One write: its transaction, the state it started from, and its timestamp."""

    tx: GovernanceTx
    snapshot: GovernanceSnapshot
    at: datetime

    async def budget(
        self, fields: BudgetFields | None, budget_id: str | None, param: str
    ) -> str | None:
        """The budget id after applying `fields` (None: unchanged)."""
        if fields is None:
            return budget_id
        existing = self.snapshot.budgets.get(budget_id) if budget_id else None
        budget = save_budget(fields, existing, param, self.at)
        await self.tx.save(budget)
        return budget.id

    async def rate_limit(
        self, fields: RateLimitFields | None, rate_limit_id: str | None, param: str
    ) -> str | None:
        if fields is None:
            return rate_limit_id
        existing = self.snapshot.rate_limits.get(rate_limit_id) if rate_limit_id else None
        limit = save_rate_limit(fields, existing, param, self.at)
        await self.tx.save(limit)
        return limit.id

    async def drop_limits(self, budget_id: str | None, rate_limit_id: str | None = None) -> None:
        """Budgets and rate limits belong to one owner and go with it."""
        budget = self.snapshot.budgets.get(budget_id) if budget_id else None
        if budget is not None:
            await self.tx.delete(budget)
        limit = self.snapshot.rate_limits.get(rate_limit_id) if rate_limit_id else None
        if limit is not None:
            await self.tx.delete(limit)

    async def drop_scoped(self, scope: str, scope_id: str) -> None:
        """Routing rules (and, for a virtual key, pricing overrides) scoped to an object that
        is being deleted go with it: they could never apply again."""
        for rule in self.snapshot.routing_rules.values():
            if rule.scope == scope and rule.scope_id == scope_id:
                await self.tx.delete(rule)
        if scope == "virtual_key":
            for override in self.snapshot.pricing_overrides.values():
                if override.virtual_key_id == scope_id:
                    await self.tx.delete(override)
