"""The request path's project-token resolver over a real (SQLite) config store: 401 unknown,
expired or revoked; 403 `project_inactive`; 429 once `max_requests` is used; counts exact in
memory, persisted in batches, kept when a batch fails, and summed across instances."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.project_tokens import ProjectGrant, ProjectTokens
from cloverleaf.management.llm_proxy_service import LlmProxyService
from cloverleaf.storage.crypto import Sealer
from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.llm_proxy_repository import LlmProxyRepository, Usage
from cloverleaf.storage.migrate import migrate

UPSTREAM = "sk-project-upstream-key-0123456789"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_R = TypeVar("_R")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class FailingOnce(LlmProxyRepository):
    """A store whose next usage batch fails, as when the database is briefly unreachable."""

    fail_next = False

    async def add_usage(self, usage: Mapping[str, Usage]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database unreachable")
        await super().add_usage(usage)


Scenario = Callable[[LlmProxyService, ProjectTokens, Clock], Awaitable[_R]]


def run(tmp_path: Path, scenario: Scenario[_R]) -> _R:
    async def main() -> _R:
        engine = create_engine(database_url(None, tmp_path))
        await migrate(engine)
        clock = Clock()
        tokens = ProjectTokens(FailingOnce(engine, _sealer()), clock)
        try:
            await tokens.reload()
            return await scenario(LlmProxyService(tokens, clock), tokens, clock)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _token(service: LlmProxyService, **fields: Any) -> tuple[str, str, str]:
    """(project id, token id, token value)."""
    project = await service.create_project({"name": "p", "api_key": UPSTREAM})
    token = await service.create_token({"project_id": project.id, **fields})
    return project.id, token.id, token.value


def _refused(tokens: ProjectTokens, value: str) -> tuple[int, str | None]:
    with pytest.raises(GatewayError) as raised:
        tokens.resolve(value)
    return raised.value.status, raised.value.code


def test_a_valid_token_gets_its_projects_upstream_key(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, _clock: Clock) -> None:
        assert not tokens.has_tokens
        project_id, token_id, value = await _token(service)
        grant = tokens.resolve(value)
        assert grant == ProjectGrant(token_id, project_id, UPSTREAM)
        assert UPSTREAM not in repr(grant)
        assert tokens.knows(value) and not tokens.knows(value.upper())
        assert tokens.has_tokens and tokens.recognizes(["sk-bf-other", value])
        assert not tokens.recognizes(["sk-bf-other"])
        assert tokens.resolve_first(["sk-bf-other"]) is None
        assert tokens.resolve_first(["sk-bf-other", value]) == grant
        assert tokens.request_count(token_id) == 2
        assert _refused(tokens, "11111111-2222-3333-4444-555555555555") == (401, "invalid_token")
        assert _refused(tokens, "") == (401, "invalid_token")

    run(tmp_path, scenario)


def test_expired_revoked_and_inactive_project(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, clock: Clock) -> None:
        project_id, token_id, value = await _token(service, expires_in_days=2)
        clock.now = START + timedelta(days=2) - timedelta(milliseconds=1)
        tokens.resolve(value)
        clock.now = START + timedelta(days=2)
        assert _refused(tokens, value) == (401, "token_expired")

        clock.now = START
        await service.update_project(project_id, {"is_active": False})
        assert _refused(tokens, value) == (403, "project_inactive")
        await service.update_project(project_id, {"is_active": True})
        tokens.resolve(value)

        await service.revoke_token(token_id)
        assert _refused(tokens, value) == (401, "token_inactive")
        await service.update_token(token_id, {"is_active": True})
        tokens.resolve(value)
        await service.delete_project(project_id)
        assert _refused(tokens, value) == (401, "invalid_token")

    run(tmp_path, scenario)


def test_max_requests_is_exact_under_concurrency(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, _clock: Clock) -> None:
        _, token_id, value = await _token(service, max_requests=10)

        async def request() -> int:
            await asyncio.sleep(0)
            try:
                tokens.resolve(value)
            except GatewayError as error:
                return error.status
            return 200

        statuses = await asyncio.gather(*(request() for _ in range(50)))
        assert statuses.count(200) == 10 and statuses.count(429) == 40
        assert tokens.request_count(token_id) == 10
        await service.update_token(token_id, {"max_requests": 12})
        assert [await request() for _ in range(3)] == [200, 200, 429]

    run(tmp_path, scenario)


def test_counts_are_persisted_in_batches_and_survive_a_failed_one(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, clock: Clock) -> None:
        _, token_id, value = await _token(service)
        for minute in range(3):
            clock.now = START + timedelta(minutes=minute)
            tokens.resolve(value)
        stored = await service.repository.token(token_id)
        assert stored is not None and stored.request_count == 0  # nothing written per request

        assert isinstance(tokens.repository, FailingOnce)
        tokens.repository.fail_next = True
        with pytest.raises(ConnectionError):
            await tokens.flush()
        tokens.resolve(value)  # counted while the failed batch is pending again
        await tokens.reload()  # a reload keeps what is not persisted yet
        assert tokens.request_count(token_id) == 4

        shown = await service.get_token(token_id)  # management reads flush first
        assert shown.request_count == 4
        assert shown.last_used_at == START + timedelta(minutes=2)
        await tokens.reload()
        assert tokens.request_count(token_id) == 4

    run(tmp_path, scenario)


def test_instances_sum_their_counts_and_follow_each_others_writes(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, clock: Clock) -> None:
        project_id, token_id, value = await _token(service, max_requests=5)
        other = ProjectTokens(LlmProxyRepository(service.repository.engine, _sealer()), clock)
        await other.reload()
        for _ in range(2):
            tokens.resolve(value)
            other.resolve(value)
        await tokens.flush()
        await other.flush()
        assert await other.refresh() is False  # usage is not config: no reload needed
        await other.reload()
        assert other.request_count(token_id) == 4
        other.resolve(value)
        assert _refused(other, value)[0] == 429

        await service.update_project(project_id, {"is_active": False})
        assert await other.refresh() is True
        assert _refused(other, value) == (403, "project_inactive")

    run(tmp_path, scenario)


def test_the_background_task_persists_and_close_flushes(tmp_path: Path) -> None:
    async def scenario(service: LlmProxyService, tokens: ProjectTokens, _clock: Clock) -> None:
        _, token_id, value = await _token(service)
        tokens.start()
        for _ in range(7):
            tokens.resolve(value)
        await tokens.aclose()
        stored = await service.repository.token(token_id)
        assert stored is not None and stored.request_count == 7

    run(tmp_path, scenario)


def _sealer() -> Sealer:
    return Sealer(b"unit-test-master-key")
