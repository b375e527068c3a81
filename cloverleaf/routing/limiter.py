"""At most `concurrency` upstream calls in flight, `buffer_size` waiting, the rest refused."""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

from cloverleaf.core.errors import overloaded


class ConcurrencyLimiter:
    """A FIFO semaphore with a bounded wait queue: memory never grows with the backlog."""

    def __init__(self, name: str, concurrency: int, buffer_size: int) -> None:
        self.name = name
        self.concurrency = concurrency
        self.buffer_size = buffer_size
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self.in_flight < self.concurrency and not self._waiters:
            self.in_flight += 1
            return
        if len(self._waiters) >= self.buffer_size:
            raise overloaded(
                f"provider {self.name} is at its concurrency limit ({self.concurrency} in flight, "
                f"{self.buffer_size} waiting); try again shortly"
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the releaser hands its slot over: in_flight stays counted
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # got the slot just as we were cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        self._release_slot()

    def _release_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_flight -= 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
