"""Governance before the upstream call: find the client's virtual key, decide what it may use,
and reserve the request against every rate limit and its worst-case cost against every budget
that covers it, atomically, so concurrent requests can never spend past a budget."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal

from cloverleaf.config.server import GovernanceSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.governance.cost import CHAT, INPUT_ONLY, PriceBook, worst_case_cost
from cloverleaf.governance.counters import (
    MAX_UNITS,
    Charge,
    CounterStore,
    Refusal,
    RefusalReason,
    dollars_to_units,
)
from cloverleaf.governance.enforce_access import Resolve, allowed_targets, forbidden
from cloverleaf.governance.enforce_auth import find_virtual_key
from cloverleaf.governance.enforce_context import GovernedRequest
from cloverleaf.governance.enforce_limits import CoveringCache
from cloverleaf.governance.models import GovernanceSnapshot
from cloverleaf.routing.table import RoutingTable, Target

#: the output a request may produce when neither the client nor the catalogue bounds it
DEFAULT_MAX_OUTPUT_TOKENS = 4096


class Enforcer:
    def __init__(
        self,
        counters: CounterStore,
        prices: PriceBook,
        settings: GovernanceSettings,
        exposed: bool,
    ) -> None:
        """`exposed`: bound beyond loopback with no OIDC in front, so keys are always needed."""
        self.counters = counters
        self.prices = prices
        self._always = settings.require_client_key == "always" or exposed
        self._never = settings.require_client_key == "never" and not exposed
        self._covering = CoveringCache()
        #: other client credentials (LLM Proxy project tokens, ...) that satisfy "a key is
        #: required" without being a virtual key; their own checks run in their handlers
        self.recognizes: Callable[[list[str]], bool] | None = None
        #: whether any such credential exists: then, as with virtual keys, one is required
        self.others_exist: Callable[[], bool] | None = None

    def active(self, snapshot: GovernanceSnapshot) -> bool:
        """Whether a request needs looking at at all; False keeps the keyless path as it was."""
        return self._always or self._keys_exist(snapshot)

    def _keys_exist(self, snapshot: GovernanceSnapshot) -> bool:
        return bool(snapshot.virtual_keys) or (
            self.others_exist is not None and self.others_exist()
        )

    def admit(
        self, snapshot: GovernanceSnapshot, candidates: list[str]
    ) -> GovernedRequest | GatewayError | None:
        """The virtual key's governed request; None when the request presents none and needs
        none, or presents another recognized credential (checked by its owner next)."""
        required = self._always or (not self._never and self._keys_exist(snapshot))
        found = find_virtual_key(snapshot, candidates, required)
        if found is None:
            return None
        if isinstance(found, GatewayError):
            if found.code == "invalid_api_key" and self._other_key(candidates):
                return None
            return found
        return GovernedRequest(found, snapshot)

    def _other_key(self, candidates: list[str]) -> bool:
        return self.recognizes is not None and bool(candidates) and self.recognizes(candidates)

    async def targets(
        self,
        governed: GovernedRequest,
        table: RoutingTable,
        resolve: Resolve,
        model: str,
        fallbacks: Sequence[str],
        *,
        rng: random.Random,
    ) -> list[Target]:
        return await allowed_targets(governed.key, table, resolve, model, fallbacks, rng=rng)

    async def reserve(
        self,
        governed: GovernedRequest,
        targets: Sequence[Target],
        input_tokens: int,
        max_tokens: int | None,
        *,
        request_type: str = CHAT,
        units: Usage | None = None,
    ) -> None:
        """Charge every covering counter, or raise the 429/503/403 the client gets.
        `request_type` prices the worst case (an embedding costs its input alone); `units` is
        the most a unit-priced request can use (images asked for, characters to speak)."""
        first = targets[0]
        covering = self._covering.covering(
            governed.snapshot, governed.key, first.route.name, first.model
        )
        if covering.empty:
            governed.finished = True
            return
        worst_units = 0
        output_tokens = 0 if request_type in INPUT_ONLY else max_tokens
        if covering.budgets or output_tokens is None:
            for target in targets:
                cost, bound = self._worst_case(
                    governed,
                    target,
                    input_tokens,
                    output_tokens,
                    request_type=request_type,
                    units=units,
                )
                if covering.budgets:
                    if cost is None:
                        raise _unpriced(governed, target)
                    worst_units = max(worst_units, dollars_to_units(cost))
                output_tokens = max(output_tokens or 0, bound)
        tokens = min(input_tokens + (output_tokens or 0), MAX_UNITS)
        charges = [Charge(limit, 1) for limit in covering.requests]
        charges += [Charge(limit, tokens) for limit in covering.tokens]
        charges += [Charge(limit, min(worst_units, MAX_UNITS)) for limit in covering.budgets]
        outcome = await self.counters.reserve(governed.reservation_id, charges)
        if isinstance(outcome, Refusal):
            governed.finished = True
            budget_ids = {limit.counter_id for limit in covering.budgets}
            raise refused(outcome, budget=outcome.counter_id in budget_ids)
        governed.reservation = outcome

    def _worst_case(
        self,
        governed: GovernedRequest,
        target: Target,
        input_tokens: int,
        max_tokens: int | None,
        *,
        request_type: str,
        units: Usage | None,
    ) -> tuple[Decimal | None, int]:
        prices = self.prices.prices(
            governed.snapshot,
            target.route.name,
            target.model,
            virtual_key_id=governed.key.id,
            request_type=request_type,
        )
        if request_type in INPUT_ONLY:
            bound = 0
        else:
            bound = max_tokens or prices.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS
        cost = worst_case_cost(prices.pricing, input_tokens, bound, request_type, units)
        return cost, bound


def _unpriced(governed: GovernedRequest, target: Target) -> GatewayError:
    return forbidden(
        f"model {target.label!r} has no price, and virtual key {governed.key.name!r} is "
        "budget-limited: add a pricing override for the model (or a catalogue entry) to use it",
        code="model_unpriced",
    )


def refused(refusal: Refusal, budget: bool) -> GatewayError:
    """A refusal as the client sees it: 429 with Retry-After, or 503 when nobody can count."""
    if refusal.reason is RefusalReason.LIMIT_EXCEEDED:
        what = "budget exceeded" if budget else "rate limit exceeded"
        return GatewayError(
            429,
            f"{what}: {refusal.message}",
            type="rate_limit_error",
            code="budget_exceeded" if budget else "rate_limit_exceeded",
            headers=(("retry-after", str(refusal.retry_after_s)),),
        )
    return GatewayError(
        503,
        "budgets and rate limits cannot be counted right now (counter store unavailable); "
        "the request was refused rather than risk overspending",
        type="service_unavailable",
        code="counters_unavailable",
        headers=(("retry-after", "1"),),
    )
