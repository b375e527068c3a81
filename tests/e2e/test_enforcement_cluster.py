"""Two gateway instances sharing Postgres and Redis count every budget and rate limit once:
limits do not multiply with the number of instances."""

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
    known_everywhere,
    price,
    settles_to,
    virtual_key,
)
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module")
def pair(mock_upstream: MockOpenAI, tmp_path_factory: Any) -> Iterator[Cluster]:
    workdir: Path = tmp_path_factory.mktemp("enforce-cluster")
    with cluster("postgres", workdir, mock_upstream.base_url, instances=2) as running:
        price(running.api, METERED, OUTPUT_PRICE)
        yield running


def test_two_instances_let_exactly_ten_through_a_budget_for_ten(pair: Cluster) -> None:
    key_id, key = virtual_key(pair.api, budget={"max_limit": 0.02, "reset_duration": "1h"})
    known_everywhere(pair.urls, key)
    responses = burst(pair.urls, key, chat_body(f"openai/{METERED}"), 50)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 10 + [429] * 40, statuses
    served_by = {url: 0 for url in pair.urls}
    for index, response in enumerate(responses):
        if response.status_code == 200:
            served_by[pair.urls[index % 2]] += 1
    assert sum(served_by.values()) == 10

    def spent() -> Decimal | None:
        budget = pair.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
        return Decimal(str(budget["current_usage"])) or None

    settles_to(spent, Decimal("0.02"))


def test_rate_limit_counts_requests_on_both_instances(pair: Cluster) -> None:
    limit = {"request_max_limit": 5, "request_reset_duration": "1m"}
    _, key = virtual_key(pair.api, rate_limit=limit)
    known_everywhere(pair.urls, key)
    body = chat_body(f"openai/{METERED}")
    statuses = [chat(pair.urls[i % 2], key, body).status_code for i in range(5)]
    assert statuses == [200] * 5
    for url in pair.urls:  # the sixth is refused on whichever instance gets it
        sixth = chat(url, key, body)
        assert sixth.status_code == 429
        assert sixth.json()["error"]["code"] == "rate_limit_exceeded"
        assert 1 <= int(sixth.headers["retry-after"]) <= 60
