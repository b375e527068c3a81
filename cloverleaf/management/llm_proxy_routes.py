"""The management half of seed 003: `/manage/projects...` and `/manage/tokens...`, all behind the
admin credential (seed 003's ManagementToken), answered in LLM Proxy's own error shape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.governance.project_tokens import ProjectTokens
from cloverleaf.management.governance_handlers import query
from cloverleaf.management.http import read_json_object, send_json
from cloverleaf.management.llm_proxy_render import (
    render_error,
    render_project,
    render_revoke,
    render_token,
)
from cloverleaf.management.llm_proxy_service import LlmProxyService
from cloverleaf.management.registry import Handler, Policy, Route, Schema, path_params
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.storage.crypto import Sealer, load_master_key
from cloverleaf.storage.llm_proxy_repository import LlmProxyRepository

log = logging.getLogger("cloverleaf.management.llm_proxy")

_S = "llm-proxy/openapi.yaml#/components/schemas/"
ERROR = _S + "Error"
_Params = Mapping[str, str]
#: (status, payload); status 204 sends no body
_Action = Callable[[HttpRequest, _Params], Awaitable[tuple[int, Any]]]
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def project_tokens_for(
    engine: AsyncEngine, env: Mapping[str, str], data_dir: Path
) -> ProjectTokens:
    """The resolver over the config store's database, sealing with the store's master key."""
    return ProjectTokens(LlmProxyRepository(engine, Sealer(load_master_key(env, data_dir))))


#: where seed 003's management API lives: its admin-auth failures answer in its error shape
MANAGE_PREFIX = "/manage/"


async def send_llm_proxy_error(send: Send, request_id: str, error: GatewayError) -> None:
    """`error` in seed 003's shape (`error`, `code`, `message`), with its headers."""
    extra = [(name.encode(), value.encode()) for name, value in error.headers]
    headers = response_headers(b"application/json", request_id, extra)
    await send_bytes(send, error.status, headers, render_error(error))


def _guarded(action: _Action) -> Handler:
    """Every outcome is JSON in seed 003's error shape; a crash is a 500 whose details stay in
    the log."""

    async def handler(request: HttpRequest, send: Send) -> None:
        try:
            status, payload = await action(request, path_params(request))
        except GatewayError as error:
            await send_llm_proxy_error(send, request.request_id, error)
            return
        except Exception:
            log.exception("management request %s %s failed", request.method, request.path)
            internal = GatewayError(500, "internal error", code="internal_error")
            await send_llm_proxy_error(send, request.request_id, internal)
            return
        if status == 204:
            await send_bytes(send, 204, [(b"x-request-id", request.request_id.encode())], b"")
            return
        await send_json(send, request.request_id, payload, status)

    return handler


class LlmProxyHandlers:
    def __init__(self, service: LlmProxyService) -> None:
        self.service = service

    async def list_projects(self, request: HttpRequest, _: _Params) -> tuple[int, Any]:
        return 200, [render_project(p) for p in await self.service.list_projects()]

    async def create_project(self, request: HttpRequest, _: _Params) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 201, render_project(await self.service.create_project(body))

    async def get_project(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        return 200, render_project(await self.service.get_project(p["projectId"]))

    async def update_project(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 200, render_project(await self.service.update_project(p["projectId"], body))

    async def delete_project(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        await self.service.delete_project(p["projectId"])
        return 204, None

    async def revoke_project_tokens(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        return 200, render_revoke(await self.service.revoke_project_tokens(p["projectId"]))

    async def list_tokens(self, request: HttpRequest, _: _Params) -> tuple[int, Any]:
        given = query(request)
        active = given.get("activeOnly", "false").lower()
        if active not in _FLAGS:
            raise bad_request("activeOnly must be true or false", param="activeOnly")
        tokens = await self.service.list_tokens(given.get("projectId") or None, _FLAGS[active])
        return 200, [render_token(t) for t in tokens]

    async def create_token(self, request: HttpRequest, _: _Params) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 201, render_token(await self.service.create_token(body))

    async def get_token(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        return 200, render_token(await self.service.get_token(p["tokenId"]))

    async def update_token(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 200, render_token(await self.service.update_token(p["tokenId"], body))

    async def revoke_token(self, request: HttpRequest, p: _Params) -> tuple[int, Any]:
        await self.service.revoke_token(p["tokenId"])
        return 204, None


def llm_proxy_routes(tokens: ProjectTokens) -> list[Route]:
    h = LlmProxyHandlers(LlmProxyService(tokens))
    project, tokens_path = "/manage/projects/{projectId}", "/manage/tokens/{tokenId}"
    # (method, path, action, operation id, summary, tag, request, status, response)
    specs: list[tuple[str, str, _Action, str, str, str, str | None, int, str | None]] = [
        ("GET", "/manage/projects", h.list_projects, "listProjects", "List all projects",
         "Projects", None, 200, None),
        ("POST", "/manage/projects", h.create_project, "createProject",
         "Create a project (its upstream key is stored encrypted)", "Projects",
         "ProjectRequest", 201, "Project"),
        ("GET", project, h.get_project, "getProject", "Get project details", "Projects",
         None, 200, "Project"),
        ("PATCH", project, h.update_project, "updateProject", "Update a project (partial)",
         "Projects", "ProjectUpdateRequest", 200, "Project"),
        ("DELETE", project, h.delete_project, "deleteProject",
         "Delete a project and all its tokens", "Projects", None, 204, None),
        ("POST", f"{project}/tokens/revoke", h.revoke_project_tokens, "bulkRevokeProjectTokens",
         "Revoke every token of a project", "Tokens", None, 200, None),
        ("GET", "/manage/tokens", h.list_tokens, "listTokens",
         "List tokens (projectId, activeOnly filters)", "Tokens", None, 200, None),
        ("POST", "/manage/tokens", h.create_token, "createToken", "Create a project token",
         "Tokens", "TokenRequest", 201, "Token"),
        ("GET", tokens_path, h.get_token, "getToken", "Get token details (by id or value)",
         "Tokens", None, 200, "Token"),
        ("PATCH", tokens_path, h.update_token, "updateToken",
         "Update a token (is_active, max_requests)", "Tokens", "TokenUpdateRequest", 200,
         "Token"),
        ("DELETE", tokens_path, h.revoke_token, "revokeToken", "Revoke a token", "Tokens",
         None, 204, None),
    ]  # fmt: skip
    routes = []
    for method, path, action, operation, summary, tag, request, status, response in specs:
        responses: dict[int, Schema] = {400: ERROR, 401: ERROR, 404: ERROR, 500: ERROR}
        if response is not None:
            responses[status] = _S + response
        routes.append(
            Route(
                method,
                path,
                _guarded(action),
                Policy.ADMIN,
                summary=summary,
                operation_id=operation,
                tags=(f"LLM Proxy {tag}",),
                request_body=_S + request if request else None,
                responses=responses,
            )
        )
    return routes
