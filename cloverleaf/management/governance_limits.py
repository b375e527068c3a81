"""Model configs (a budget and rate limit for one model, on one provider or all) and provider
governance (a budget and rate limit for a whole provider)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from cloverleaf.governance.limits import new_id, now
from cloverleaf.governance.models import GovernanceSnapshot, ModelConfig, ProviderGovernance
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.governance.validate import budget_fields, fail, opt_str, rate_limit_fields, req_str
from cloverleaf.management.governance_write import Edit, missing

#: the provider names this gateway knows (configured, from the store or the environment)
KnownProviders = Callable[[], set[str]]


class LimitsService:
    def __init__(self, store: GovernanceStore, known_providers: KnownProviders) -> None:
        self.store = store
        self._known = known_providers

    async def create_model_config(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str]:
        model = req_str(body, "model_name")
        provider = opt_str(body, "provider") or None
        budget = budget_fields(body.get("budget"), "budget")
        limit = rate_limit_fields(body.get("rate_limit"), "rate_limit")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            _check_unique(snapshot, model, provider, None)
            config = ModelConfig(
                new_id(),
                model,
                provider,
                await edit.budget(budget, None, "budget"),
                await edit.rate_limit(limit, None, "rate_limit"),
                at,
                at,
            )
            await tx.save(config)
            return await tx.snapshot(), config.id

    async def update_model_config(
        self, config_id: str, body: Mapping[str, Any]
    ) -> GovernanceSnapshot:
        budget = budget_fields(body.get("budget"), "budget")
        limit = rate_limit_fields(body.get("rate_limit"), "rate_limit")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            config = snapshot.model_configs.get(config_id)
            if config is None:
                raise missing("model config", config_id)
            model = opt_str(body, "model_name") or config.model_name
            given = opt_str(body, "provider")
            provider = config.provider if given is None else (given or None)
            _check_unique(snapshot, model, provider, config_id)
            updated = replace(
                config,
                model_name=model,
                provider=provider,
                budget_id=await edit.budget(budget, config.budget_id, "budget"),
                rate_limit_id=await edit.rate_limit(limit, config.rate_limit_id, "rate_limit"),
                updated_at=at,
            )
            await tx.save(updated)
            return await tx.snapshot()

    async def delete_model_config(self, config_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            config = snapshot.model_configs.get(config_id)
            if config is None:
                raise missing("model config", config_id)
            await edit.drop_limits(config.budget_id, config.rate_limit_id)
            await tx.delete(config)

    async def put_provider(self, provider: str, body: Mapping[str, Any]) -> GovernanceSnapshot:
        """Create or update the provider's budget and rate limit (each merged if present)."""
        if provider not in self._known():
            raise missing("provider", provider)
        budget = budget_fields(body.get("budget"), "budget")
        limit = rate_limit_fields(body.get("rate_limit"), "rate_limit")
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            existing = snapshot.provider_governance.get(provider)
            if existing is None and budget is None and limit is None:
                raise fail("give a budget, a rate_limit or both", "budget")
            budget_id = await edit.budget(
                budget, existing.budget_id if existing else None, "budget"
            )
            limit_id = await edit.rate_limit(
                limit, existing.rate_limit_id if existing else None, "rate_limit"
            )
            created = existing.created_at if existing is not None else at
            await tx.save(ProviderGovernance(provider, budget_id, limit_id, created, at))
            return await tx.snapshot()

    async def delete_provider(self, provider: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            at = now()
            edit = Edit(tx, snapshot, at)
            existing = snapshot.provider_governance.get(provider)
            if existing is None:
                raise missing("provider governance for", provider)
            await edit.drop_limits(existing.budget_id, existing.rate_limit_id)
            await tx.delete(existing)


def _check_unique(
    snapshot: GovernanceSnapshot, model: str, provider: str | None, own_id: str | None
) -> None:
    for other in snapshot.model_configs.values():
        if other.id != own_id and other.model_name == model and other.provider == provider:
            where = f" on provider {provider!r}" if provider else ""
            raise fail(f"model {model!r}{where} already has a model config", "model_name")
