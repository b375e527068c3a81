"""Azure OpenAI in front of the OpenAI mock: deployment paths, `api-version`, `api-key`.

Requests to `/openai/deployments/{deployment}/chat/completions?api-version=...` are checked the
way Azure checks them and answered by the OpenAI mock; what Azure saw is recorded here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import orjson

from tests.mocks.openai_upstream import OpenAIUpstream
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

API_KEY = "azure-test-key"
_PREFIX = "/openai/deployments/"
#: per-deployment operations (longest first: `/chat/completions` before `/completions`)
_OPERATIONS = (
    "/chat/completions",
    "/embeddings",
    "/completions",
    "/images/generations",
    "/audio/speech",
    "/audio/transcriptions",
)
#: resource-level surfaces: `/openai/v1/...` (model in the body, no api-version) and the
#: classic `/openai/{files,batches,responses}...?api-version=`
_V1_PREFIX = "/openai/v1/"
_RESOURCE_PATHS = ("/openai/files", "/openai/batches", "/openai/responses")


@dataclass(frozen=True)
class AzureCall:
    deployment: str
    api_version: str


class MockAzureOpenAI(OpenAIUpstream):
    def __init__(
        self,
        deployments: tuple[str, ...] = ("my-gpt4o",),
        bearer: Callable[[str], bool] | None = None,
    ) -> None:
        """``bearer``: which Entra ID tokens pass (`Authorization: Bearer`), as an alternative
        to the `api-key` header."""
        super().__init__()
        self.deployments = deployments
        self.bearer = bearer
        self.calls: list[AzureCall] = []
        self.server = ThreadedServer(self)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        resource = path.startswith(_V1_PREFIX) or path.startswith(_RESOURCE_PATHS)
        if resource and not self._authorised(headers):
            await _error(send, 401, "401", "Access denied due to invalid subscription key.")
            return
        if resource and not path.startswith(_V1_PREFIX) and "api-version" not in query:
            await _error(send, 404, "NotFound", "Resource not found")
            return
        if resource:
            self.calls.append(AzureCall("", query.get("api-version", "v1")))
            upstream = "/v1/" + path.removeprefix(_V1_PREFIX).removeprefix("/openai/")
            await super().__call__({**scope, "path": upstream}, receive, send)
            return
        operation = next((op for op in _OPERATIONS if path.endswith(op)), None)
        if not path.startswith(_PREFIX) or operation is None:
            await _error(send, 404, "NotFound", "Resource not found")
            return
        deployment = path[len(_PREFIX) : -len(operation)]
        if not self._authorised(headers):
            await _error(send, 401, "401", "Access denied due to invalid subscription key.")
            return
        if "api-version" not in query:
            await _error(send, 404, "NotFound", "Resource not found")
            return
        if deployment not in self.deployments:
            await _error(send, 404, "DeploymentNotFound", "The API deployment does not exist.")
            return
        self.calls.append(AzureCall(deployment, query["api-version"]))
        await super().__call__({**scope, "path": "/v1" + operation}, receive, send)

    def _authorised(self, headers: dict[str, str]) -> bool:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        entra = self.bearer is not None and bool(token) and self.bearer(token)
        return headers.get("api-key") == API_KEY or entra

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
