"""Targets and reservation for the operations beside chat (embeddings, legacy completions,
moderations, rerank): the same routing and governance, in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from cloverleaf.core.usage import Usage
from cloverleaf.governance.enforce_context import CURRENT
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

T = TypeVar("T")
R = TypeVar("R")


async def run_targeted(
    gateway: Gateway,
    model: str,
    fallbacks: tuple[str, ...],
    *,
    check: Callable[[Target], None],
    estimate: Callable[[], tuple[int, int | None]],
    run: Callable[[list[Target]], Awaitable[T]],
    request_type: str,
    units: Callable[[], Usage] | None = None,
) -> T:
    """Resolve `model` and its fallbacks (only where a virtual key allows), refuse with `check`
    any target that cannot serve the operation, reserve the worst case `estimate` gives (input
    tokens, output bound) and, for a unit-priced operation, `units` (images, characters,
    seconds), and run. A failure before any answer releases the reservation; an
    answer's record settles it."""
    governed = CURRENT.get()
    if governed is None:
        targets = [await gateway.resolve(name) for name in (model, *fallbacks)]
        for target in targets:
            check(target)
        return await run(targets)
    enforcer, accounting = gateway.enforcer, gateway.accounting
    assert enforcer is not None and accounting is not None, "a governed request needs both"
    targets = await enforcer.targets(
        governed, gateway.table, gateway.resolve, model, fallbacks, rng=gateway.rng
    )
    for target in targets:
        check(target)
    input_tokens, max_tokens = estimate()
    await enforcer.reserve(
        governed,
        targets,
        input_tokens,
        max_tokens,
        request_type=request_type,
        units=units() if units is not None else None,
    )
    try:
        return await run(targets)
    except BaseException:
        accounting.close(governed)
        raise


async def follow_up_calls(
    gateway: Gateway,
    target: Target,
    count: int,
    build: Callable[[Target, UpstreamKey, int], UpstreamRequest],
    read: Callable[[Opened], Awaitable[R]],
    *,
    parallel: int,
) -> list[tuple[R, float]]:
    """Calls 1 to `count - 1` of a request the provider takes in several calls (embeddings in
    batches, one image a call), on the target that answered call 0: retries, no fallback, at
    most `parallel` at once. Each answer with its upstream time, in call order."""
    gate = asyncio.Semaphore(parallel)

    async def one(index: int) -> tuple[R, float]:
        async with gate:
            opened = await open_upstream(
                [target], lambda t, k: build(t, k, index), gateway.transport, gateway.rng
            )
            return await read(opened), opened.remote_ms

    return list(await asyncio.gather(*(one(i) for i in range(1, count))))
