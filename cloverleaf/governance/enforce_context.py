"""The governance state of the request being served, reachable from every layer of its task
(the route, the pipeline, the record at the end of a stream) without threading it through each
call: a context variable, set by the dispatcher for requests that present a virtual key."""

from __future__ import annotations

import itertools
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field

from cloverleaf.governance.counters import Reservation
from cloverleaf.governance.models import GovernanceSnapshot, VirtualKey

#: a random per-process prefix and a counter: unique across processes and instances like a
#: UUID, at a fraction of its cost on every governed request
_PREFIX = secrets.token_hex(8)
_SEQUENCE = itertools.count()


def _reservation_id() -> str:
    return f"{_PREFIX}{next(_SEQUENCE):x}"


@dataclass(slots=True)
class GovernedRequest:
    key: VirtualKey
    #: the snapshot the key was found in: one request sees one config version throughout
    snapshot: GovernanceSnapshot
    #: the counters' request id, made here: never the client's X-Request-ID, which a client
    #: could repeat to make concurrent requests share one reservation
    reservation_id: str = field(default_factory=_reservation_id)
    reservation: Reservation | None = None
    #: settled or released (or never reserved): nothing is left to do at the end
    finished: bool = False


CURRENT: ContextVar[GovernedRequest | None] = ContextVar("cloverleaf_governed", default=None)
