"""`GET /api/governance/virtual-keys/quota`: self-service, the virtual key itself is the
credential (no admin key). Read from the in-memory snapshot, no SQL is built from the value."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from cloverleaf.governance.models import GovernanceSnapshot, VirtualKey
from cloverleaf.management.governance_handlers import GovernanceHandlers
from cloverleaf.management.http import send_json
from cloverleaf.server.asgi import HttpRequest, Send

#: where clients put their key (API.md §1), in order
_HEADERS = (b"x-bf-vk", b"x-api-key", b"x-goog-api-key")


def presented_key(request: HttpRequest) -> str | None:
    auth = request.header(b"authorization")
    if auth is not None and auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    for name in _HEADERS:
        value = request.header(name)
        if value:
            return value.strip()
    keys = parse_qs(request.query.decode("utf-8", "replace")).get("key")
    return keys[-1] if keys else None


class QuotaHandler:
    def __init__(self, base: GovernanceHandlers) -> None:
        self.base = base

    async def handle(self, request: HttpRequest, send: Send) -> None:
        value = presented_key(request)
        snapshot = self.base.store.snapshot
        key = snapshot.find_key(value) if value else None
        if key is None:
            message = "invalid virtual key" if value else "missing virtual key"
            await send_json(send, request.request_id, {"error": message}, 401)
            return
        await send_json(send, request.request_id, self.quota(key, snapshot))

    def quota(self, key: VirtualKey, snapshot: GovernanceSnapshot) -> dict[str, Any]:
        """The key's own budget, its provider configs', its team's and its customer's: every
        budget its spend counts against."""
        view = self.base.render(snapshot)
        budget_ids = [key.budget_id] + [c.budget_id for c in key.provider_configs]
        team = snapshot.teams.get(key.team_id) if key.team_id else None
        customer_id = key.customer_id or (team.customer_id if team else None)
        customer = snapshot.customers.get(customer_id) if customer_id else None
        budget_ids += [team.budget_id if team else None, customer.budget_id if customer else None]
        budgets = [b for b in (view.budget(i) for i in budget_ids) if b is not None]
        payload: dict[str, Any] = {
            "virtual_key_name": key.name,
            "is_active": key.is_active,
            "budgets": budgets,
        }
        limit = view.rate_limit(key.rate_limit_id)
        if limit is not None:
            payload["rate_limit"] = limit
        return payload
