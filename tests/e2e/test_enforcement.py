"""Budgets, rate limits and prices on the request path of a real gateway, once with SQLite and
memory counters and once with Postgres and Redis counters: concurrency never spends past a
budget, the hierarchy stops a key whose own budget is fine, the most specific price applies,
and a budgeted key cannot use a model nobody priced."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.enforcement import (
    METERED,
    OUTPUT_PRICE,
    Cluster,
    G,
    burst,
    chat,
    chat_body,
    cluster,
    eventually,
    price,
    settles_to,
    virtual_key,
)
from tests.management.backends import BACKENDS
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, mock_upstream: MockOpenAI, tmp_path_factory: Any
) -> Iterator[Cluster]:
    workdir: Path = tmp_path_factory.mktemp(f"enforce-{request.param}")
    with cluster(request.param, workdir, mock_upstream.base_url) as running:
        yield running


@pytest.fixture(scope="module")
def metered(gateway: Cluster) -> str:
    """`openai/metered` costs exactly $0.002 a request (2 output tokens at $0.001)."""
    price(gateway.api, METERED, OUTPUT_PRICE)
    return f"openai/{METERED}"


def spent(gateway: Cluster, key_id: str) -> Decimal | None:
    budget = gateway.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    return Decimal(str(budget["current_usage"]))


def test_budget_that_fits_ten_lets_exactly_ten_through(gateway: Cluster, metered: str) -> None:
    key_id, key = virtual_key(gateway.api, budget={"max_limit": 0.02, "reset_duration": "1h"})
    responses = burst(gateway.urls, key, chat_body(metered), 50)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 10 + [429] * 40, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    total = eventually(lambda: spent(gateway, key_id) or None)
    assert total == Decimal("0.02")  # every request settled to its real cost; none beyond


def test_rate_limit_refuses_the_sixth_request_with_retry_after(
    gateway: Cluster, metered: str
) -> None:
    limit = {"request_max_limit": 5, "request_reset_duration": "1m"}
    _, key = virtual_key(gateway.api, rate_limit=limit)
    statuses = [chat(gateway.urls[0], key, chat_body(metered)).status_code for _ in range(5)]
    assert statuses == [200] * 5
    sixth = chat(gateway.urls[0], key, chat_body(metered))
    assert sixth.status_code == 429
    assert sixth.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(sixth.headers["retry-after"]) <= 60


def test_team_budget_stops_a_key_whose_own_budget_is_fine(gateway: Cluster, metered: str) -> None:
    team = gateway.api.ok(
        "POST",
        f"{G}/teams",
        {"name": "small", "budget": {"max_limit": 0.004, "reset_duration": "1d"}},
    )["team"]
    _, key = virtual_key(
        gateway.api, team_id=team["id"], budget={"max_limit": 100, "reset_duration": "1d"}
    )
    assert [chat(gateway.urls[0], key, chat_body(metered)).status_code for _ in range(2)] == [
        200
    ] * 2
    third = chat(gateway.urls[0], key, chat_body(metered))
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "budget_exceeded"


def test_most_specific_price_override_is_charged(gateway: Cluster) -> None:
    model = "precedence-model"
    price(gateway.api, model, 0.001)  # global
    price(gateway.api, model, 0.002, scope_kind="provider", provider_id="openai")
    key_id, key = virtual_key(gateway.api, budget={"max_limit": 1, "reset_duration": "1d"})
    price(gateway.api, model, 0.005, scope_kind="virtual_key", virtual_key_id=key_id)
    other_id, other = virtual_key(gateway.api, budget={"max_limit": 1, "reset_duration": "1d"})
    assert chat(gateway.urls[0], key, chat_body(f"openai/{model}")).status_code == 200
    assert chat(gateway.urls[0], other, chat_body(f"openai/{model}")).status_code == 200
    # 2 output tokens: the key's own price, and the provider's for a key without one
    settles_to(lambda: spent(gateway, key_id), Decimal("0.01"))
    settles_to(lambda: spent(gateway, other_id), Decimal("0.004"))


def test_budgeted_key_cannot_use_an_unpriced_model(gateway: Cluster) -> None:
    _, budgeted = virtual_key(gateway.api, budget={"max_limit": 1, "reset_duration": "1d"})
    refused = chat(gateway.urls[0], budgeted, chat_body("openai/nobody-priced-this"))
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "model_unpriced"
    assert "openai/nobody-priced-this" in error["message"]
    _, free = virtual_key(gateway.api)  # no budget: unpriced models are allowed, and logged so
    assert chat(gateway.urls[0], free, chat_body("openai/nobody-priced-this")).status_code == 200


def test_provider_configs_decide_what_a_key_may_use(gateway: Cluster, metered: str) -> None:
    _, nothing = virtual_key(gateway.api, provider_configs=[])
    refused = chat(gateway.urls[0], nothing, chat_body(metered))
    assert refused.status_code == 403
    assert "no provider configs" in refused.json()["error"]["message"]
    configs = [{"provider": "openai", "allowed_models": ["gpt-4o-mini"], "key_ids": ["key-b"]}]
    _, narrow = virtual_key(gateway.api, provider_configs=configs)
    assert chat(gateway.urls[0], narrow, chat_body("gpt-4o-mini")).status_code == 200
    other = chat(gateway.urls[0], narrow, chat_body("openai/gpt-4o"))
    assert other.status_code == 403
    assert "gpt-4o" in other.json()["error"]["message"]


def test_pinned_key_ids_choose_the_upstream_key(gateway: Cluster, upstream: MockOpenAI) -> None:
    configs = [{"provider": "openai", "key_ids": ["key-b"]}]
    _, key = virtual_key(gateway.api, provider_configs=configs)
    for _ in range(4):
        assert chat(gateway.urls[0], key, chat_body("openai/gpt-4o-mini")).status_code == 200
    used = {r.headers.get("authorization") for r in upstream.requests[-4:]}
    assert used == {"Bearer sk-upstream-b"}


def test_unknown_key_is_refused_once_keys_exist(gateway: Cluster, metered: str) -> None:
    virtual_key(gateway.api)
    unknown = chat(gateway.urls[0], "sk-bf-not-a-key", chat_body(metered))
    assert unknown.status_code == 401
    assert unknown.json()["error"]["type"] == "authentication_error"
    _, inactive = virtual_key(gateway.api, is_active=False)
    assert chat(gateway.urls[0], inactive, chat_body(metered)).status_code == 401


def test_streams_settle_when_they_end(gateway: Cluster, metered: str) -> None:
    key_id, key = virtual_key(gateway.api, budget={"max_limit": 0.004, "reset_duration": "1h"})
    body = {**chat_body(metered), "stream": True}
    for _ in range(2):
        streamed = chat(gateway.urls[0], key, body)
        assert streamed.status_code == 200
        assert streamed.text.rstrip().endswith("data: [DONE]")
    settles_to(lambda: spent(gateway, key_id), Decimal("0.004"))
    refused = chat(gateway.urls[0], key, body)
    assert refused.status_code == 429  # refused before any stream starts
    assert refused.json()["error"]["code"] == "budget_exceeded"
