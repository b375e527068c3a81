"""The ASGI callable: exact-path dispatch first, so the hot path pays for no framework."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Callable, Mapping

from cloverleaf.catalogue import catalogue_from_env
from cloverleaf.config.providers import GatewayConfig
from cloverleaf.config.server import ServerSettings, governance_settings_from_env, is_loopback
from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.accounting import Accounting
from cloverleaf.governance.accounting_usage import LiveUsage
from cloverleaf.governance.cost import PriceBook
from cloverleaf.governance.enforce import Enforcer
from cloverleaf.governance.enforce_context import CURRENT, GovernedRequest
from cloverleaf.governance.enforce_counters import counters_for
from cloverleaf.governance.project_context import GRANT, ProjectGrant
from cloverleaf.governance.project_tokens import ProjectTokens
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.management.handlers import ManagementHandlers
from cloverleaf.management.http import send_bifrost_error
from cloverleaf.management.live import LiveConfig
from cloverleaf.management.llm_proxy_routes import (
    MANAGE_PREFIX,
    project_tokens_for,
    send_llm_proxy_error,
)
from cloverleaf.management.registry import Match, Policy
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.admin_auth import AdminAuth
from cloverleaf.server.asgi import HttpRequest, Receive, Scope, Send
from cloverleaf.server.client_auth import ClientAuth, presented_keys, send_client_auth_error
from cloverleaf.server.errors import send_openai_error
from cloverleaf.server.oidc import verifier_from_settings
from cloverleaf.server.routes import build_routes
from cloverleaf.storage.governance_repository import GovernanceRepository
from cloverleaf.storage.notify import ChangeFeed
from cloverleaf.storage.request_log import RequestLogWriter
from cloverleaf.storage.request_log_spool import RequestLogSpool
from cloverleaf.storage.store import ConfigStore

log = logging.getLogger("cloverleaf.server")
#: allocations between young-generation collections (CPython's default is 700): requests
#: allocate many short-lived objects, most of them freed by reference counting anyway
YOUNG_GC_THRESHOLD = 20_000


class CloverleafApp:
    """Routes are `(method, path) → handler` with a policy; a path no route declares, or a
    policy this dispatcher does not know, is unreachable."""

    def __init__(
        self,
        gateway: Gateway,
        settings: ServerSettings,
        file_config: GatewayConfig,
        draining: Callable[[], bool] = lambda: False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.gateway = gateway
        self.settings = settings
        self.file_config = file_config
        self.store = ConfigStore(settings.database_url, settings.data_dir, env)
        self.request_log = RequestLogWriter(self.store.engine, RequestLogSpool(settings.data_dir))
        self.live = LiveConfig(gateway, self.store.repository, file_config, env)
        governance = GovernanceRepository(self.store.engine)
        self.governance = GovernanceStore(governance, self.live.changed)
        self.project_tokens = project_tokens_for(self.store.engine, env, settings.data_dir)
        self.live_usage = _govern(gateway, settings, env, self.governance, self.project_tokens)
        handlers = ManagementHandlers(self.live)
        self.routes = build_routes(
            gateway,
            settings,
            draining,
            handlers,
            self.governance,
            project_tokens=self.project_tokens,
        )
        oidc = verifier_from_settings(settings, gateway.transport)
        self.admin = AdminAuth(settings.admin_key, oidc)
        self.client_auth = ClientAuth(oidc) if oidc is not None else None
        self._warmup: asyncio.Task[object] | None = None
        self._feed: ChangeFeed | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match = self.routes.find(scope["method"], scope["path"])
            request = HttpRequest(scope, receive)
            if match is None:
                await self._no_route(request, send)
                return
            policy = match.route.policy
            if policy is Policy.ADMIN:
                denied = await self.admin.check(request)
                if denied is not None:
                    if request.path.startswith(MANAGE_PREFIX):  # seed 003's own error shape
                        await send_llm_proxy_error(send, request.request_id, denied)
                    else:
                        await send_bifrost_error(send, request.request_id, denied)
                    return
            elif policy is Policy.CLIENT:
                if self.client_auth is not None:
                    denied = await self.client_auth.check(request)
                    if denied is not None:
                        await send_client_auth_error(send, request, denied)
                        return
                admitted = self._admit(request)
                if isinstance(admitted, GatewayError):
                    await send_client_auth_error(send, request, admitted)
                    return
                if isinstance(admitted, GovernedRequest):
                    await self._governed(match, request, send, admitted)
                    return
                if admitted is not None:
                    await self._granted(match, request, send, admitted)
                    return
            elif policy is not Policy.PUBLIC:
                await send_openai_error(send, request.request_id, GatewayError(403, "forbidden"))
                return
            if match.params:
                scope["path_params"] = match.params
            await match.route.handler(request, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    def _admit(self, request: HttpRequest) -> GovernedRequest | ProjectGrant | GatewayError | None:
        """The client credential a request presents: a virtual key, else an LLM Proxy project
        token (counted here), else nothing when none is required; or the 401/403/429 it gets.
        Memory only: no await, so a token's count and its check cannot interleave."""
        enforcer = self.gateway.enforcer
        snapshot = self.governance.snapshot
        tokens = self.project_tokens
        if not (enforcer is not None and enforcer.active(snapshot)) and not tokens.has_tokens:
            return None
        bearer = self.client_auth is None  # else Authorization holds the JWT
        candidates = presented_keys(request, bearer)
        if enforcer is not None:
            admitted = enforcer.admit(snapshot, candidates)
            if admitted is not None:
                return admitted
        try:
            return tokens.resolve_first(candidates)
        except GatewayError as error:
            return error

    async def _granted(
        self, match: Match, request: HttpRequest, send: Send, grant: ProjectGrant
    ) -> None:
        """Serve with the project in context: its upstream key replaces OpenAI's."""
        if match.params:
            request.scope["path_params"] = match.params
        token = GRANT.set(grant)
        try:
            await match.route.handler(request, send)
        finally:
            GRANT.reset(token)

    async def _governed(
        self, match: Match, request: HttpRequest, send: Send, governed: GovernedRequest
    ) -> None:
        """Serve with the virtual key in context; whatever its reservation still holds when the
        handler is done (no record was made) is released."""
        if match.params:
            request.scope["path_params"] = match.params
        token = CURRENT.set(governed)
        try:
            await match.route.handler(request, send)
        finally:
            CURRENT.reset(token)
            if self.gateway.accounting is not None:
                self.gateway.accounting.close(governed)

    async def _no_route(self, request: HttpRequest, send: Send) -> None:
        if self.routes.knows_path(request.path):
            error = GatewayError(405, f"method {request.method} is not allowed on {request.path}")
        else:
            error = GatewayError(
                404, f"no route for {request.method} {request.path}", code="not_found"
            )
        await send_openai_error(send, request.request_id, error)

    async def _start(self) -> None:
        """Migrate, import the config file, route from the store, follow other instances."""
        await self.store.prepare(self.file_config)
        self.request_log.start()  # replays what a previous run spooled, then follows the queue
        self.gateway.sinks.append(self.request_log.sink)
        await self.live.reload()
        await self.governance.reload()
        await self.project_tokens.reload()
        self.project_tokens.start()
        self.live_usage.start()
        self._feed = ChangeFeed(self.store.repository, self._changed, self.settings.redis_url)
        self.live.feed = self._feed
        self._feed.start(self.live.applied_version)

    async def _changed(self, version: int) -> None:
        """Another instance wrote: follow its providers and its governance objects."""
        await self.live.reload(version)
        await self.governance.reload(version)

    async def _stop(self) -> None:
        if self._warmup is not None:
            self._warmup.cancel()
        if self._feed is not None:
            await self._feed.aclose()
        await self.live_usage.aclose()
        await self.gateway.aclose()
        await self.request_log.aclose(self.settings.grace_period_s)  # needs the engine: first
        try:  # persists the last token counts: needs the engine too
            await self.project_tokens.aclose()
        except Exception as exc:  # the database is gone: the counts are lost, say so
            log.warning("project token usage not persisted at shutdown: %s", exc)
        await self.store.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                except Exception as exc:
                    log.error("startup failed: %s", exc)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                settle_heap()
                # learn which bare model names each provider serves, without delaying startup
                self._warmup = asyncio.get_running_loop().create_task(self.gateway.models.list())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def settle_heap() -> None:
    """Move everything startup built (modules, SQLAlchemy metadata, the catalogue) out of the
    garbage collector's reach, and collect young objects less often: a full collection then
    scans only what requests left behind, not the whole process, so it no longer stalls a
    request for milliseconds, and a busy gateway spends less CPU collecting."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, middle, old)


def _govern(
    gateway: Gateway,
    settings: ServerSettings,
    env: Mapping[str, str],
    store: GovernanceStore,
    project_tokens: ProjectTokens,
) -> LiveUsage:
    """Put governance on the request path: counters (Redis when configured, else memory),
    prices (catalogue + overrides), the enforcer (which lets project tokens through, and needs
    a client key once any exists) and the accounting of finished requests."""
    config = governance_settings_from_env(env)
    counters = counters_for(settings.redis_url, config)
    prices = PriceBook(catalogue_from_env(env))
    exposed = not is_loopback(settings.host) and not settings.enable_auth
    gateway.enforcer = Enforcer(counters, prices, config, exposed)
    gateway.enforcer.recognizes = project_tokens.recognizes
    gateway.enforcer.others_exist = lambda: project_tokens.has_tokens
    gateway.accounting = Accounting(counters, prices, lambda: store.snapshot)
    live = LiveUsage(counters, lambda: store.snapshot)
    store.usage_for = live.view
    return live
