"""A mock of Vertex AI's publisher endpoints, in front of the Gemini and Anthropic mocks.

`POST /{v1|v1beta1}/projects/{p}/locations/{r}/publishers/google/models/{m}:{generateContent|
streamGenerateContent|countTokens}`, `.../publishers/anthropic/models/{m}:{rawPredict|
streamRawPredict}` and `.../publishers/anthropic/models/count-tokens:rawPredict`, as gemini.md
and anthropic.md describe them. Vertex's own rules are checked here (an OAuth bearer token the
identity mock issued, the configured project and region, `anthropic_version` in Anthropic bodies,
the model in the URL for Messages calls but in the body for counts); the answer then comes from
the existing Gemini / Anthropic mock logic (script them through `.gemini` and `.claude`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from tests.mocks import gemini_upstream
from tests.mocks.anthropic_upstream import MockAnthropic
from tests.mocks.embeddings_wire import vertex_predict
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.images_wire import imagen_predict
from tests.mocks.scripted import RecordedRequest, ScriptedUpstream, Served
from tests.mocks.server_thread import Message, Receive, Send, ThreadedServer

ANTHROPIC_VERSION = "vertex-2023-10-16"
#: newer SDKs send the Messages API's own dated version (AnthropicVertex in anthropic 2.x)
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")
_PATH = re.compile(
    r"/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/publishers/(google|anthropic)/models/"
    r"([^/:]+):([A-Za-z]+)"
)
_ACTIONS = {
    "google": ("generateContent", "streamGenerateContent", "countTokens", "predict"),
    "anthropic": ("rawPredict", "streamRawPredict"),
}
_GEMINI_KEY = "vertex-inner-key"
#: the one model segment of Claude's token counting: the model itself goes in the body
_COUNT_TOKENS = "count-tokens"
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie"
    " or other valid authentication credential."
)


class MockVertex(Served, ScriptedUpstream[None]):
    """``accepts`` decides whether a bearer token is valid (the identity mock's ``accepts``)."""

    def __init__(
        self,
        accepts: Callable[[str], bool],
        *,
        project: str = "test-project",
        region: str = "us-central1",
        gemini_models: tuple[str, ...] = gemini_upstream.DEFAULT_MODELS,
    ) -> None:
        super().__init__()
        self.accepts, self.project, self.region = accepts, project, region
        self.gemini = MockGemini(models=gemini_models, api_keys=(_GEMINI_KEY,))
        self.claude = MockAnthropic()
        self.server = ThreadedServer(self)

    def reset(self) -> None:
        super().reset()
        self.gemini.reset()
        self.claude.reset()

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(request.path)
        if request.method != "POST" or match is None:
            return await _rpc(
                send, 404, "NOT_FOUND", f"The requested URL {request.path} was not found."
            )
        _, project, region, publisher, model, action = match.groups()
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token or not self.accepts(token):
            return await _rpc(send, 401, "UNAUTHENTICATED", _UNAUTHENTICATED)
        if project != self.project:
            why = f"Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/{project}'"
            return await _rpc(send, 403, "PERMISSION_DENIED", why)
        if region != self.region:
            return await _rpc(send, 400, "INVALID_ARGUMENT", f"Location {region} is not supported")
        if action not in _ACTIONS[publisher]:
            return await _rpc(send, 404, "NOT_FOUND", f"Method {action} not found")
        if action == "predict":
            predict = imagen_predict(request.json, True) if model.startswith("imagen") else None
            status, answer = predict or vertex_predict(request.json)
            if isinstance(answer, str):
                return await _rpc(send, status, "INVALID_ARGUMENT", answer)
            return await _json(send, 200, answer)
        if publisher == "google":
            scope = _scope(f"/v1/models/{model}:{action}", request, {"x-goog-api-key": _GEMINI_KEY})
            return await self.gemini(scope, _replay(request.body, receive), send)
        if model == _COUNT_TOKENS:
            return await self._count_claude(request, action, receive, send)
        await self._claude(request, model, action == "streamRawPredict", receive, send)

    async def _count_claude(
        self, request: RecordedRequest, action: str, receive: Receive, send: Send
    ) -> None:
        body = request.json
        problem = _anthropic_problem(body)
        if problem is None and action != "rawPredict":
            problem = f"count-tokens has no {action} method"
        if problem is None and not isinstance(body.get("model"), str):
            problem = "model: Field required"
        if problem is not None:
            return await _anthropic_error(send, problem)
        inner = {k: v for k, v in body.items() if k != "anthropic_version"}
        headers = {"x-api-key": "vertex", "anthropic-version": "2023-06-01"}
        scope = _scope("/v1/messages/count_tokens", request, headers)
        await self.claude(scope, _replay(orjson.dumps(inner), receive), send)

    async def _claude(
        self, request: RecordedRequest, model: str, stream: bool, receive: Receive, send: Send
    ) -> None:
        body = request.json
        problem = _anthropic_problem(body)
        if problem is not None:
            return await _anthropic_error(send, problem)
        if "model" in body:
            return await _anthropic_error(send, "model: Extra inputs are not permitted")
        if bool(body.get("stream")) != stream:
            return await _anthropic_error(send, "stream must be true for streamRawPredict only")
        inner = {k: v for k, v in body.items() if k != "anthropic_version"} | {"model": model}
        headers = {"x-api-key": "vertex", "anthropic-version": "2023-06-01"}
        scope = _scope("/v1/messages", request, headers)
        await self.claude(scope, _replay(orjson.dumps(inner), receive), send)


def _anthropic_problem(body: Any) -> str | None:
    """What Vertex's Anthropic publisher refuses in any body: no JSON object, a wrong version."""
    if not isinstance(body, dict):
        return "invalid JSON body"
    version = body.get("anthropic_version")
    if version != ANTHROPIC_VERSION and not _DATED.fullmatch(str(version)):
        return "anthropic_version: Input should be 'vertex-2023-10-16' or a dated API version"
    return None


def _scope(path: str, request: RecordedRequest, headers: dict[str, str]) -> dict[str, Any]:
    raw = [(k.encode(), v.encode()) for k, v in request.headers.items() if k not in headers]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http",
        "method": request.method,
        "path": path,
        "query_string": request.query.encode(),
        "headers": raw,
    }


def _replay(body: bytes, receive: Receive) -> Receive:
    """The already-read body once, then the connection's own messages (disconnects)."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replay


async def _rpc(send: Send, status: int, name: str, message: str) -> None:
    await _json(send, status, {"error": {"code": status, "message": message, "status": name}})


async def _anthropic_error(send: Send, message: str) -> None:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    await _json(send, 400, body)


async def _json(send: Send, status: int, body: Any) -> None:
    data = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
