"""Images are priced and limited as images: a pricing override with `output_cost_per_image`
scoped to `image_generation` charges a budgeted virtual key per image returned, and the
reservation is the images asked for at that price."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.enforcement import Cluster, G, cluster, eventually, virtual_key
from tests.mocks.openai_upstream import MockOpenAI

#: priced only by this module's image-scoped override
MODEL = "dall-e-priced-here"
PER_IMAGE = Decimal("0.04")


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with MockOpenAI() as upstream:
        workdir: Path = tmp_path_factory.mktemp("images-priced")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            body = {
                "name": f"price-{uuid.uuid4().hex[:8]}",
                "scope_kind": "global",
                "match_type": "exact",
                "pattern": MODEL,
                "request_types": ["image_generation"],
                "patch": {"output_cost_per_image": float(PER_IMAGE)},
            }
            running.api.ok("POST", f"{G}/pricing-overrides", body, status=201)
            yield running


def _generate(gateway: Cluster, key: str, n: int) -> httpx.Response:
    body: dict[str, Any] = {"model": f"openai/{MODEL}", "prompt": "a priced picture", "n": n}
    headers = {"authorization": f"Bearer {key}"}
    url = gateway.urls[0] + "/v1/images/generations"
    return httpx.post(url, json=body, headers=headers, timeout=20)


def _spent(gateway: Cluster, key_id: str) -> Decimal | None:
    found = gateway.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    usage = Decimal(str(found["current_usage"]))
    return usage or None


def test_a_budgeted_key_is_charged_per_image(governed: Cluster) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    answer = _generate(governed, key, 3)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["data"]) == 3
    assert eventually(lambda: _spent(governed, key_id)) == 3 * PER_IMAGE


def test_the_reservation_is_the_images_asked_for(governed: Cluster) -> None:
    """Three images at $0.04 reserve $0.12: a $0.10 budget cannot hold them, one image fits."""
    _, small = virtual_key(governed.api, budget={"max_limit": 0.1, "reset_duration": "1h"})
    refused = _generate(governed, small, 3)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert _generate(governed, small, 1).status_code == 200
