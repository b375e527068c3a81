"""OpenAI's Files and Batches paths (`/v1/files...`, `/v1/batches...` and their `/openai`
twins): parse, forward through `BatchApi`, relay; errors in OpenAI's shape.

Exact routes, so they take these paths from the `/v1/{path}` pass-through: a batch call goes
with a `use_for_batch_api` key to the provider the client names, where the pass-through always
takes any openai key.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.management.registry import Policy, Route
from cloverleaf.pipeline.batch_api import BatchAnswer, BatchApi
from cloverleaf.pipeline.batch_api_wire import (
    FILE,
    OPERATIONS,
    PROVIDER_HEADER,
    Operation,
    parse_call,
)
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.proxy_forward import forwarded_headers
from cloverleaf.pipeline.proxy_path import confined_path, confined_query
from cloverleaf.server.asgi import (
    DisconnectWatch,
    Headers,
    HttpRequest,
    Send,
    WriteDeadline,
    response_headers,
    send_bytes,
)
from cloverleaf.server.respond import send_error_body

#: Bifrost's provider-compatible prefixes (as OPENAI_PREFIXES in routes.py)
_PREFIXES = ("", "/openai")
_JSON = b"application/json"
_SUMMARIES = {
    "file_upload": "Upload a file",
    "file_list": "List files",
    "file_retrieve": "Retrieve a file",
    "file_delete": "Delete a file",
    "file_content": "Download a file's content",
    "batch_create": "Create a batch",
    "batch_list": "List batches",
    "batch_retrieve": "Retrieve a batch",
    "batch_cancel": "Cancel a batch",
}


def batch_routes(gateway: Gateway, settings: ServerSettings) -> list[Route]:
    """Every Files/Batches route, with its `/openai` twin."""
    api = BatchApi(gateway)
    routes: list[Route] = []
    for operation in OPERATIONS:
        handler = BatchRoute(api, settings, operation).handle
        summary = _SUMMARIES[operation.kind] + " (OpenAI Files and Batches API)"
        for prefix in _PREFIXES:
            path = f"{prefix}/v1/{operation.resource}"
            tags = ("Files",) if operation.request_type == FILE else ("Batches",)
            routes.append(Route(operation.method, path, handler, Policy.CLIENT, summary, tags=tags))
    return routes


class BatchRoute:
    def __init__(self, api: BatchApi, settings: ServerSettings, operation: Operation) -> None:
        self._api = api
        self._settings = settings
        self._operation = operation

    async def handle(self, request: HttpRequest, send: Send) -> None:
        watch: DisconnectWatch | None = None
        settings = self._settings
        try:
            body = await request.body(settings.max_body_bytes, settings.read_timeout_s)
            call = parse_call(
                self._operation,
                resource=_resource(request),
                query=confined_query(request.query),
                headers=forwarded_headers(request.headers),
                body=body,
                header_provider=request.header(PROVIDER_HEADER.encode()),
            )
            watch = DisconnectWatch(request.receive)
            result = await self._api.run(call, request.request_id)
            await _send(send, request.request_id, result, settings.write_timeout_s)
        except GatewayError as error:
            rendered = render_error(error, request_type=self._operation.kind)
            await send_error_body(send, request.request_id, error, rendered, _JSON)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()


def _resource(request: HttpRequest) -> str:
    """The path after `/v1/`, confined as the pass-through confines it: an id such as `.` or
    one with an encoded slash is refused the same way on both."""
    raw: bytes = request.scope.get("raw_path") or request.path.encode()
    raw = raw.partition(b"?")[0]
    if raw.startswith(b"/openai/"):
        raw = raw.removeprefix(b"/openai")
    return confined_path(raw)


async def _send(send: Send, request_id: str, answer: BatchAnswer, write_timeout_s: float) -> None:
    """As `respond.send_result`, with the upstream headers the answer relays (a download's
    `content-disposition`, the batch key's rate-limit state)."""
    extra: Headers = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(answer.remote_ms))]
    extra += [(name.encode(), value.encode("latin-1")) for name, value in answer.headers]
    headers = response_headers(answer.content_type.encode("latin-1"), request_id, extra)
    if answer.stream is None:
        async with asyncio.timeout(write_timeout_s):
            await send_bytes(send, answer.status, headers, answer.body)
        return
    async with aclosing(answer.stream) as chunks, WriteDeadline(write_timeout_s) as deadline:
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            deadline.progressed()
    await send({"type": "http.response.body", "body": b""})
