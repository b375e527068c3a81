"""`/api/models...` on a real gateway process: each key's live list from mock upstreams, the
key filters, a key whose listing fails, and the shipped model catalogue merged in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway_process import GatewayProcess, free_port
from tests.management.backends import BACKENDS, backend_env
from tests.management.client import ManagementClient
from tests.management.seed_schema import INFERENCE_COMMON, assert_valid
from tests.mocks.openai_upstream import MockOpenAI
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

ADMIN_KEY = "admin-secret-for-model-tests-7"
SECRETS = {
    name: f"sk-{name}-MUST-NEVER-LEAK-0123456789"
    for name in ("oa-mini", "oa-block", "v-a", "v-b", "v-dead", "v-404", "v-echo", "v-new")
}


async def _rejects_quoting_the_key(scope: Scope, receive: Receive, send: Send) -> None:
    """An upstream that refuses the key and quotes it back, as some providers do."""
    headers = dict(scope["headers"])
    key = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}"}}).encode()
    start = {"type": "http.response.start", "status": 401}
    await send({**start, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def quoting_upstream() -> Iterator[ThreadedServer]:
    server = ThreadedServer(_rejects_quoting_the_key).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def second_upstream() -> Iterator[MockOpenAI]:
    with MockOpenAI(models=("gpt-4o", "llama-x")) as mock:
        yield mock


def _config(first: str, second: str, dead_port: int, quoting: str) -> dict[str, Any]:
    def vllm_key(key_id: str, url: str) -> dict[str, Any]:
        return {"id": key_id, "value": SECRETS[key_id], "vllm_key_config": {"url": url}}

    return {
        "providers": {
            "openai": {
                "keys": [
                    {"id": "oa-mini", "value": SECRETS["oa-mini"], "models": ["gpt-4o-mini"]},
                    {
                        "id": "oa-block",
                        "value": SECRETS["oa-block"],
                        "blacklisted_models": ["gpt-4o"],
                    },
                ],
                "network_config": {"base_url": first},
            },
            "vllm": {
                "keys": [
                    vllm_key("v-a", first),
                    vllm_key("v-b", second),
                    vllm_key("v-dead", f"http://127.0.0.1:{dead_port}"),
                    vllm_key("v-404", first + "/nowhere"),
                    vllm_key("v-echo", quoting),
                ]
            },
        }
    }


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest,
    mock_upstream: MockOpenAI,
    second_upstream: MockOpenAI,
    quoting_upstream: ThreadedServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    mock_upstream.reset()  # lists gpt-4o-mini and gpt-4o
    workdir: Path = tmp_path_factory.mktemp(f"models-{request.param}")
    config = _config(
        mock_upstream.base_url, second_upstream.base_url, free_port(), quoting_upstream.base_url
    )
    with backend_env(request.param) as env:
        env["CLOVERLEAF_ADMIN_KEY"] = ADMIN_KEY
        with GatewayProcess(workdir, config, env=env) as process:
            yield process


@pytest.fixture
def api(gateway: GatewayProcess) -> Iterator[ManagementClient]:
    client = ManagementClient(gateway.base_url, ADMIN_KEY)
    yield client
    seen = b"".join(client.seen).decode()
    for secret in SECRETS.values():
        assert secret not in seen
        assert secret not in gateway.logs()


def _rows(payload: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(m["provider"], m["name"], m.get("accessible_by_keys", [])) for m in payload["models"]]


def test_each_key_grants_what_it_listed_and_may_use(api: ManagementClient) -> None:
    listed = api.ok("GET", "/api/models?limit=0")
    assert_valid(listed, "ListModelsResponse")
    assert _rows(listed) == [
        ("openai", "gpt-4o-mini", ["oa-mini", "oa-block"]),  # gpt-4o: blocked or not allowed
        ("vllm", "gpt-4o", ["v-a", "v-b"]),
        ("vllm", "gpt-4o-mini", ["v-a"]),
        ("vllm", "llama-x", ["v-b"]),
    ]
    assert listed["total"] == 4

    page = api.ok("GET", "/api/models?limit=2")
    assert page["total"] == 4
    assert [m["name"] for m in page["models"]] == ["gpt-4o-mini", "gpt-4o"]
    assert len(api.ok("GET", "/api/models")["models"]) == 4  # default limit 5


def test_filters_query_provider_keys_unfiltered(api: ManagementClient) -> None:
    by_keys = api.ok("GET", "/api/models?keys=oa-mini,v-b&limit=0")
    assert _rows(by_keys) == [
        ("openai", "gpt-4o-mini", ["oa-mini"]),
        ("vllm", "gpt-4o", ["v-b"]),
        ("vllm", "llama-x", ["v-b"]),
    ]
    assert _rows(api.ok("GET", "/api/models?provider=vllm&query=LLAMA")) == [
        ("vllm", "llama-x", ["v-b"])
    ]
    squashed = api.ok("GET", "/api/models?query=gpt4o&provider=vllm")
    assert [m["name"] for m in squashed["models"]] == ["gpt-4o", "gpt-4o-mini"]
    unfiltered = api.ok("GET", "/api/models?provider=openai&unfiltered=true")
    assert _rows(unfiltered) == [("openai", "gpt-4o", []), ("openai", "gpt-4o-mini", [])]
    assert api.ok("GET", "/api/models?provider=nobody") == {"models": [], "total": 0}
    assert api.ok("GET", "/api/models?keys=no-such-key")["total"] == 0


def test_a_key_whose_listing_fails_says_why(api: ManagementClient) -> None:
    api.ok("GET", "/api/models")  # lists every key (or reuses this minute's lists)
    keys = api.ok("GET", "/api/providers/vllm/keys")
    assert_valid(keys, "ListProviderKeysResponse")
    by_id = {key["id"]: key for key in keys["keys"]}
    assert by_id["v-a"]["status"] == "success"
    assert by_id["v-dead"]["status"] == "list_models_failed"
    assert by_id["v-dead"]["description"]
    assert by_id["v-404"]["status"] == "list_models_failed"
    assert by_id["v-404"]["description"].startswith("HTTP 404: Invalid URL")
    quoted = by_id["v-echo"]["description"]
    assert quoted == "HTTP 401: Incorrect API key provided: [redacted]"
    one = api.ok("GET", "/api/providers/vllm/keys/v-404")
    assert_valid(one, "Key")
    assert one["status"] == "list_models_failed"
    assert one["value"]["value"] != SECRETS["v-404"]


def test_a_key_added_through_the_api_is_listed_at_once(
    api: ManagementClient, second_upstream: MockOpenAI
) -> None:
    key: dict[str, Any] = {"id": "v-new", "value": SECRETS["v-new"]}
    key["vllm_key_config"] = {"url": second_upstream.base_url}
    api.ok("POST", "/api/providers/vllm/keys", key)
    try:
        listed = api.ok("GET", "/api/models?keys=v-new")
        assert _rows(listed) == [("vllm", "gpt-4o", ["v-new"]), ("vllm", "llama-x", ["v-new"])]
    finally:
        api.ok("DELETE", "/api/providers/vllm/keys/v-new")
    assert api.ok("GET", "/api/models?keys=v-new")["total"] == 0


def test_v1_models_is_the_union_of_every_keys_list(api: ManagementClient) -> None:
    ids = {model["id"] for model in api.ok("GET", "/v1/models")["data"]}
    assert {"vllm/gpt-4o", "vllm/gpt-4o-mini", "vllm/llama-x", "openai/gpt-4o"} <= ids


def test_details_merge_the_catalogue(api: ManagementClient) -> None:
    details = api.ok("GET", "/api/models/details?unfiltered=true")
    assert_valid(details, "ListModelDetailsResponse")
    rows = {(m["provider"], m["name"]): m for m in details["models"]}
    gpt4o = rows[("openai", "gpt-4o")]
    assert gpt4o["context_length"] == 128000
    assert gpt4o["max_output_tokens"] == 16384
    assert gpt4o["architecture"]["input_modalities"] == ["text", "image"]
    assert gpt4o["input_cost_per_token"] == pytest.approx(2.5e-6)
    assert gpt4o["cache_read_input_token_cost"] == pytest.approx(1.25e-6)
    assert "context_length" not in rows[("vllm", "llama-x")]  # unknown: nothing made up
    assert details["total"] == 5


def test_parameters_and_base_models(api: ManagementClient) -> None:
    card = api.ok("GET", "/api/models/parameters?model=openai/gpt-4o-2024-08-06")
    assert (card["provider"], card["model"]) == ("openai", "gpt-4o")
    assert card["pricing"]["input"] == "0.0000025"
    assert card["pricing"]["cache_write"] is None
    assert card["parameters"]["max_tokens"]["maximum"] == 16384
    tiered = api.ok("GET", "/api/models/parameters?model=gemini-2.5-pro&provider=gemini")
    assert tiered["pricing"]["tiers"][0]["above_input_tokens"] == 200000

    base = api.ok("GET", "/api/models/base?provider=anthropic&query=sonnet")
    assert "claude-sonnet-4-5" in base["models"]
    assert all("sonnet" in name for name in base["models"])
    assert base["total"] == len(base["models"])
    assert len(api.ok("GET", "/api/models/base?limit=3")["models"]) == 3


@pytest.mark.parametrize(
    "case",
    [
        ("/api/models?limit=many", 400, "limit"),
        ("/api/models/details?limit=-1", 400, "limit"),
        ("/api/models?unfiltered=maybe", 400, "unfiltered"),
        ("/api/models/parameters", 400, "model"),
        ("/api/models/parameters?model=no-such-model-x", 404, "no-such-model-x"),
    ],
)
def test_bad_queries_get_a_message(api: ManagementClient, case: tuple[str, int, str]) -> None:
    path, status, words = case
    got, payload = api.call("GET", path)
    assert got == status, payload
    assert_valid(payload, "BifrostError", INFERENCE_COMMON)
    assert words in payload["error"]["message"]


def test_models_need_the_admin_key(api: ManagementClient) -> None:
    for path in ("/api/models", "/api/models/details", "/api/models/base"):
        status, _ = api.call("GET", path, token="wrong")
        assert status == 401


def test_an_operator_catalogue_overlays_the_shipped_one(
    mock_upstream: MockOpenAI, tmp_path: Path
) -> None:
    overlay = tmp_path / "prices.json"
    overlay.write_text(
        json.dumps(
            {
                "models": [
                    {
                        "provider": "vllm",
                        "model": "gpt-4o-mini",
                        "context_length": 32768,
                        "pricing": {"input": "0.0000001", "output": "0.0000002"},
                    }
                ]
            }
        )
    )
    config = {
        "providers": {
            "vllm": {
                "keys": [
                    {"id": "v", "value": "x", "vllm_key_config": {"url": mock_upstream.base_url}}
                ]
            }
        }
    }
    env = {"CLOVERLEAF_MODEL_CATALOGUE": str(overlay)}
    (tmp_path / "gw").mkdir()
    with GatewayProcess(tmp_path / "gw", config, env=env) as process:
        api = ManagementClient(process.base_url)
        rows = api.ok("GET", "/api/models/details?query=gpt-4o-mini")["models"]
        assert rows[0]["context_length"] == 32768
        assert rows[0]["input_cost_per_token"] == pytest.approx(1e-7)
        shipped = api.ok("GET", "/api/models/parameters?model=gpt-4o-mini&provider=openai")
        assert shipped["pricing"]["input"] == "0.00000015"  # the rest is still there


def test_a_bad_operator_catalogue_stops_startup(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text(
        json.dumps({"models": [{"provider": "x", "model": "y", "pricing": {"input": 0.1}}]})
    )
    env = {"CLOVERLEAF_MODEL_CATALOGUE": str(bad)}
    (tmp_path / "gw").mkdir()
    with pytest.raises(RuntimeError) as failed:
        GatewayProcess(tmp_path / "gw", {"providers": {}}, env=env).start()
    message = str(failed.value)
    assert "CLOVERLEAF_MODEL_CATALOGUE" in message
    assert "models[0].pricing.input" in message
