"""The gateway's run-time state, built once at startup and handed to every handler."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.governance.project_context import GRANT
from cloverleaf.pipeline.models import ModelLister
from cloverleaf.routing.table import RoutingTable, Target
from cloverleaf.transport.base import Transport

if TYPE_CHECKING:
    from cloverleaf.governance.accounting import Accounting
    from cloverleaf.governance.enforce import Enforcer

log = logging.getLogger("cloverleaf.requests")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What one request did, for logs and accounting. Never holds secrets or bodies."""

    request_id: str
    provider: str
    model: str
    status: int
    stream: bool
    remote_ms: float
    usage: Usage | None
    #: the client credential's id (a virtual key, a project token), when one was used
    client_key_id: str | None = None
    #: what the request cost in dollars; None with `unpriced` when no price is known
    cost: Decimal | None = None
    unpriced: bool = False
    #: the upstream key that served the request (its pricing overrides apply)
    provider_key_id: str | None = None
    #: Bifrost's request type (`chat_completion`, `embedding`): picks the prices that apply
    request_type: str = "chat_completion"


#: receives every finished request's record (accounting, the request log); must not block
RecordSink = Callable[[RequestRecord], None]


class Gateway:
    """Holds the routing table (replaced whole on config change) and the shared transport."""

    def __init__(self, table: RoutingTable, transport: Transport, rng: random.Random | None = None):
        self.table = table
        self.transport = transport
        self.rng = rng or random.Random()
        self.models = ModelLister(self)
        self.sinks: list[RecordSink] = []
        #: governance on the request path; None: no client keys, budgets or rate limits
        self.enforcer: Enforcer | None = None
        #: prices records and settles reservations; None: records carry no cost
        self.accounting: Accounting | None = None

    async def resolve(self, model: str) -> Target:
        """Resolve from memory; a bare name nobody is known to serve refreshes the model lists
        once (they may not have been fetched yet) before giving up."""
        try:
            return self.table.resolve(model)
        except GatewayError as error:
            if error.status != 404 or not await self.models.refresh_if_stale():
                raise
        return self.table.resolve(model)

    def record(self, record: RequestRecord) -> None:
        grant = GRANT.get()
        if grant is not None and record.client_key_id is None:
            record = replace(record, client_key_id=f"llm-proxy-token:{grant.token_id}")
        accounting = self.accounting
        if accounting is not None and (self.sinks or accounting.pending()):
            try:
                charged = accounting.charge(
                    record.provider,
                    record.model,
                    record.usage,
                    record.provider_key_id,
                    record.request_type,
                )
                record = replace(
                    record,
                    cost=charged.cost,
                    unpriced=charged.unpriced,
                    client_key_id=record.client_key_id or charged.client_key_id,
                )
            except Exception:  # accounting must never fail a request that already succeeded
                log.exception("request %s: pricing the request failed", record.request_id)
        for sink in self.sinks:
            try:
                sink(record)
            except Exception:  # one broken sink must not fail the request or the others
                log.exception("request %s: a record sink failed", record.request_id)
        if log.isEnabledFor(logging.DEBUG):
            usage = record.usage
            log.debug(
                "request %s %s/%s status=%d stream=%s upstream_ms=%.1f tokens=%s/%s",
                record.request_id,
                record.provider,
                record.model,
                record.status,
                record.stream,
                record.remote_ms,
                usage.prompt_tokens if usage else "?",
                usage.completion_tokens if usage else "?",
            )

    async def aclose(self) -> None:
        if self.accounting is not None:
            await self.accounting.aclose()
        await self.transport.aclose()
