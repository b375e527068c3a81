"""Where the client-key faces other than Bifrost's are mounted: LLM Proxy's `/manage/...`
(seed 003) and OmniRoute's `/api/keys` (C8). One call for the route table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cloverleaf.governance.project_tokens import ProjectTokens
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.management.llm_proxy_routes import llm_proxy_routes, project_tokens_for
from cloverleaf.management.omniroute_keys import omniroute_key_routes
from cloverleaf.management.registry import Route
from cloverleaf.pipeline.gateway import Gateway


def client_key_routes(
    governance: GovernanceStore,
    gateway: Gateway,
    data_dir: Path,
    project_tokens: ProjectTokens | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Route]:
    """`project_tokens`: the resolver the request path uses, so a management write is seen by
    the next request at once; without one, a resolver over the governance database is made
    (sealing with the master key from `env`, default the process's, as the config store)."""
    tokens = project_tokens or project_tokens_for(
        governance.repository.engine, os.environ if env is None else env, data_dir
    )

    def providers() -> list[str]:
        return list(gateway.table.routes)

    def keys_of(provider: str) -> set[str]:
        route = gateway.table.routes.get(provider)
        return {key.id for key in route.keys} if route is not None else set()

    return llm_proxy_routes(tokens) + omniroute_key_routes(governance, providers, keys_of)
