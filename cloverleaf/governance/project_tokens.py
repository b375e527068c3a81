"""LLM Proxy project tokens on the request path: from an in-memory snapshot, a bearer token
resolves to its project's upstream key, or to the 401/403/429 seed 003 gives.

No database on the request path: the snapshot is swapped whole when the stored version moves,
and requests are counted in memory — exactly and atomically per process, since the check and the
increment run with no await between them — then persisted in batches by a background task.
Across instances each one enforces `max_requests` with the counts it has seen so far (its own,
exact, plus the others' as of its last reload)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.project_context import ProjectGrant
from cloverleaf.storage.llm_proxy_repository import (
    LlmProxyRepository,
    Project,
    ProjectToken,
    Usage,
    hash_token,
)

__all__ = ["ProjectGrant", "ProjectTokens"]

log = logging.getLogger("cloverleaf.governance.project_tokens")

Clock = Callable[[], datetime]
FLUSH_INTERVAL_S = 1.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    version: int = -1
    by_hash: Mapping[str, ProjectToken] = field(default_factory=dict)
    projects: Mapping[str, Project] = field(default_factory=dict)


def _denied(status: int, code: str, message: str) -> GatewayError:
    kind = {401: "authentication_error", 403: "permission_denied", 429: "rate_limit_error"}
    return GatewayError(status, message, type=kind[status], code=code)


class ProjectTokens:
    def __init__(
        self,
        repository: LlmProxyRepository,
        clock: Clock = utc_now,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.repository = repository
        self._clock = clock
        self._interval = flush_interval_s
        self._snapshot = _Snapshot()
        #: request_count as stored when the snapshot was read
        self._base: dict[str, int] = {}
        #: counted by this process since the snapshot was read (persisted or not)
        self._local: dict[str, int] = {}
        #: counted and not yet persisted
        self._pending: dict[str, Usage] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def version(self) -> int:
        return self._snapshot.version

    def knows(self, value: str) -> bool:
        """Whether `value` is a stored project token (in any state): lets a caller that accepts
        several kinds of client key tell "not a project token" from "a refused one"."""
        return self._find(value) is not None

    @property
    def has_tokens(self) -> bool:
        """Whether any token exists: then inference needs a client key, as with virtual keys."""
        return bool(self._snapshot.by_hash)

    def recognizes(self, candidates: Sequence[str]) -> bool:
        """Whether one of a request's presented keys is a project token (fits
        `Enforcer.recognizes`, so the virtual-key check lets it through to `resolve_first`)."""
        return any(self.knows(value) for value in candidates)

    def resolve_first(self, candidates: Sequence[str]) -> ProjectGrant | None:
        """`resolve` for the first presented key that is a project token; None when none is."""
        for value in candidates:
            if self.knows(value):
                return self.resolve(value)
        return None

    def resolve(self, value: str) -> ProjectGrant:
        """Check and count one request. Raises GatewayError: 401 unknown, expired or revoked;
        403 `project_inactive`; 429 `max_requests_exceeded`."""
        token = self._find(value)
        project = self._snapshot.projects.get(token.project_id) if token is not None else None
        if token is None or project is None:
            raise _denied(401, "invalid_token", "the token is not valid")
        at = self._clock()
        if not token.is_active:
            raise _denied(401, "token_inactive", "the token has been revoked")
        if token.expires_at is not None and at >= token.expires_at:
            raise _denied(401, "token_expired", "the token has expired")
        if not project.is_active:
            raise _denied(403, "project_inactive", "Project is inactive")
        if 0 < token.max_requests <= self.request_count(token.id):
            raise _denied(
                429,
                "max_requests_exceeded",
                f"the token has used all of its {token.max_requests} requests",
            )
        self._count(token.id, at)
        return ProjectGrant(token.id, project.id, project.api_key)

    def request_count(self, token_id: str) -> int:
        """Stored count plus what this process counted since (persisted or not)."""
        return self._base.get(token_id, 0) + self._local.get(token_id, 0)

    def last_used_at(self, token_id: str) -> datetime | None:
        """The latest use this process has not persisted yet, if any."""
        pending = self._pending.get(token_id)
        return pending.last_used_at if pending is not None else None

    def _find(self, value: str) -> ProjectToken | None:
        digest = hash_token(value)
        token = self._snapshot.by_hash.get(digest)
        if token is None or not hmac.compare_digest(token.value_hash, digest):
            return None
        return token

    def _count(self, token_id: str, at: datetime) -> None:
        self._local[token_id] = self._local.get(token_id, 0) + 1
        pending = self._pending.get(token_id)
        requests = pending.requests + 1 if pending is not None else 1
        latest = max(at, pending.last_used_at) if pending is not None else at
        self._pending[token_id] = Usage(requests, latest)

    async def reload(self) -> None:
        """Read the stored projects and tokens; counts not yet persisted are kept."""
        async with self._lock:
            version, projects, tokens = await self.repository.load()
            self._snapshot = _Snapshot(
                version,
                {token.value_hash: token for token in tokens},
                {project.id: project for project in projects},
            )
            self._base = {token.id: token.request_count for token in tokens}
            self._local = {token_id: used.requests for token_id, used in self._pending.items()}

    async def refresh(self) -> bool:
        """Reload when another writer (here or on another instance) moved the version."""
        if await self.repository.version() == self._snapshot.version:
            return False
        await self.reload()
        return True

    async def flush(self) -> None:
        """Persist the counts taken so far; on failure they are kept for the next batch."""
        async with self._lock:
            batch, self._pending = self._pending, {}
            try:
                await self.repository.add_usage(batch)
            except BaseException:
                for token_id, used in batch.items():
                    self._pending[token_id] = _merged(used, self._pending.get(token_id))
                raise

    def start(self) -> None:
        """The background task: persist counts and follow other writers, every interval."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def aclose(self) -> None:
        """Stop the task and persist what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
                await self.refresh()
            except Exception:
                log.exception("persisting project token usage failed; retrying next interval")


def _merged(used: Usage, later: Usage | None) -> Usage:
    if later is None:
        return used
    return Usage(used.requests + later.requests, max(used.last_used_at, later.last_used_at))
