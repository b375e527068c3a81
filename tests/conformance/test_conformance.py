"""Every case against every adapter, whole and streamed, through one running gateway.

A case is skipped only when the adapter (from the registry) declares it cannot carry what the
case needs; before skipping, the gateway must be seen refusing such a request with a 400 that
names the parameter, so a missing capability can never silently change an answer.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from cloverleaf.providers.chat_adapters import Capability
from tests.conformance import cases_failures, cases_features, cases_messages
from tests.conformance.adapters import ROWS, Target
from tests.conformance.case import Case, Run, assert_refused
from tests.conformance.known_bugs import known_bug
from tests.gateway_process import GatewayProcess

CASES: tuple[Case, ...] = (*cases_messages.CASES, *cases_features.CASES, *cases_failures.CASES)


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for row in ROWS:
            for stream in (False, True):
                reason = known_bug(case.name, row.id, stream)
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                mode = "stream" if stream else "whole"
                params.append(
                    pytest.param(case, row.id, stream, marks=marks,
                                 id=f"{case.name}-{row.id}-{mode}")
                )  # fmt: skip
    return params


@pytest.mark.parametrize(("case", "provider", "stream"), _params())
def test_case(
    case: Case,
    provider: str,
    stream: bool,
    *,
    targets: dict[str, Target],
    gateway: GatewayProcess,
    sdk: openai.OpenAI,
) -> None:
    target = targets[provider]
    target.wire.reset()
    run = Run(sdk, gateway, target, stream)
    needed = [case.needs, Capability.STREAMING if stream else None]
    missing = [c for c in needed if c is not None and c not in target.row.capabilities]
    if missing:
        for capability in missing:
            assert_refused(run, capability)
        names = ", ".join(c.value for c in missing)
        pytest.skip(f"{provider} declares no {names} capability (and refuses such requests)")
    try:
        case.run(run)
    except BaseException:
        print(gateway.logs()[-3000:])  # shown only when the case fails
        raise
