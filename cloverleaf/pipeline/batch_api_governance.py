"""Governance of a Files/Batches call: the virtual key must be allowed the provider, and the
call counts one request against every rate limit that covers it.

No budget is reserved and no tokens are counted: what a batch costs is known only once the
provider has run it, hours later, and an upload or a listing costs nothing. Reserving a
worst case would refuse every batch call of a budget-limited key (there is no model to price),
so such a key may manage files and batches; the spend shows once batch results are requested
through the chat routes, or on the provider's bill.
"""

from __future__ import annotations

from dataclasses import replace

from cloverleaf.governance.counters import Charge, Refusal
from cloverleaf.governance.enforce import Enforcer, refused
from cloverleaf.governance.enforce_access import config_for, forbidden
from cloverleaf.governance.enforce_context import GovernedRequest
from cloverleaf.governance.enforce_limits import CoveringCache
from cloverleaf.routing.table import ProviderRoute, Target


def permitted_route(governed: GovernedRequest, route: ProviderRoute) -> ProviderRoute:
    """The route as the virtual key may use it (its pinned keys only), or the 403."""
    config = config_for(governed.key, route.name)
    if config is None:
        raise forbidden(
            f"virtual key {governed.key.name!r} may not use provider {route.name!r}",
            code="provider_not_allowed",
        )
    if config.key_ids:
        pinned = frozenset(config.key_ids)
        keys = tuple(key for key in route.keys if key.id in pinned)
        return replace(route, keys=keys)
    return route


class RequestCounter:
    """One request against the covering rate limits, reserved like any other request's so the
    request record settles it and the dispatcher releases it when no upstream answered."""

    def __init__(self) -> None:
        self._covering = CoveringCache()

    async def reserve(self, enforcer: Enforcer, governed: GovernedRequest, target: Target) -> None:
        covering = self._covering.covering(
            governed.snapshot, governed.key, target.route.name, target.model
        )
        if not covering.requests:
            governed.finished = True  # nothing to count, so nothing to settle
            return
        charges = [Charge(limit, 1) for limit in covering.requests]
        outcome = await enforcer.counters.reserve(governed.reservation_id, charges)
        if isinstance(outcome, Refusal):
            governed.finished = True
            raise refused(outcome, budget=False)
        governed.reservation = outcome
