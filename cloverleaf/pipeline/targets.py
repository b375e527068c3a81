"""Targets and reservation for the operations beside chat (embeddings, legacy completions,
moderations, rerank): the same routing and governance, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from cloverleaf.core.usage import Usage
from cloverleaf.governance.enforce_context import CURRENT
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.routing.table import Target

T = TypeVar("T")


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
