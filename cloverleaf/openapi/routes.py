"""`GET /openapi.json` and `GET /docs`, generated once from the finished route table."""

from __future__ import annotations

import orjson

from cloverleaf.management.registry import Policy, Route, RouteTable
from cloverleaf.openapi.docs_page import render_docs
from cloverleaf.openapi.document import build_document
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes

_TAGS = ("Documentation",)


class OpenApiRoutes:
    """Built on first request, when every route (these two included) is in the table."""

    def __init__(self, table: RouteTable) -> None:
        self._table = table
        self._json: bytes | None = None
        self._html: bytes | None = None

    def _render(self) -> tuple[bytes, bytes]:
        if self._json is None or self._html is None:
            document = build_document(self._table.routes)
            self._json = orjson.dumps(document)
            self._html = render_docs(document)
        return self._json, self._html

    async def openapi_json(self, request: HttpRequest, send: Send) -> None:
        body = self._render()[0]
        await send_bytes(send, 200, response_headers(b"application/json", request.request_id), body)

    async def docs(self, request: HttpRequest, send: Send) -> None:
        body = self._render()[1]
        headers = response_headers(b"text/html; charset=utf-8", request.request_id)
        await send_bytes(send, 200, headers, body)

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET",
                "/openapi.json",
                self.openapi_json,
                Policy.PUBLIC,
                summary="This OpenAPI document",
                operation_id="getOpenApiDocument",
                tags=_TAGS,
            ),
            Route(
                "GET",
                "/docs",
                self.docs,
                Policy.PUBLIC,
                summary="The API documentation as an HTML page",
                operation_id="getApiDocs",
                tags=_TAGS,
            ),
        ]
