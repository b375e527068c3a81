"""OmniRoute's image paths: `/api/v1/images/generations`, the provider forced by
`/api/v1/providers/{provider}/images/generations`, and its 502 when every upstream failed."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

from tests.e2e.images.conftest import IMAGEN, Mocks
from tests.gateway_process import GatewayProcess
from tests.mocks.images_wire import image_url, png


def _post(gateway: GatewayProcess, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        gateway.base_url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_omniroute_path_with_the_openai_sdk(gateway: GatewayProcess, upstreams: Mocks) -> None:
    with openai.OpenAI(
        base_url=gateway.base_url + "/api/v1", api_key="x", max_retries=0, timeout=20
    ) as sdk:
        answer = sdk.images.generate(model="openai/dall-e-2", prompt="a comet")
    assert [d.url for d in answer.data or []] == [image_url("a comet")]


def test_a_forced_provider_takes_the_bare_model(gateway: GatewayProcess, upstreams: Mocks) -> None:
    status, answer = _post(
        gateway,
        "/api/v1/providers/gemini/images/generations",
        {"model": IMAGEN, "prompt": "a cactus", "response_format": "b64_json"},
    )
    assert status == 200, answer
    assert [base64.b64decode(d["b64_json"]) for d in answer["data"]] == [png("a cactus")]
    assert upstreams.gemini.last_request.path == f"/v1beta/models/{IMAGEN}:predict"
    assert upstreams.openai.requests == []


def test_an_unknown_forced_provider_is_404(gateway: GatewayProcess, upstreams: Mocks) -> None:
    status, answer = _post(
        gateway, "/api/v1/providers/nope/images/generations", {"model": "m", "prompt": "x"}
    )
    assert status == 404
    assert answer["error"]["code"] == "provider_not_found"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/v1/images/generations", 429), ("/api/v1/images/generations", 502)],
)
def test_upstream_exhaustion_is_omniroutes_502(
    gateway: GatewayProcess, upstreams: Mocks, path: str, status: int
) -> None:
    """The OpenAI face passes the provider's 429 on; OmniRoute's contract makes it a 502."""
    code, answer = _post(gateway, path, {"model": "openai/busy-image", "prompt": "x"})
    assert code == status, answer
    assert answer["extra_fields"]["provider"] == "openai"
    assert answer["extra_fields"]["request_type"] == "image_generation"


def test_omniroute_keeps_a_bad_request_a_400(gateway: GatewayProcess, upstreams: Mocks) -> None:
    status, answer = _post(
        gateway, "/api/v1/images/generations", {"model": f"gemini/{IMAGEN}", "prompt": "x", "n": 9}
    )
    assert status == 400
    assert answer["error"]["param"] == "n"
