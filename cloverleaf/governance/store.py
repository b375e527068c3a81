"""The governance objects of this instance: the stored ones, and the in-memory snapshot the
request path reads. A write here commits, swaps the snapshot, then tells the other instances
(through the config version every instance follows)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from cloverleaf.governance.models import GovernanceSnapshot
from cloverleaf.governance.usage import StoredUsage, UsageView
from cloverleaf.storage.governance_repository import GovernanceRepository, GovernanceTx

log = logging.getLogger("cloverleaf.governance")

#: called with the new config version after this instance wrote (reload here, publish)
OnWritten = Callable[[int], Awaitable[object]]


class GovernanceStore:
    def __init__(
        self, repository: GovernanceRepository, on_written: OnWritten | None = None
    ) -> None:
        self.repository = repository
        #: what the hot path reads; replaced whole, never mutated
        self.snapshot = GovernanceSnapshot(version=-1)
        self.on_written = on_written
        #: how list endpoints learn live usage; enforcement replaces this with its counters
        self.usage_for: Callable[[GovernanceSnapshot], UsageView] = StoredUsage
        self._lock = asyncio.Lock()

    async def reload(self, version: int | None = None) -> bool:
        """Read the stored objects unless `version` (or newer) is already in memory."""
        async with self._lock:
            if version is not None and version <= self.snapshot.version:
                return False
            snapshot = await self.repository.snapshot()
            if snapshot.version <= self.snapshot.version:
                return False
            self.snapshot = snapshot
            log.info(
                "governance at config version %d: %d virtual keys",
                snapshot.version,
                len(snapshot.virtual_keys),
            )
            return True

    async def read(self, from_memory: bool) -> GovernanceSnapshot:
        """`from_memory`: the snapshot requests are checked against; otherwise the database."""
        if from_memory:
            return self.snapshot
        return await self.repository.snapshot()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[GovernanceTx]:
        async with self.repository.write() as tx:
            yield tx
        if tx.version is not None:
            await self.reload(tx.version)
            if self.on_written is not None:
                await self.on_written(tx.version)
