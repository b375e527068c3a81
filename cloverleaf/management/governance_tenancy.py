"""Teams and customers: who a virtual key's spend also counts against. Deleting one keeps its
keys (they lose the link) and drops its budget and the routing rules scoped to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cloverleaf.governance.limits import new_id, now
from cloverleaf.governance.models import Customer, GovernanceSnapshot, Team
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.governance.validate import budget_fields, fail, opt_str, req_str
from cloverleaf.management.governance_write import Edit, missing


class TenancyService:
    def __init__(self, store: GovernanceStore) -> None:
        self.store = store

    async def create_team(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str]:
        name = req_str(body, "name")
        customer_id = opt_str(body, "customer_id") or None
        budget = budget_fields(body.get("budget"), "budget")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            _check_customer(snapshot, customer_id)
            budget_id = await edit.budget(budget, None, "budget")
            team = Team(new_id(), name, customer_id, budget_id, at, at)
            await tx.save(team)
            return await tx.snapshot(), team.id

    async def update_team(self, team_id: str, body: Mapping[str, Any]) -> GovernanceSnapshot:
        budget = budget_fields(body.get("budget"), "budget")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            team = snapshot.teams.get(team_id)
            if team is None:
                raise missing("team", team_id)
            given = opt_str(body, "customer_id")
            customer_id = team.customer_id if given is None else (given or None)
            _check_customer(snapshot, customer_id)
            updated = replace(
                team,
                name=opt_str(body, "name") or team.name,
                customer_id=customer_id,
                budget_id=await edit.budget(budget, team.budget_id, "budget"),
                updated_at=at,
            )
            await tx.save(updated)
            return await tx.snapshot()

    async def delete_team(self, team_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            team = snapshot.teams.get(team_id)
            if team is None:
                raise missing("team", team_id)
            for key in snapshot.virtual_keys.values():
                if key.team_id == team_id:
                    await tx.save(replace(key, team_id=None, updated_at=now()))
            await edit.drop_limits(team.budget_id)
            await edit.drop_scoped("team", team_id)
            await tx.delete(team)

    async def create_customer(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str]:
        name = req_str(body, "name")
        budget = budget_fields(body.get("budget"), "budget")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            budget_id = await edit.budget(budget, None, "budget")
            customer = Customer(new_id(), name, budget_id, at, at)
            await tx.save(customer)
            return await tx.snapshot(), customer.id

    async def update_customer(
        self, customer_id: str, body: Mapping[str, Any]
    ) -> GovernanceSnapshot:
        budget = budget_fields(body.get("budget"), "budget")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            customer = snapshot.customers.get(customer_id)
            if customer is None:
                raise missing("customer", customer_id)
            updated = replace(
                customer,
                name=opt_str(body, "name") or customer.name,
                budget_id=await edit.budget(budget, customer.budget_id, "budget"),
                updated_at=at,
            )
            await tx.save(updated)
            return await tx.snapshot()

    async def delete_customer(self, customer_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            customer = snapshot.customers.get(customer_id)
            if customer is None:
                raise missing("customer", customer_id)
            for team in snapshot.teams.values():
                if team.customer_id == customer_id:
                    await tx.save(replace(team, customer_id=None, updated_at=at))
            for key in snapshot.virtual_keys.values():
                if key.customer_id == customer_id:
                    await tx.save(replace(key, customer_id=None, updated_at=at))
            await edit.drop_limits(customer.budget_id)
            await edit.drop_scoped("customer", customer_id)
            await tx.delete(customer)


def _check_customer(snapshot: GovernanceSnapshot, customer_id: str | None) -> None:
    if customer_id is not None and customer_id not in snapshot.customers:
        raise fail(f"customer {customer_id!r} does not exist", "customer_id")
