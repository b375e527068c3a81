"""One rule for in-band stream errors, shared by every stream decoder.

An error event may share an upstream read with good events before it. Those events are returned
first and the error is raised on the next call (`feed` or `close`), so the result does not depend
on where the chunk boundaries fell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from cloverleaf.core.chat import StreamEvent
from cloverleaf.core.errors import GatewayError

Item = TypeVar("Item")


class DeferredError:
    __slots__ = ("_error",)

    def __init__(self) -> None:
        self._error: GatewayError | None = None

    def decode(
        self, items: Iterable[Item], decode_one: Callable[[Item, list[StreamEvent]], None]
    ) -> list[StreamEvent]:
        """Decode items in order until one raises; keep that error for the next call."""
        self.raise_pending()
        out: list[StreamEvent] = []
        for item in items:
            try:
                decode_one(item, out)
            except GatewayError as error:
                self._error = error
                break
        if not out:
            self.raise_pending()
        return out

    def raise_pending(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
