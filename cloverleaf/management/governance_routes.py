"""The 35 routes of seed 002 with their policies and OpenAPI metadata. Everything needs the
admin credential except the quota, whose credential is the virtual key itself."""

from __future__ import annotations

from cloverleaf.governance.store import GovernanceStore
from cloverleaf.management.governance_config_handlers import GovernanceConfigHandlers
from cloverleaf.management.governance_handlers import GovernanceHandlers
from cloverleaf.management.governance_quota import QuotaHandler
from cloverleaf.management.handlers import Action, guarded
from cloverleaf.management.registry import Policy, Route, Schema
from cloverleaf.pipeline.gateway import Gateway

_S = "bifrost/schemas/management/governance.yaml#/"
ERROR = "bifrost/schemas/inference/common.yaml#/BifrostError"
MESSAGE = "bifrost/schemas/management/common.yaml#/MessageResponse"
TAGS = ("Governance",)
BASE = "/api/governance"

#: (method, path, operation id, summary, request schema, response schema, success status)
_Spec = tuple[str, str, str, str, str | None, str | None, int]


def _specs() -> list[_Spec]:
    vk, vk1 = f"{BASE}/virtual-keys", f"{BASE}/virtual-keys/{{vk_id}}"
    team, team1 = f"{BASE}/teams", f"{BASE}/teams/{{team_id}}"
    cust, cust1 = f"{BASE}/customers", f"{BASE}/customers/{{customer_id}}"
    rule, rule1 = f"{BASE}/routing-rules", f"{BASE}/routing-rules/{{rule_id}}"
    mc, mc1 = f"{BASE}/model-configs", f"{BASE}/model-configs/{{mc_id}}"
    prov, prov1 = f"{BASE}/providers", f"{BASE}/providers/{{provider_name}}"
    price, price1 = f"{BASE}/pricing-overrides", f"{BASE}/pricing-overrides/{{id}}"
    return [
        ("GET", vk, "listVirtualKeys", "List virtual keys", None, "ListVirtualKeysResponse", 200),
        (
            "POST",
            vk,
            "createVirtualKey",
            "Create a virtual key (its value is shown once)",
            "CreateVirtualKeyRequest",
            "VirtualKeyResponse",
            200,
        ),
        ("GET", vk1, "getVirtualKey", "Get a virtual key", None, None, 200),
        (
            "PUT",
            vk1,
            "updateVirtualKey",
            "Update a virtual key",
            "UpdateVirtualKeyRequest",
            "VirtualKeyResponse",
            200,
        ),
        ("DELETE", vk1, "deleteVirtualKey", "Delete a virtual key", None, MESSAGE, 200),
        (
            "GET",
            team,
            "listTeams",
            "List teams (customer_id filter)",
            None,
            "ListTeamsResponse",
            200,
        ),
        ("POST", team, "createTeam", "Create a team", "CreateTeamRequest", "TeamResponse", 200),
        ("GET", team1, "getTeam", "Get a team", None, None, 200),
        ("PUT", team1, "updateTeam", "Update a team", "UpdateTeamRequest", "TeamResponse", 200),
        ("DELETE", team1, "deleteTeam", "Delete a team", None, MESSAGE, 200),
        ("GET", cust, "listCustomers", "List customers", None, "ListCustomersResponse", 200),
        (
            "POST",
            cust,
            "createCustomer",
            "Create a customer",
            "CreateCustomerRequest",
            "CustomerResponse",
            200,
        ),
        ("GET", cust1, "getCustomer", "Get a customer", None, None, 200),
        (
            "PUT",
            cust1,
            "updateCustomer",
            "Update a customer",
            "UpdateCustomerRequest",
            "CustomerResponse",
            200,
        ),
        ("DELETE", cust1, "deleteCustomer", "Delete a customer", None, MESSAGE, 200),
        (
            "GET",
            f"{BASE}/budgets",
            "listBudgets",
            "List budgets with current usage",
            None,
            "ListBudgetsResponse",
            200,
        ),
        (
            "GET",
            f"{BASE}/rate-limits",
            "listRateLimits",
            "List rate limits with current usage",
            None,
            "ListRateLimitsResponse",
            200,
        ),
        (
            "GET",
            rule,
            "listRoutingRules",
            "List routing rules (scope, scope_id filters)",
            None,
            "ListRoutingRulesResponse",
            200,
        ),
        (
            "POST",
            rule,
            "createRoutingRule",
            "Create a routing rule (CEL, weighted targets)",
            "CreateRoutingRuleRequest",
            "RoutingRuleResponse",
            200,
        ),
        ("GET", rule1, "getRoutingRule", "Get a routing rule", None, None, 200),
        (
            "PUT",
            rule1,
            "updateRoutingRule",
            "Update a routing rule",
            "UpdateRoutingRuleRequest",
            "RoutingRuleResponse",
            200,
        ),
        ("DELETE", rule1, "deleteRoutingRule", "Delete a routing rule", None, MESSAGE, 200),
        (
            "GET",
            mc,
            "listModelConfigs",
            "List model configs",
            None,
            "ListModelConfigsResponse",
            200,
        ),
        (
            "POST",
            mc,
            "createModelConfig",
            "Create a model config",
            "CreateModelConfigRequest",
            "ModelConfigResponse",
            200,
        ),
        ("GET", mc1, "getModelConfig", "Get a model config", None, None, 200),
        (
            "PUT",
            mc1,
            "updateModelConfig",
            "Update a model config",
            "UpdateModelConfigRequest",
            "ModelConfigResponse",
            200,
        ),
        ("DELETE", mc1, "deleteModelConfig", "Delete a model config", None, MESSAGE, 200),
        (
            "GET",
            prov,
            "listProviderGovernance",
            "List provider budgets and rate limits",
            None,
            "ListProviderGovernanceResponse",
            200,
        ),
        (
            "PUT",
            prov1,
            "updateProviderGovernance",
            "Set a provider's budget and rate limit",
            "UpdateProviderGovernanceRequest",
            "ProviderGovernanceResponse",
            200,
        ),
        (
            "DELETE",
            prov1,
            "deleteProviderGovernance",
            "Remove a provider's budget and rate limit",
            None,
            MESSAGE,
            200,
        ),
        (
            "GET",
            price,
            "listPricingOverrides",
            "List pricing overrides (scope filters)",
            None,
            "ListPricingOverridesResponse",
            200,
        ),
        (
            "POST",
            price,
            "createPricingOverride",
            "Create a pricing override",
            "CreatePricingOverrideRequest",
            "PricingOverrideResponse",
            201,
        ),
        (
            "PUT",
            price1,
            "updatePricingOverride",
            "Update a pricing override (patch replaced)",
            "UpdatePricingOverrideRequest",
            "PricingOverrideResponse",
            200,
        ),
        (
            "DELETE",
            price1,
            "deletePricingOverride",
            "Delete a pricing override",
            None,
            MESSAGE,
            200,
        ),
    ]


def _ref(name: str | None) -> Schema | None:
    if name is None:
        return None
    return name if name.startswith("bifrost/") else _S + name


def governance_routes(store: GovernanceStore, gateway: Gateway) -> list[Route]:
    """Providers and their key ids are those the gateway routes to right now."""

    def known() -> set[str]:
        return set(gateway.table.routes)

    def keys_of(provider: str) -> set[str]:
        route = gateway.table.routes.get(provider)
        return {key.id for key in route.keys} if route is not None else set()

    handlers = GovernanceHandlers(store, keys_of, known)
    config = GovernanceConfigHandlers(handlers)
    actions: dict[str, Action] = {
        "listVirtualKeys": handlers.list_keys,
        "createVirtualKey": handlers.create_key,
        "getVirtualKey": handlers.get_key,
        "updateVirtualKey": handlers.update_key,
        "deleteVirtualKey": handlers.delete_key,
        "listTeams": handlers.list_teams,
        "createTeam": handlers.create_team,
        "getTeam": handlers.get_team,
        "updateTeam": handlers.update_team,
        "deleteTeam": handlers.delete_team,
        "listCustomers": handlers.list_customers,
        "createCustomer": handlers.create_customer,
        "getCustomer": handlers.get_customer,
        "updateCustomer": handlers.update_customer,
        "deleteCustomer": handlers.delete_customer,
        "listBudgets": handlers.list_budgets,
        "listRateLimits": handlers.list_rate_limits,
        "listRoutingRules": config.list_rules,
        "createRoutingRule": config.create_rule,
        "getRoutingRule": config.get_rule,
        "updateRoutingRule": config.update_rule,
        "deleteRoutingRule": config.delete_rule,
        "listModelConfigs": config.list_model_configs,
        "createModelConfig": config.create_model_config,
        "getModelConfig": config.get_model_config,
        "updateModelConfig": config.update_model_config,
        "deleteModelConfig": config.delete_model_config,
        "listProviderGovernance": config.list_providers,
        "updateProviderGovernance": config.update_provider,
        "deleteProviderGovernance": config.delete_provider,
        "listPricingOverrides": config.list_pricing,
        "createPricingOverride": config.create_pricing,
        "updatePricingOverride": config.update_pricing,
        "deletePricingOverride": config.delete_pricing,
    }
    routes = [
        Route(
            method,
            path,
            guarded(actions[operation]),
            Policy.ADMIN,
            summary=summary,
            operation_id=operation,
            tags=TAGS,
            request_body=_ref(request),
            responses=_responses(_ref(response), status),
        )
        for method, path, operation, summary, request, response, status in _specs()
    ]
    routes.append(
        Route(
            "GET",
            f"{BASE}/virtual-keys/quota",
            QuotaHandler(handlers).handle,
            # the virtual key is the credential, checked by the handler (401 without one)
            Policy.PUBLIC,
            summary="A virtual key's own budgets and rate limit (the key is the credential)",
            operation_id="getVirtualKeyQuota",
            tags=TAGS,
            responses={200: _S + "VirtualKeyQuotaResponse"},
        )
    )
    return routes


def _responses(response: Schema | None, status: int) -> dict[int, Schema]:
    responses: dict[int, Schema] = {400: ERROR, 401: ERROR, 404: ERROR, 500: ERROR}
    if response is not None:
        responses[status] = response
    return responses
