"""Moderations (`/v1/moderations`): OpenAI's own endpoint only, bytes in and bytes out.

No other provider has an equivalent whose answer means the same, so any other target is refused
with a 400 before a call. Moderation is free at OpenAI: the record carries no usage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

REQUEST_TYPE = "moderation"
#: OpenAI's own default when a request names no model
DEFAULT_MODEL = "openai/omni-moderation-latest"
_GATEWAY_FIELDS = ("fallbacks",)


@dataclass(frozen=True, slots=True)
class ModerationResult:
    status: int
    body: bytes
    remote_ms: float


async def run_moderations(gateway: Gateway, raw: bytes, request_id: str) -> ModerationResult:
    body = parse_json_object(raw)
    if "input" not in body:
        raise bad_request("input is required", param="input")
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model:
        raise bad_request("model must be a non-empty string", param="model")
    fallbacks = fallbacks_of(body.get("fallbacks"))

    def build(target: Target, key: UpstreamKey) -> UpstreamRequest:
        return _build(raw, body, target, key)

    async def run(targets: list[Target]) -> ModerationResult:
        return await _run(gateway, build, targets, request_id)

    estimate = (len(raw) + 3) // 4
    return await run_targeted(
        gateway,
        model,
        fallbacks,
        check=_check,
        estimate=lambda: (estimate, 0),
        run=run,
        request_type=REQUEST_TYPE,
    )


def _check(target: Target) -> None:
    route = target.route
    if route.spec.name != "openai":
        raise bad_request(
            f"provider {route.name} does not offer moderations (only openai does)",
            param="model",
            code="moderations_not_supported",
        )


def _build(raw: bytes, body: dict[str, Any], target: Target, key: UpstreamKey) -> UpstreamRequest:
    """The client's bytes, unless the model or a gateway-only field must change."""
    route = target.route
    model = key.upstream_model(target.model)
    if ("model" in body and body["model"] != model) or any(f in body for f in _GATEWAY_FIELDS):
        wire = {k: v for k, v in body.items() if k not in _GATEWAY_FIELDS}
        if "model" in body:
            wire["model"] = model
        raw = orjson.dumps(wire)
    url = route.url(key, "/moderations")
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=raw
    )
    return UpstreamRequest("POST", url, tuple(headers), raw, route.profile)


async def _run(
    gateway: Gateway,
    build: Callable[[Target, UpstreamKey], UpstreamRequest],
    targets: list[Target],
    request_id: str,
) -> ModerationResult:
    opened = await open_upstream(targets, build, gateway.transport, gateway.rng)
    status = 500
    try:
        try:
            answer = opened.first or b""
        finally:
            await opened.aclose()
        status = opened.response.status
        return ModerationResult(status, answer, opened.remote_ms)
    except GatewayError as error:
        status = error.status
        raise
    finally:
        gateway.record(
            record_of(opened, request_id, False, None, status, request_type=REQUEST_TYPE)
        )
