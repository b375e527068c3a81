"""HTTP handlers of routing rules, model configs, provider governance and pricing overrides."""

from __future__ import annotations

from cloverleaf.management.governance_handlers import (
    GovernanceHandlers,
    Params,
    Reply,
    done,
    query,
    read_body,
)
from cloverleaf.management.governance_render import pricing_override, routing_rule
from cloverleaf.management.governance_write import missing
from cloverleaf.server.asgi import HttpRequest

_PRICING_FILTERS = ("scope_kind", "virtual_key_id", "provider_id", "provider_key_id")


class GovernanceConfigHandlers:
    def __init__(self, base: GovernanceHandlers) -> None:
        self.base = base
        self.store = base.store

    # routing rules

    async def list_rules(self, request: HttpRequest, _: Params) -> Reply:
        wanted = query(request)
        scope, scope_id = wanted.get("scope"), wanted.get("scope_id")
        rules = sorted(
            (await self.store.read(False)).routing_rules.values(),
            key=lambda r: (r.priority, r.created_at, r.id),
        )
        rendered = [
            routing_rule(rule)
            for rule in rules
            if (scope is None or rule.scope == scope)
            and (scope_id is None or rule.scope_id == scope_id)
        ]
        return 200, {"rules": rendered, "count": len(rendered)}

    async def create_rule(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, rule_id = await self.base.rules.create_rule(await read_body(request))
        rule = routing_rule(snapshot.routing_rules[rule_id])
        return 200, {"message": "Routing rule created successfully", "rule": rule}

    async def get_rule(self, _: HttpRequest, params: Params) -> Reply:
        rule = (await self.store.read(False)).routing_rules.get(params["rule_id"])
        if rule is None:
            raise missing("routing rule", params["rule_id"])
        return 200, {"rule": routing_rule(rule)}

    async def update_rule(self, request: HttpRequest, params: Params) -> Reply:
        rule_id = params["rule_id"]
        snapshot = await self.base.rules.update_rule(rule_id, await read_body(request))
        rule = routing_rule(snapshot.routing_rules[rule_id])
        return 200, {"message": "Routing rule updated successfully", "rule": rule}

    async def delete_rule(self, _: HttpRequest, params: Params) -> Reply:
        await self.base.rules.delete_rule(params["rule_id"])
        return done("Routing rule")

    # model configs

    async def list_model_configs(self, _: HttpRequest, __: Params) -> Reply:
        view = self.base.render(await self.store.read(False))
        configs = sorted(view.snapshot.model_configs.values(), key=lambda c: (c.created_at, c.id))
        rendered = [view.model_config(config) for config in configs]
        return 200, {"model_configs": rendered, "count": len(rendered)}

    async def create_model_config(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, config_id = await self.base.limits.create_model_config(await read_body(request))
        config = self.base.render(snapshot).model_config(snapshot.model_configs[config_id])
        return 200, {"message": "Model config created successfully", "model_config": config}

    async def get_model_config(self, _: HttpRequest, params: Params) -> Reply:
        snapshot = await self.store.read(False)
        config = snapshot.model_configs.get(params["mc_id"])
        if config is None:
            raise missing("model config", params["mc_id"])
        return 200, {"model_config": self.base.render(snapshot).model_config(config)}

    async def update_model_config(self, request: HttpRequest, params: Params) -> Reply:
        config_id = params["mc_id"]
        snapshot = await self.base.limits.update_model_config(config_id, await read_body(request))
        config = self.base.render(snapshot).model_config(snapshot.model_configs[config_id])
        return 200, {"message": "Model config updated successfully", "model_config": config}

    async def delete_model_config(self, _: HttpRequest, params: Params) -> Reply:
        await self.base.limits.delete_model_config(params["mc_id"])
        return done("Model config")

    # provider governance

    async def list_providers(self, _: HttpRequest, __: Params) -> Reply:
        view = self.base.render(await self.store.read(False))
        names = sorted(view.snapshot.provider_governance)
        providers = [view.provider_governance(name) for name in names]
        return 200, {"providers": providers, "count": len(providers)}

    async def update_provider(self, request: HttpRequest, params: Params) -> Reply:
        name = params["provider_name"]
        snapshot = await self.base.limits.put_provider(name, await read_body(request))
        return 200, self.base.render(snapshot).provider_governance(name)

    async def delete_provider(self, _: HttpRequest, params: Params) -> Reply:
        await self.base.limits.delete_provider(params["provider_name"])
        return done("Provider governance")

    # pricing overrides

    async def list_pricing(self, request: HttpRequest, _: Params) -> Reply:
        wanted = {k: v for k, v in query(request).items() if k in _PRICING_FILTERS}
        overrides = sorted(
            (await self.store.read(False)).pricing_overrides.values(),
            key=lambda o: (o.created_at, o.id),
        )
        rendered = [
            pricing_override(o)
            for o in overrides
            if all(getattr(o, name) == value for name, value in wanted.items())
        ]
        return 200, {"pricing_overrides": rendered, "count": len(rendered)}

    async def create_pricing(self, request: HttpRequest, _: Params) -> Reply:
        snapshot, override_id = await self.base.rules.create_pricing(await read_body(request))
        override = pricing_override(snapshot.pricing_overrides[override_id])
        return 201, {
            "message": "Pricing override created successfully",
            "pricing_override": override,
        }

    async def update_pricing(self, request: HttpRequest, params: Params) -> Reply:
        override_id = params["id"]
        snapshot = await self.base.rules.update_pricing(override_id, await read_body(request))
        override = pricing_override(snapshot.pricing_overrides[override_id])
        return 200, {
            "message": "Pricing override updated successfully",
            "pricing_override": override,
        }

    async def delete_pricing(self, _: HttpRequest, params: Params) -> Reply:
        await self.base.rules.delete_pricing(params["id"])
        return done("Pricing override")
