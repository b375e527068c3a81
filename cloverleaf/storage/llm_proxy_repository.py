"""Reads and writes of LLM Proxy's projects and tokens. Secrets are sealed on the way in and
opened on the way out; every change bumps `llm_proxy_version`, which is how the request path's
snapshot (on this and other instances) learns that it is stale. Usage counts are added, never
overwritten, so batches from several instances sum up."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cloverleaf.storage.crypto import Sealer
from cloverleaf.storage.llm_proxy_tables import llmp_projects, llmp_tokens
from cloverleaf.storage.migrate import serialize_writers
from cloverleaf.storage.tables import config_meta

VERSION = "llm_proxy_version"


def hash_token(value: str) -> str:
    """What a token is looked up by (the value is only stored sealed)."""
    return hashlib.sha256(value.encode()).hexdigest()


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    #: the project's upstream OpenAI key, in clear: never rendered
    api_key: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectToken:
    id: str
    project_id: str
    value: str
    #: SHA-256 of `value`: what requests are matched by
    value_hash: str
    #: None: never expires
    expires_at: datetime | None
    is_active: bool
    request_count: int
    #: 0: unlimited
    max_requests: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Usage:
    """Requests counted in memory since the last batch, and the latest use among them."""

    requests: int
    last_used_at: datetime


@dataclass(frozen=True, slots=True)
class RevokeCounts:
    revoked: int
    already_revoked: int
    total: int


class LlmProxyRepository:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer

    async def version(self) -> int:
        async with self.engine.connect() as connection:
            return await _version(connection)

    async def load(self) -> tuple[int, list[Project], list[ProjectToken]]:
        """Everything at one version (a repeatable-read transaction on Postgres)."""
        async with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execution_options(isolation_level="REPEATABLE READ")
            version = await _version(connection)
            projects = await self._projects(connection, None)
            tokens = await self._tokens(connection, select(llmp_tokens))
            return version, projects, tokens

    async def projects(self, project_id: str | None = None) -> list[Project]:
        async with self.engine.connect() as connection:
            return await self._projects(connection, project_id)

    async def project(self, project_id: str) -> Project | None:
        found = await self.projects(project_id)
        return found[0] if found else None

    async def tokens(
        self, project_id: str | None = None, active_only: bool = False
    ) -> list[ProjectToken]:
        query = select(llmp_tokens).order_by(llmp_tokens.c.created_at_ms, llmp_tokens.c.id)
        if project_id is not None:
            query = query.where(llmp_tokens.c.project_id == project_id)
        if active_only:
            query = query.where(llmp_tokens.c.is_active.is_(True))
        async with self.engine.connect() as connection:
            return await self._tokens(connection, query)

    async def token(self, id_or_value: str) -> ProjectToken | None:
        """By id, or by the token value itself (seed 003 names tokens by their value)."""
        where = (llmp_tokens.c.id == id_or_value) | (
            llmp_tokens.c.token_hash == hash_token(id_or_value)
        )
        async with self.engine.connect() as connection:
            found = await self._tokens(connection, select(llmp_tokens).where(where))
        return found[0] if found else None

    async def save_project(self, project: Project) -> None:
        values = {
            "id": project.id,
            "name": project.name,
            "sealed_api_key": self._sealer.seal(project.api_key.encode(), _aad_key(project.id)),
            "is_active": project.is_active,
            "created_at_ms": to_ms(project.created_at),
            "updated_at_ms": to_ms(project.updated_at),
        }
        async with self._write() as connection:
            where = llmp_projects.c.id == project.id
            result = await connection.execute(update(llmp_projects).where(where).values(**values))
            if result.rowcount == 0:
                await connection.execute(insert(llmp_projects).values(**values))

    async def delete_project(self, project_id: str) -> bool:
        """The project and all its tokens; False when there was no such project."""
        async with self._write() as connection:
            await connection.execute(
                delete(llmp_tokens).where(llmp_tokens.c.project_id == project_id)
            )
            result = await connection.execute(
                delete(llmp_projects).where(llmp_projects.c.id == project_id)
            )
            return bool(result.rowcount)

    async def insert_token(self, token: ProjectToken) -> None:
        values = {
            "id": token.id,
            "project_id": token.project_id,
            "token_hash": token.value_hash,
            "sealed_token": self._sealer.seal(token.value.encode(), _aad_token(token.id)),
            "expires_at_ms": None if token.expires_at is None else to_ms(token.expires_at),
            "is_active": token.is_active,
            "request_count": token.request_count,
            "max_requests": token.max_requests,
            "last_used_at_ms": None,
            "created_at_ms": to_ms(token.created_at),
            "updated_at_ms": to_ms(token.updated_at),
        }
        async with self._write() as connection:
            await connection.execute(insert(llmp_tokens).values(**values))

    async def update_token(
        self, token_id: str, is_active: bool, max_requests: int, at: datetime
    ) -> None:
        """Settings only: the usage columns belong to the usage batches."""
        async with self._write() as connection:
            await connection.execute(
                update(llmp_tokens)
                .where(llmp_tokens.c.id == token_id)
                .values(is_active=is_active, max_requests=max_requests, updated_at_ms=to_ms(at))
            )

    async def revoke_project_tokens(self, project_id: str, at: datetime) -> RevokeCounts:
        async with self._write() as connection:
            where = llmp_tokens.c.project_id == project_id
            total = await connection.scalar(
                select(func.count()).select_from(llmp_tokens).where(where)
            )
            result = await connection.execute(
                update(llmp_tokens)
                .where(where & llmp_tokens.c.is_active.is_(True))
                .values(is_active=False, updated_at_ms=to_ms(at))
            )
            revoked = int(result.rowcount)
            return RevokeCounts(revoked, int(total or 0) - revoked, int(total or 0))

    async def add_usage(self, usage: Mapping[str, Usage]) -> None:
        """Add each token's count and move its last use forward (never back). One transaction,
        no version bump: usage is not config. A token deleted meanwhile is skipped."""
        if not usage:
            return
        column = llmp_tokens.c.last_used_at_ms
        async with self.engine.begin() as connection:
            for token_id, used in sorted(usage.items()):
                at = to_ms(used.last_used_at)
                later = case((column.is_(None), at), (column < at, at), else_=column)
                await connection.execute(
                    update(llmp_tokens)
                    .where(llmp_tokens.c.id == token_id)
                    .values(
                        request_count=llmp_tokens.c.request_count + used.requests,
                        last_used_at_ms=later,
                    )
                )

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as connection:
            await serialize_writers(connection)
            yield connection
            await _set_version(connection, await _version(connection) + 1)

    async def _projects(self, connection: AsyncConnection, project_id: str | None) -> list[Project]:
        query = select(llmp_projects).order_by(llmp_projects.c.created_at_ms, llmp_projects.c.id)
        if project_id is not None:
            query = query.where(llmp_projects.c.id == project_id)
        return [self._project(row._mapping) for row in await connection.execute(query)]

    def _project(self, row: RowMapping) -> Project:
        key = self._sealer.open(row["sealed_api_key"], _aad_key(row["id"])).decode()
        return Project(
            id=row["id"],
            name=row["name"],
            api_key=key,
            is_active=bool(row["is_active"]),
            created_at=_at(row["created_at_ms"]),
            updated_at=_at(row["updated_at_ms"]),
        )

    async def _tokens(self, connection: AsyncConnection, query: Any) -> list[ProjectToken]:
        return [self._token(row._mapping) for row in await connection.execute(query)]

    def _token(self, row: RowMapping) -> ProjectToken:
        value = self._sealer.open(row["sealed_token"], _aad_token(row["id"])).decode()
        return ProjectToken(
            id=row["id"],
            project_id=row["project_id"],
            value=value,
            value_hash=row["token_hash"],
            expires_at=from_ms(row["expires_at_ms"]),
            is_active=bool(row["is_active"]),
            request_count=int(row["request_count"]),
            max_requests=int(row["max_requests"]),
            last_used_at=from_ms(row["last_used_at_ms"]),
            created_at=_at(row["created_at_ms"]),
            updated_at=_at(row["updated_at_ms"]),
        )


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _aad_key(project_id: str) -> str:
    return f"llmp_projects:{project_id}:api_key"


def _aad_token(token_id: str) -> str:
    return f"llmp_tokens:{token_id}:token"


async def _version(connection: AsyncConnection) -> int:
    query = select(config_meta.c.value).where(config_meta.c.name == VERSION)
    value = (await connection.execute(query)).scalar()
    return int(value) if value is not None else 0


async def _set_version(connection: AsyncConnection, version: int) -> None:
    where = config_meta.c.name == VERSION
    result = await connection.execute(update(config_meta).where(where).values(value=str(version)))
    if result.rowcount == 0:
        await connection.execute(insert(config_meta).values(name=VERSION, value=str(version)))
