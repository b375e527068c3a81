"""Virtual keys: create (the value is shown once, only its hash is stored), update, delete.
A key's provider configs say which providers and models it may use; none means nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cloverleaf.governance.limits import new_id, now
from cloverleaf.governance.models import (
    GovernanceSnapshot,
    McpConfig,
    ProviderConfig,
    VirtualKey,
    hash_key_value,
)
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.governance.validate import (
    ProviderConfigFields,
    budget_fields,
    fail,
    mcp_configs,
    opt_bool,
    opt_str,
    provider_configs,
    rate_limit_fields,
    req_str,
)
from cloverleaf.management.governance_write import Edit, missing

#: the upstream key ids a provider has (empty for an unknown provider)
ProviderKeys = Callable[[str], set[str]]
KEY_PREFIX = "sk-bf-"
_PREVIEW = 4


def new_key_value() -> str:
    """256 bits from the OS's CSPRNG."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class VirtualKeyService:
    def __init__(self, store: GovernanceStore, keys_of: ProviderKeys) -> None:
        self.store = store
        self._keys_of = keys_of

    async def create(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str, str]:
        """→ (snapshot after the write, key id, the key's value: shown this once)."""
        name = req_str(body, "name")
        configs = provider_configs(body) or []
        mcp = mcp_configs(body) or []
        budget = budget_fields(body.get("budget"), "budget")
        limit = rate_limit_fields(body.get("rate_limit"), "rate_limit")
        team_id, customer_id = _owner(body, None)
        self._check_key_ids(configs)
        value = new_key_value()
        key_id = new_id()
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            _check_owner(snapshot, team_id, customer_id)
            key = VirtualKey(
                id=key_id,
                name=name,
                description=opt_str(body, "description") or "",
                value_hash=hash_key_value(value),
                value_preview=value[-_PREVIEW:],
                is_active=opt_bool(body, "is_active") is not False,
                team_id=team_id,
                customer_id=customer_id,
                budget_id=await edit.budget(budget, None, "budget"),
                rate_limit_id=await edit.rate_limit(limit, None, "rate_limit"),
                provider_configs=await _configs(edit, key_id, configs, ()),
                mcp_configs=_mcp(mcp),
                created_at=at,
                updated_at=at,
            )
            await tx.save(key)
            return await tx.snapshot(), key_id, value

    async def update(self, key_id: str, body: Mapping[str, Any]) -> GovernanceSnapshot:
        configs = provider_configs(body)
        mcp = mcp_configs(body)
        budget = budget_fields(body.get("budget"), "budget")
        limit = rate_limit_fields(body.get("rate_limit"), "rate_limit")
        self._check_key_ids(configs or [])
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            key = snapshot.virtual_keys.get(key_id)
            if key is None:
                raise missing("virtual key", key_id)
            team_id, customer_id = _owner(body, key)
            _check_owner(snapshot, team_id, customer_id)
            active = opt_bool(body, "is_active")
            updated = replace(
                key,
                name=opt_str(body, "name") or key.name,
                description=_given(opt_str(body, "description"), key.description),
                is_active=key.is_active if active is None else active,
                team_id=team_id,
                customer_id=customer_id,
                budget_id=await edit.budget(budget, key.budget_id, "budget"),
                rate_limit_id=await edit.rate_limit(limit, key.rate_limit_id, "rate_limit"),
                mcp_configs=_mcp(mcp) if mcp is not None else key.mcp_configs,
                updated_at=at,
            )
            if configs is not None:
                new = await _configs(edit, key_id, configs, key.provider_configs)
                kept = {c.id for c in new}
                for old in key.provider_configs:
                    if old.id not in kept:
                        await edit.drop_limits(old.budget_id, old.rate_limit_id)
                updated = replace(updated, provider_configs=new)
            await tx.save(updated)
            return await tx.snapshot()

    async def delete(self, key_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            key = snapshot.virtual_keys.get(key_id)
            if key is None:
                raise missing("virtual key", key_id)
            for config in key.provider_configs:
                await edit.drop_limits(config.budget_id, config.rate_limit_id)
            await edit.drop_limits(key.budget_id, key.rate_limit_id)
            await edit.drop_scoped("virtual_key", key_id)
            await tx.delete(key)

    def _check_key_ids(self, configs: Sequence[ProviderConfigFields]) -> None:
        """A pinned key must be one of that provider's upstream keys."""
        if not any(config.key_ids for config in configs):
            return
        for index, config in enumerate(configs):
            known = self._keys_of(config.provider)
            for key_id in config.key_ids:
                if key_id not in known:
                    raise fail(
                        f"key {key_id!r} is not a key of provider {config.provider!r}",
                        f"provider_configs[{index}].key_ids",
                    )


def _given(value: str | None, current: str) -> str:
    return current if value is None else value


def _owner(body: Mapping[str, Any], key: VirtualKey | None) -> tuple[str | None, str | None]:
    """A key belongs to a team or a customer, not both; "" clears."""
    team_id = opt_str(body, "team_id")
    customer_id = opt_str(body, "customer_id")
    if team_id and customer_id:
        raise fail("a virtual key belongs to a team or a customer, not both", "team_id")
    if team_id is not None or customer_id is not None:
        return team_id or None, customer_id or None
    return (key.team_id, key.customer_id) if key is not None else (None, None)


def _check_owner(
    snapshot: GovernanceSnapshot, team_id: str | None, customer_id: str | None
) -> None:
    if team_id is not None and team_id not in snapshot.teams:
        raise fail(f"team {team_id!r} does not exist", "team_id")
    if customer_id is not None and customer_id not in snapshot.customers:
        raise fail(f"customer {customer_id!r} does not exist", "customer_id")


def _mcp(configs: list[tuple[str, tuple[str, ...]]]) -> tuple[McpConfig, ...]:
    return tuple(McpConfig(i + 1, name, tools) for i, (name, tools) in enumerate(configs))


async def _configs(
    edit: Edit,
    key_id: str,
    given: Sequence[ProviderConfigFields],
    existing: Sequence[ProviderConfig],
) -> tuple[ProviderConfig, ...]:
    """The key's new provider configs. One given with the id (or, without an id, the provider)
    of an existing one updates it, keeping its budget and rate limit."""
    by_id = {c.id: c for c in existing}
    by_provider = {c.provider: c for c in existing}
    taken = [c.id for key in edit.snapshot.virtual_keys.values() for c in key.provider_configs]
    next_id = max(taken, default=0) + 1
    result: list[ProviderConfig] = []
    for index, fields in enumerate(given):
        at_param = f"provider_configs[{index}]"
        if fields.id is not None and fields.id not in by_id:
            raise fail(f"{at_param}.id {fields.id} is not a config of this key", f"{at_param}.id")
        old = by_id.get(fields.id) if fields.id is not None else by_provider.get(fields.provider)
        config_id = old.id if old is not None else next_id
        next_id += old is None
        budget = await edit.budget(
            fields.budget, old.budget_id if old else None, f"{at_param}.budget"
        )
        old_limit = old.rate_limit_id if old else None
        limit = await edit.rate_limit(fields.rate_limit, old_limit, f"{at_param}.rate_limit")
        result.append(
            ProviderConfig(
                config_id,
                key_id,
                fields.provider,
                fields.weight,
                fields.allowed_models,
                fields.key_ids,
                budget,
                limit,
            )
        )
    return tuple(result)
