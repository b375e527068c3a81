"""Every route with its auth policy and the metadata an OpenAPI document is generated from.

Deny by default: a route cannot be built without a `Policy`, and the dispatcher lets a request
through only for a policy it knows how to enforce.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeAlias

from pydantic import BaseModel

from cloverleaf.server.asgi import HttpRequest, Send

Handler = Callable[[HttpRequest, Send], Awaitable[None]]
#: a pydantic model, or a `$ref` into the seed specs (`bifrost/schemas/...yaml#/Name`)
Schema: TypeAlias = type[BaseModel] | str
PathParams = Mapping[str, str]

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NO_PARAMS: PathParams = {}


class Policy(Enum):
    #: anyone: health, API docs
    PUBLIC = "public"
    #: inference: client credentials (virtual keys), enforced by the governance layer
    CLIENT = "client"
    #: management: the admin credential (API.md §3)
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    #: exact path, a template with `{param}` segments, or (for `prefix=True`) a path prefix
    path: str
    handler: Handler
    policy: Policy
    summary: str = ""
    operation_id: str = ""
    tags: tuple[str, ...] = ()
    request_body: Schema | None = None
    #: status code → response schema
    responses: Mapping[int, Schema] = field(default_factory=dict)
    prefix: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.policy, Policy):
            raise TypeError(f"route {self.method} {self.path} declares no auth policy")

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: PathParams


@dataclass(slots=True)
class _Template:
    route: Route
    pattern: re.Pattern[str]
    static_segments: int


class RouteTable:
    """Exact paths first (one dict lookup on the hot path), then templates with the most static
    segments first (API.md §4 Rule 3: static routes win), then prefixes."""

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Match] = {}
        self._templates: list[_Template] = []
        self._prefixed: list[Route] = []

    @property
    def routes(self) -> list[Route]:
        """Every registered route, for documentation."""
        exact = [match.route for match in self._exact.values()]
        return exact + [t.route for t in self._templates] + self._prefixed

    def add(self, route: Route) -> None:
        if route.prefix:  # the longest prefix wins, whatever the order routes were added in
            self._prefixed.append(route)
            self._prefixed.sort(key=lambda r: -len(r.path))
            return
        if not route.params:
            if (route.method, route.path) in self._exact:
                raise ValueError(f"route {route.method} {route.path} is registered twice")
            self._exact[(route.method, route.path)] = Match(route, _NO_PARAMS)
            return
        segments = route.path.strip("/").split("/")
        regex = "/".join(
            f"(?P<{m.group(1)}>[^/]+)" if (m := _PARAM.fullmatch(s)) else re.escape(s)
            for s in segments
        )
        static = sum(1 for s in segments if not _PARAM.fullmatch(s))
        self._templates.append(_Template(route, re.compile(f"/{regex}"), static))
        self._templates.sort(key=lambda t: -t.static_segments)

    def find(self, method: str, path: str) -> Match | None:
        match = self._exact.get((method, path))
        if match is not None:
            return match
        for template in self._templates:
            if template.route.method == method:
                found = template.pattern.fullmatch(path)
                if found is not None:
                    return Match(template.route, found.groupdict())
        for route in self._prefixed:
            if route.method == method and path.startswith(route.path):
                return Match(route, _NO_PARAMS)
        return None

    def knows_path(self, path: str) -> bool:
        return (
            any(p == path for _, p in self._exact)
            or any(t.pattern.fullmatch(path) for t in self._templates)
            or any(path.startswith(route.path) for route in self._prefixed)
        )


def path_params(request: HttpRequest) -> PathParams:
    """The `{param}` values of the matched template (set by the dispatcher)."""
    params: PathParams = request.scope.get("path_params", _NO_PARAMS)
    return params
