"""The Inference Gateway face (seed 001) on a real gateway process in front of the OpenAI,
Anthropic and Gemini mocks: every answer validated against the seed's schemas, the provider in
the path forced, errors in the seed's `{error}` shape and statuses, JWT auth when enabled."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.seed_faces import Mocks
from tests.gateway_process import GatewayProcess
from tests.management.seed_schema import assert_valid
from tests.mocks import anthropic_upstream, gemini_upstream, openai_upstream
from tests.mocks.oidc_issuer import CLIENT_ID, MockOidcIssuer

SEED = Path(__file__).parent / "data" / "inference-gateway.openapi.yaml"
OK = "content/application~1json/schema"
HI = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(stack)


@pytest.fixture(scope="module")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with GatewayProcess(tmp_path_factory.mktemp("llms"), mocks.config()) as process:
        yield process


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


def call(base_url: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method="POST" if data else "GET")
    request.add_header("content-type", "application/json")
    if token is not None:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def operation(path: str, method: str, status: int) -> str:
    """The JSON pointer of an operation's response schema in the seed."""
    return f"paths/{path.replace('/', '~1')}/{method}/responses/{status}/{OK}"


def test_list_all_is_one_entry_per_configured_seed_provider(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    status, body = call(gateway.base_url, "/llms")
    assert status == 200
    assert_valid(body, operation("/llms", "get", 200), SEED)
    by_provider = {entry["provider"]: entry["models"] for entry in body}
    assert set(by_provider) == {"openai", "anthropic", "cohere", "google"}  # Gemini is `google`
    assert {m["id"] for m in by_provider["openai"]} >= set(openai_upstream.DEFAULT_MODELS)
    assert "gemini-2.5-flash" in {m["id"] for m in by_provider["google"]}


def test_list_one_provider_has_bare_model_ids(gateway: GatewayProcess, upstreams: Mocks) -> None:
    status, body = call(gateway.base_url, "/llms/google")
    assert status == 200
    assert_valid(body, operation("/llms/{provider}", "get", 200), SEED)
    assert body["provider"] == "google"
    ids = {model["id"] for model in body["models"]}
    assert ids >= set(gemini_upstream.DEFAULT_MODELS)
    assert all(m["owned_by"] == "gemini" and m["object"] == "model" for m in body["models"])


REPLIES = {
    "openai": openai_upstream.Text("from openai"),
    "anthropic": anthropic_upstream.Text("from anthropic"),
    "gemini": gemini_upstream.Text("from gemini"),
}


@pytest.mark.parametrize(
    ("provider", "model", "mock"),
    [
        ("openai", "gpt-4o-mini", "openai"),
        ("anthropic", "claude-mock", "anthropic"),
        ("google", "gemini-2.5-flash", "gemini"),
    ],
)
def test_generate_goes_to_the_named_provider(
    gateway: GatewayProcess, upstreams: Mocks, provider: str, model: str, mock: str
) -> None:
    upstream = getattr(upstreams, mock)
    upstream.enqueue(REPLIES[mock])
    status, body = call(
        gateway.base_url, f"/llms/{provider}/generate", {"model": model, "messages": HI}
    )
    assert status == 200, body
    assert_valid(body, operation("/llms/{provider}/generate", "post", 200), SEED)
    assert body["provider"] == provider
    assert body["response"]["role"] == "assistant"
    assert body["response"]["content"] == f"from {mock}"
    assert model in body["response"]["model"]
    (sent,) = upstream.requests  # only the named provider was asked
    assert model in sent.path or sent.json["model"] == model


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("/llms/mistral/generate", {"model": "m", "messages": HI}, "unsupported provider"),
        ("/llms/groq/generate", {"model": "m", "messages": HI}, "not configured"),
        ("/llms/openai/generate", {"messages": HI}, "model"),
        ("/llms/openai/generate", {"model": "gpt-4o", "messages": [{"role": "tool"}]}, "messages"),
        ("/llms/mistral", None, "unsupported provider"),
    ],
)
def test_bad_requests_are_400_in_the_seed_shape(
    gateway: GatewayProcess, upstreams: Mocks, path: str, body: Any, fragment: str
) -> None:
    status, answer = call(gateway.base_url, path, body)
    assert status == 400
    assert_valid(answer, operation("/llms/{provider}/generate", "post", 400), SEED)
    assert list(answer) == ["error"] and fragment in answer["error"]
    assert upstreams.openai.requests == []


def test_an_upstream_failure_is_the_seeds_500(gateway: GatewayProcess, upstreams: Mocks) -> None:
    upstreams.openai.enqueue(openai_upstream.Error(503, "overloaded upstream"))
    status, answer = call(
        gateway.base_url, "/llms/openai/generate", {"model": "gpt-4o", "messages": HI}
    )
    assert status == 500
    assert_valid(answer, operation("/llms/{provider}/generate", "post", 500), SEED)
    assert "overloaded upstream" in answer["error"]


def test_enable_auth_needs_a_jwt_and_refuses_in_the_seed_shape(
    mocks: Mocks, tmp_path: Path
) -> None:
    with MockOidcIssuer() as issuer:
        env = {"ENABLE_AUTH": "true", "OIDC_ISSUER_URL": issuer.issuer, "OIDC_CLIENT_ID": CLIENT_ID}
        with GatewayProcess(tmp_path, mocks.config(), env=env) as process:
            for path in ("/llms", "/llms/openai"):
                status, answer = call(process.base_url, path)
                assert status == 401
                assert_valid(
                    answer, operation(path.replace("openai", "{provider}"), "get", 401), SEED
                )
                assert isinstance(answer["error"], str) and answer["error"]
            status, answer = call(process.base_url, "/llms/openai", token=issuer.token())
            assert status == 200 and answer["provider"] == "openai"
