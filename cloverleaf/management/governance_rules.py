"""Pricing overrides and routing rules: stored and validated here; cost resolution reads
`GovernanceSnapshot.pricing_for`, and evaluating rules belongs to routing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cloverleaf.governance.limits import new_id, now
from cloverleaf.governance.models import GovernanceSnapshot, PricingOverride, RoutingRule
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.governance.validate import fail
from cloverleaf.governance.validate_rules import (
    PricingFields,
    RuleFields,
    pricing_fields,
    rule_fields,
)
from cloverleaf.management.governance_write import missing

_SCOPE_ID_NAMES = ("virtual_key_id", "provider_id", "provider_key_id")
_RULE_OWNERS = {"team": "teams", "customer": "customers", "virtual_key": "virtual_keys"}


class RulesService:
    def __init__(self, store: GovernanceStore) -> None:
        self.store = store

    async def create_pricing(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str]:
        fields = pricing_fields(body)
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            _check_pricing_refs(snapshot, fields)
            at = now()
            override = _override(new_id(), fields, None, at, at)
            await tx.save(override)
            return await tx.snapshot(), override.id

    async def update_pricing(self, override_id: str, body: Mapping[str, Any]) -> GovernanceSnapshot:
        """Omitted fields keep their stored values; `patch`, when given, replaces the old one
        whole. Changing `scope_kind` drops the ids the body does not give again."""
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            old = snapshot.pricing_overrides.get(override_id)
            if old is None:
                raise missing("pricing override", override_id)
            merged: dict[str, Any] = {
                "name": old.name,
                "scope_kind": old.scope_kind,
                "virtual_key_id": old.virtual_key_id,
                "provider_id": old.provider_id,
                "provider_key_id": old.provider_key_id,
                "match_type": old.match_type,
                "pattern": old.pattern,
                "request_types": list(old.request_types),
                "patch": dict(old.patch),
            }
            if body.get("scope_kind") not in (None, old.scope_kind):
                for name in _SCOPE_ID_NAMES:
                    merged[name] = None
            merged.update({name: value for name, value in body.items() if value is not None})
            fields = pricing_fields(merged)
            _check_pricing_refs(snapshot, fields)
            await tx.save(_override(old.id, fields, old.config_hash, old.created_at, now()))
            return await tx.snapshot()

    async def delete_pricing(self, override_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            old = snapshot.pricing_overrides.get(override_id)
            if old is None:
                raise missing("pricing override", override_id)
            await tx.delete(old)

    async def create_rule(self, body: Mapping[str, Any]) -> tuple[GovernanceSnapshot, str]:
        fields = rule_fields(body)
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            _check_rule_scope(snapshot, fields.scope, fields.scope_id)
            at = now()
            rule = RoutingRule(new_id(), created_at=at, updated_at=at, **_rule_values(fields))
            await tx.save(rule)
            return await tx.snapshot(), rule.id

    async def update_rule(self, rule_id: str, body: Mapping[str, Any]) -> GovernanceSnapshot:
        """Omitted fields keep their stored values; `targets`, when given, replace all."""
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            old = snapshot.routing_rules.get(rule_id)
            if old is None:
                raise missing("routing rule", rule_id)
            merged: dict[str, Any] = {
                "name": old.name,
                "description": old.description,
                "enabled": old.enabled,
                "cel_expression": old.cel_expression,
                "targets": [
                    {
                        "provider": t.provider,
                        "model": t.model,
                        "key_id": t.key_id,
                        "weight": t.weight,
                    }
                    for t in old.targets
                ],
                "fallbacks": list(old.fallbacks),
                "scope": old.scope,
                "scope_id": old.scope_id,
                "priority": old.priority,
                "query": old.query,
            }
            if body.get("scope") not in (None, old.scope):
                merged["scope_id"] = None
            merged.update({name: value for name, value in body.items() if name in merged})
            fields = rule_fields(merged)
            _check_rule_scope(snapshot, fields.scope, fields.scope_id)
            rule = RoutingRule(
                old.id, created_at=old.created_at, updated_at=now(), **_rule_values(fields)
            )
            await tx.save(rule)
            return await tx.snapshot()

    async def delete_rule(self, rule_id: str) -> None:
        async with self.store.write() as tx:
            snapshot = await tx.snapshot()
            old = snapshot.routing_rules.get(rule_id)
            if old is None:
                raise missing("routing rule", rule_id)
            await tx.delete(old)


def _override(
    override_id: str,
    fields: PricingFields,
    config_hash: str | None,
    created: datetime,
    updated: datetime,
) -> PricingOverride:
    return PricingOverride(
        id=override_id,
        name=fields.name,
        scope_kind=fields.scope_kind,
        virtual_key_id=fields.virtual_key_id,
        provider_id=fields.provider_id,
        provider_key_id=fields.provider_key_id,
        match_type=fields.match_type,
        pattern=fields.pattern,
        request_types=fields.request_types,
        patch=fields.patch,
        config_hash=config_hash,
        created_at=created,
        updated_at=updated,
    )


def _rule_values(fields: RuleFields) -> dict[str, Any]:
    """RuleFields and RoutingRule share their field names (bar id and times)."""
    return {field.name: getattr(fields, field.name) for field in dataclasses.fields(fields)}


def _check_pricing_refs(snapshot: GovernanceSnapshot, fields: PricingFields) -> None:
    if fields.virtual_key_id is not None and fields.virtual_key_id not in snapshot.virtual_keys:
        raise fail(f"virtual key {fields.virtual_key_id!r} does not exist", "virtual_key_id")


def _check_rule_scope(snapshot: GovernanceSnapshot, scope: str, scope_id: str | None) -> None:
    owners = _RULE_OWNERS.get(scope)
    if owners is not None and scope_id not in getattr(snapshot, owners):
        raise fail(f"{scope.replace('_', ' ')} {scope_id!r} does not exist", "scope_id")
