"""HTTP handlers of `/api/models`, `/details`, `/parameters`, `/base`: parse the query string,
call the models service, render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from cloverleaf.core.errors import bad_request
from cloverleaf.management.models_render import (
    render_details,
    render_listed,
    render_parameters,
)
from cloverleaf.management.models_service import ModelQuery, ModelsService
from cloverleaf.server.asgi import HttpRequest

#: Bifrost's defaults: a short list for pickers, a longer page of details, base names
LIST_LIMIT = 5
DETAILS_LIMIT = 20
BASE_LIMIT = 20
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


class ModelsHandlers:
    def __init__(self, service: ModelsService) -> None:
        self.service = service

    async def list_models(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        models, total = await self.service.models(model_query(request, LIST_LIMIT))
        return 200, {"models": [render_listed(m) for m in models], "total": total}

    async def list_details(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        models, total = await self.service.models(model_query(request, DETAILS_LIMIT))
        rows = [render_details(m, self.service.card(m.provider, m.name)) for m in models]
        return 200, {"models": rows, "total": total}

    async def parameters(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        params = query_params(request)
        card = self.service.parameters(_one(params, "model"), _one(params, "provider"))
        return 200, render_parameters(card)

    async def base_models(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        names, total = self.service.base_models(model_query(request, BASE_LIMIT))
        return 200, {"models": names, "total": total}


def query_params(request: HttpRequest) -> dict[str, list[str]]:
    return parse_qs(request.query.decode("utf-8", "replace"), keep_blank_values=True)


def model_query(request: HttpRequest, default_limit: int) -> ModelQuery:
    """400 for a `limit` or `unfiltered` that is not what the spec says it is."""
    params = query_params(request)
    keys = tuple(
        dict.fromkeys(key.strip() for value in params.get("keys", []) for key in value.split(","))
    )
    return ModelQuery(
        query=_one(params, "query").strip(),
        provider=_one(params, "provider").strip(),
        keys=tuple(key for key in keys if key),
        limit=_limit(_one(params, "limit"), default_limit),
        unfiltered=_flag(_one(params, "unfiltered"), "unfiltered"),
    )


def _one(params: Mapping[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""


def _limit(raw: str, default: int) -> int:
    if raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise bad_request(f"limit must be a non-negative integer, not {raw!r}", param="limit")
    return limit


def _flag(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise bad_request(f"{name} must be true or false, not {raw!r}", param=name)
