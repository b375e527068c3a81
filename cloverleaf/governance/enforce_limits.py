"""Every budget and rate limit that covers one request, as counters: the virtual key's own, its
provider config's, its team's, its customer's, the model config's and the provider's. Counters
are named after the budget or rate limit they count, so every instance counts the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from cloverleaf.governance.counters import MAX_UNITS, Limit, Unit, limit_to_units
from cloverleaf.governance.enforce_access import config_for
from cloverleaf.governance.models import Budget, GovernanceSnapshot, RateLimit, VirtualKey
from cloverleaf.governance.windows import parse_window

_MAX_CACHED = 4096


@dataclass(frozen=True, slots=True)
class Covering:
    """The counters one request charges, by what they count."""

    budgets: tuple[Limit, ...]
    requests: tuple[Limit, ...]
    tokens: tuple[Limit, ...]

    @property
    def empty(self) -> bool:
        return not (self.budgets or self.requests or self.tokens)


def budget_limit(budget: Budget) -> Limit:
    return Limit(
        f"b:{budget.id}",
        Unit.NANO_DOLLARS,
        min(limit_to_units(budget.max_limit), MAX_UNITS),
        parse_window(budget.reset_duration, budget.calendar_aligned),
    )


def rate_limits(limit: RateLimit) -> tuple[Limit | None, Limit | None]:
    """The request counter and the token counter of a rate limit (either may be unset)."""
    requests = tokens = None
    if limit.request_max_limit is not None and limit.request_reset_duration:
        requests = Limit(
            f"rl:{limit.id}:r",
            Unit.REQUESTS,
            min(limit.request_max_limit, MAX_UNITS),
            parse_window(limit.request_reset_duration),
        )
    if limit.token_max_limit is not None and limit.token_reset_duration:
        tokens = Limit(
            f"rl:{limit.id}:t",
            Unit.TOKENS,
            min(limit.token_max_limit, MAX_UNITS),
            parse_window(limit.token_reset_duration),
        )
    return requests, tokens


class CoveringCache:
    """Which counters cover (key, provider, model), worked out once per snapshot: a request pays
    one dictionary lookup."""

    def __init__(self) -> None:
        self._snapshot: GovernanceSnapshot | None = None
        self._cache: dict[tuple[str, str, str], Covering] = {}

    def covering(
        self, snapshot: GovernanceSnapshot, key: VirtualKey, provider: str, model: str
    ) -> Covering:
        if snapshot is not self._snapshot:
            self._snapshot, self._cache = snapshot, {}
        entry = (key.id, provider, model)
        found = self._cache.get(entry)
        if found is None:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            found = self._cache[entry] = _covering(snapshot, key, provider, model)
        return found


def _covering(snapshot: GovernanceSnapshot, key: VirtualKey, provider: str, model: str) -> Covering:
    budget_ids: list[str | None] = [key.budget_id]
    limit_ids: list[str | None] = [key.rate_limit_id]
    config = config_for(key, provider)
    if config is not None:
        budget_ids.append(config.budget_id)
        limit_ids.append(config.rate_limit_id)
    team = snapshot.teams.get(key.team_id) if key.team_id else None
    if team is not None:
        budget_ids.append(team.budget_id)
    customer_id = key.customer_id or (team.customer_id if team else None)
    customer = snapshot.customers.get(customer_id) if customer_id else None
    if customer is not None:
        budget_ids.append(customer.budget_id)
    for model_config in snapshot.model_configs.values():
        if model_config.model_name == model and model_config.provider in (None, provider):
            budget_ids.append(model_config.budget_id)
            limit_ids.append(model_config.rate_limit_id)
    governance = snapshot.provider_governance.get(provider)
    if governance is not None:
        budget_ids.append(governance.budget_id)
        limit_ids.append(governance.rate_limit_id)
    budgets = [snapshot.budgets.get(i) for i in dict.fromkeys(budget_ids) if i]
    limits = [snapshot.rate_limits.get(i) for i in dict.fromkeys(limit_ids) if i]
    requests: list[Limit] = []
    tokens: list[Limit] = []
    for limit in limits:
        if limit is None:
            continue
        by_requests, by_tokens = rate_limits(limit)
        requests += [by_requests] if by_requests else []
        tokens += [by_tokens] if by_tokens else []
    return Covering(
        tuple(budget_limit(b) for b in budgets if b is not None), tuple(requests), tuple(tokens)
    )
