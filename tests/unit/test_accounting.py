"""The record every sink (the request log) receives carries the request's real cost, the client
key that made it, or `unpriced` — and a governed request's reservation is settled from it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from cloverleaf.catalogue.entries import Catalogue, ModelCard, Pricing
from cloverleaf.core.usage import Usage
from cloverleaf.governance.accounting import Accounting
from cloverleaf.governance.cost import PriceBook
from cloverleaf.governance.counters import Charge, Limit, Reservation, Unit
from cloverleaf.governance.counters_memory import MemoryCounters
from cloverleaf.governance.enforce_context import CURRENT, GovernedRequest
from cloverleaf.governance.models import GovernanceSnapshot, VirtualKey
from cloverleaf.governance.windows import parse_window
from cloverleaf.pipeline.gateway import Gateway, RequestRecord
from cloverleaf.routing.table import RoutingTable
from cloverleaf.transport.base import UpstreamRequest, UpstreamResponse

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PRICED = Pricing(input=Decimal("0.000001"), output=Decimal("0.000002"))
BUDGET = Limit("b:test", Unit.NANO_DOLLARS, 10**9, parse_window("1h"))


class NoTransport:
    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        raise AssertionError("accounting never calls an upstream")

    async def aclose(self) -> None:
        return None


def gateway(counters: MemoryCounters) -> tuple[Gateway, list[RequestRecord]]:
    card = ModelCard("openai", "gpt-x", "gpt-x", "chat", None, None, None, (), (), PRICED)
    snapshot = GovernanceSnapshot(version=1)
    prices = PriceBook(Catalogue([card]))
    running = Gateway(RoutingTable({}), NoTransport())
    running.accounting = Accounting(counters, prices, lambda: snapshot)
    seen: list[RequestRecord] = []
    running.sinks.append(seen.append)
    return running, seen


def record(model: str, usage: Usage | None) -> RequestRecord:
    return RequestRecord("r1", "openai", model, 200, False, 1.0, usage, provider_key_id="k")


def key() -> VirtualKey:
    return VirtualKey("vk-1", "k", "", "h", "x", True, None, None, None, None, (), (), NOW, NOW)


def test_sinks_see_the_cost_or_unpriced() -> None:
    running, seen = gateway(MemoryCounters())
    running.record(record("gpt-x", Usage(1000, 500, 1500)))
    running.record(record("unknown-model", Usage(10, 10, 20)))
    running.record(record("gpt-x", None))
    assert [(r.cost, r.unpriced) for r in seen] == [
        (Decimal("0.002"), False),
        (None, True),
        (None, False),  # no usage reported: nothing to price, and not "unpriced" either
    ]
    assert all(r.client_key_id is None for r in seen)


def test_a_governed_record_settles_its_reservation() -> None:
    async def run() -> tuple[list[RequestRecord], int]:
        counters = MemoryCounters()
        running, seen = gateway(counters)
        reserved = await counters.reserve("res-1", [Charge(BUDGET, 5_000_000)])
        assert isinstance(reserved, Reservation)
        governed = GovernedRequest(key(), GovernanceSnapshot(version=1), "res-1", reserved)
        token = CURRENT.set(governed)
        try:
            running.record(record("gpt-x", Usage(1000, 500, 1500)))
        finally:
            CURRENT.reset(token)
        assert governed.finished
        return seen, (await counters.current(BUDGET)).used

    seen, used = asyncio.run(run())
    assert seen[0].client_key_id == "vk-1"
    assert used == 2_000_000  # the $0.005 reserved became the $0.002 spent
