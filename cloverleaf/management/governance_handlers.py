"""HTTP handlers of `/api/governance/...` (seed 002): parse, call the service, render.

`?from_memory=true` reads the in-memory snapshot requests are checked against; without it the
database is read, so the two differ only while a change is propagating between instances."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from cloverleaf.core.errors import bad_request
from cloverleaf.governance.models import GovernanceSnapshot
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.management.governance_keys import ProviderKeys, VirtualKeyService
from cloverleaf.management.governance_limits import KnownProviders, LimitsService
from cloverleaf.management.governance_render import Renderer
from cloverleaf.management.governance_rules import RulesService
from cloverleaf.management.governance_tenancy import TenancyService
from cloverleaf.management.governance_write import missing
from cloverleaf.management.http import BODY_TIMEOUT_S, MAX_BODY_BYTES
from cloverleaf.server.asgi import HttpRequest

Reply = tuple[int, Any]
Params = Mapping[str, str]
_TRUE = frozenset({"true", "1", "yes"})


async def read_body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object body, numbers with a fraction as exact Decimals."""
    raw = await request.body(MAX_BODY_BYTES, BODY_TIMEOUT_S)
    try:
        data = json.loads(raw, parse_float=Decimal) if raw else None
    except (ValueError, RecursionError) as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data


def query(request: HttpRequest) -> dict[str, str]:
    parsed = parse_qs(request.query.decode("utf-8", "replace"))
    return {name: values[-1] for name, values in parsed.items()}


def done(what: str) -> Reply:
    return 200, {"message": f"{what} deleted successfully"}


class GovernanceHandlers:
    def __init__(
        self, store: GovernanceStore, keys_of: ProviderKeys, known: KnownProviders
    ) -> None:
        self.store = store
        self.keys = VirtualKeyService(store, keys_of)
        self.tenancy = TenancyService(store)
        self.limits = LimitsService(store, known)
        self.rules = RulesService(store)

    def render(self, snapshot: GovernanceSnapshot) -> Renderer:
        return Renderer(snapshot, self.store.usage_for(snapshot))

    async def _view(self, request: HttpRequest) -> Renderer:
        from_memory = query(request).get("from_memory", "").lower() in _TRUE
        return self.render(await self.store.read(from_memory))

    # virtual keys

    async def list_keys(self, request: HttpRequest, _: Params) -> Reply:
        view = await self._view(request)
        keys = [view.virtual_key(key) for key in view.sorted_keys()]
        return 200, {"virtual_keys": keys, "count": len(keys)}

    async def create_key(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, key_id, value = await self.keys.create(await read_body(request))
        key = self.render(snapshot).virtual_key(snapshot.virtual_keys[key_id], value=value)
        return 200, {"message": "Virtual key created successfully", "virtual_key": key}

    async def get_key(self, request: HttpRequest, params: Params) -> Reply:
        view = await self._view(request)
        key = view.snapshot.virtual_keys.get(params["vk_id"])
        if key is None:
            raise missing("virtual key", params["vk_id"])
        return 200, {"virtual_key": view.virtual_key(key)}

    async def update_key(self, request: HttpRequest, params: Params) -> Reply:
        snapshot = await self.keys.update(params["vk_id"], await read_body(request))
        key = self.render(snapshot).virtual_key(snapshot.virtual_keys[params["vk_id"]])
        return 200, {"message": "Virtual key updated successfully", "virtual_key": key}

    async def delete_key(self, _: HttpRequest, params: Params) -> Reply:
        await self.keys.delete(params["vk_id"])
        return done("Virtual key")

    # teams and customers

    async def list_teams(self, request: HttpRequest, _: Params) -> Reply:
        view = await self._view(request)
        customer_id = query(request).get("customer_id")
        teams = [
            view.team(team)
            for team in view.teams()
            if customer_id is None or team.customer_id == customer_id
        ]
        return 200, {"teams": teams, "count": len(teams)}

    async def create_team(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, team_id = await self.tenancy.create_team(await read_body(request))
        team = self.render(snapshot).team(snapshot.teams[team_id])
        return 200, {"message": "Team created successfully", "team": team}

    async def get_team(self, request: HttpRequest, params: Params) -> Reply:
        view = await self._view(request)
        team = view.snapshot.teams.get(params["team_id"])
        if team is None:
            raise missing("team", params["team_id"])
        return 200, {"team": view.team(team)}

    async def update_team(self, request: HttpRequest, params: Params) -> Reply:
        snapshot = await self.tenancy.update_team(params["team_id"], await read_body(request))
        team = self.render(snapshot).team(snapshot.teams[params["team_id"]])
        return 200, {"message": "Team updated successfully", "team": team}

    async def delete_team(self, _: HttpRequest, params: Params) -> Reply:
        await self.tenancy.delete_team(params["team_id"])
        return done("Team")

    async def list_customers(self, request: HttpRequest, _: Params) -> Reply:
        view = await self._view(request)
        ordered = sorted(view.snapshot.customers.values(), key=lambda c: (c.created_at, c.id))
        customers = [view.customer(customer) for customer in ordered]
        return 200, {"customers": customers, "count": len(customers)}

    async def create_customer(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, customer_id = await self.tenancy.create_customer(await read_body(request))
        customer = self.render(snapshot).customer(snapshot.customers[customer_id])
        return 200, {"message": "Customer created successfully", "customer": customer}

    async def get_customer(self, request: HttpRequest, params: Params) -> Reply:
        view = await self._view(request)
        customer = view.snapshot.customers.get(params["customer_id"])
        if customer is None:
            raise missing("customer", params["customer_id"])
        return 200, {"customer": view.customer(customer)}

    async def update_customer(self, request: HttpRequest, params: Params) -> Reply:
        customer_id = params["customer_id"]
        snapshot = await self.tenancy.update_customer(customer_id, await read_body(request))
        customer = self.render(snapshot).customer(snapshot.customers[customer_id])
        return 200, {"message": "Customer updated successfully", "customer": customer}

    async def delete_customer(self, _: HttpRequest, params: Params) -> Reply:
        await self.tenancy.delete_customer(params["customer_id"])
        return done("Customer")

    # budgets and rate limits (listed; set on their owners)

    async def list_budgets(self, request: HttpRequest, _: Params) -> Reply:
        view = await self._view(request)
        ordered = sorted(view.snapshot.budgets.values(), key=lambda b: (b.created_at, b.id))
        budgets = [view.budget_of(budget) for budget in ordered]
        return 200, {"budgets": budgets, "count": len(budgets)}

    async def list_rate_limits(self, request: HttpRequest, _: Params) -> Reply:
        view = await self._view(request)
        ordered = sorted(view.snapshot.rate_limits.values(), key=lambda r: (r.created_at, r.id))
        limits = [view.rate_limit_of(limit) for limit in ordered]
        return 200, {"rate_limits": limits, "count": len(limits)}
