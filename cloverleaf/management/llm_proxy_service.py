"""LLM Proxy's projects and tokens (seed 003): validate, store, and keep the request path's
snapshot current. Bad input is a 400 naming the field; unknown ids are 404s."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.governance.project_tokens import Clock, ProjectTokens, utc_now
from cloverleaf.storage.llm_proxy_repository import (
    LlmProxyRepository,
    Project,
    ProjectToken,
    RevokeCounts,
    hash_token,
)

DEFAULT_EXPIRES_IN_DAYS = 30
#: a century: far enough for anyone, near enough that no date arithmetic overflows
MAX_EXPIRES_IN_DAYS = 36_500
MAX_NAME = 255
MAX_API_KEY = 4096


def _required(body: Mapping[str, Any], name: str, limit: int) -> str:
    if body.get(name) is None:
        raise bad_request(f"{name} is required", param=name)
    value = _str(body, name, limit)
    return value if value is not None else ""


def _str(body: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be a non-empty string", param=name)
    if len(value) > limit:
        raise bad_request(f"{name} must be at most {limit} characters", param=name)
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false", param=name)
    return value


def _count(body: Mapping[str, Any], name: str, default: int, limit: int | None = None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"{name} must be a whole number, 0 or more", param=name)
    if limit is not None and value > limit:
        raise bad_request(f"{name} must be at most {limit}", param=name)
    return value


def _missing(what: str, given: str) -> GatewayError:
    return GatewayError(404, f"{what} {given!r} not found", code="not_found")


class LlmProxyService:
    def __init__(self, tokens: ProjectTokens, clock: Clock = utc_now) -> None:
        self.tokens = tokens
        self.repository: LlmProxyRepository = tokens.repository
        self._clock = clock

    async def _changed(self) -> None:
        """This instance's requests see a write at once; others at their next refresh."""
        await self.tokens.reload()

    # projects

    async def list_projects(self) -> list[Project]:
        return await self.repository.projects()

    async def get_project(self, project_id: str) -> Project:
        project = await self.repository.project(project_id)
        if project is None:
            raise _missing("project", project_id)
        return project

    async def create_project(self, body: Mapping[str, Any]) -> Project:
        name = _required(body, "name", MAX_NAME)
        api_key = _required(body, "api_key", MAX_API_KEY)
        active = _bool(body, "is_active")
        at = self._clock()
        project = Project(str(uuid.uuid4()), name, api_key, active is not False, at, at)
        await self.repository.save_project(project)
        await self._changed()
        return project

    async def update_project(self, project_id: str, body: Mapping[str, Any]) -> Project:
        name = _str(body, "name", MAX_NAME)
        api_key = _str(body, "api_key", MAX_API_KEY)
        active = _bool(body, "is_active")
        project = await self.get_project(project_id)
        updated = replace(
            project,
            name=name if name is not None else project.name,
            api_key=api_key if api_key is not None else project.api_key,
            is_active=active if active is not None else project.is_active,
            updated_at=self._clock(),
        )
        await self.repository.save_project(updated)
        await self._changed()
        return updated

    async def delete_project(self, project_id: str) -> None:
        if not await self.repository.delete_project(project_id):
            raise _missing("project", project_id)
        await self._changed()

    async def revoke_project_tokens(self, project_id: str) -> RevokeCounts:
        await self.get_project(project_id)
        counts = await self.repository.revoke_project_tokens(project_id, self._clock())
        await self._changed()
        return counts

    # tokens

    async def list_tokens(self, project_id: str | None, active_only: bool) -> list[ProjectToken]:
        await self.tokens.flush()  # so request_count and last_used_at are this process's own
        return await self.repository.tokens(project_id, active_only)

    async def get_token(self, token_id: str) -> ProjectToken:
        await self.tokens.flush()
        token = await self.repository.token(token_id)
        if token is None:
            raise _missing("token", token_id)
        return token

    async def create_token(self, body: Mapping[str, Any]) -> ProjectToken:
        project_id = _required(body, "project_id", 64)
        days = _count(body, "expires_in_days", DEFAULT_EXPIRES_IN_DAYS, MAX_EXPIRES_IN_DAYS)
        max_requests = _count(body, "max_requests", 0)
        if await self.repository.project(project_id) is None:
            raise _missing("project", project_id)
        at = self._clock()
        value = str(uuid.uuid4())
        token = ProjectToken(
            id=str(uuid.uuid4()),
            project_id=project_id,
            value=value,
            value_hash=hash_token(value),
            expires_at=at + timedelta(days=days) if days else None,
            is_active=True,
            request_count=0,
            max_requests=max_requests,
            last_used_at=None,
            created_at=at,
            updated_at=at,
        )
        await self.repository.insert_token(token)
        await self._changed()
        return token

    async def update_token(self, token_id: str, body: Mapping[str, Any]) -> ProjectToken:
        active = _bool(body, "is_active")
        max_requests = _count(body, "max_requests", 0) if "max_requests" in body else None
        token = await self.get_token(token_id)
        await self.repository.update_token(
            token.id,
            token.is_active if active is None else active,
            token.max_requests if max_requests is None else max_requests,
            self._clock(),
        )
        await self._changed()
        return await self.get_token(token.id)

    async def revoke_token(self, token_id: str) -> None:
        token = await self.get_token(token_id)
        await self.repository.update_token(token.id, False, token.max_requests, self._clock())
        await self._changed()
