"""Every response seed 001 (Inference Gateway) declares, produced by a real gateway and
validated against the seed's own schema: the list of cases is checked against the seed, so a
response the seed declares and no case produces is a failure, not a gap.

`tests/e2e/test_inference_gateway_face.py` tests the face's behaviour; this file only makes
sure no declared answer goes unchecked (every seed provider's model list and generation, the
401 of every operation, `/health`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.seed_faces import Mocks
from tests.gateway_process import GatewayProcess
from tests.management.seed_schema import assert_valid
from tests.mocks import anthropic_upstream, cohere_upstream, gemini_upstream, openai_upstream
from tests.mocks.oidc_issuer import CLIENT_ID, MockOidcIssuer

SEED = Path(__file__).parent / "data" / "inference-gateway.openapi.yaml"
JSON = "application/json"
HI = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
#: the seed's provider names the test config serves, with the model each generates with
SERVED = {
    "openai": "gpt-4o-mini",
    "anthropic": "claude-mock",
    "google": "gemini-2.5-flash",
    "cohere": "command-a-03-2025",
}


@dataclass
class Faces:
    open: GatewayProcess
    guarded: GatewayProcess
    #: a fresh JWT the guarded gateway accepts
    token: Callable[[], str]
    mocks: Mocks


Answer = tuple[int, Any]
Case = Callable[[Faces], list[Answer]]


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faces]:
    """One gateway as deployed by default, one with ENABLE_AUTH (JWTs from a mock issuer)."""
    with ExitStack() as stack:
        mocks = Mocks(stack)
        issuer = stack.enter_context(MockOidcIssuer())
        env = {"ENABLE_AUTH": "true", "OIDC_ISSUER_URL": issuer.issuer, "OIDC_CLIENT_ID": CLIENT_ID}
        config = mocks.config()
        opened = GatewayProcess(tmp_path_factory.mktemp("seed001"), config)
        guarded = GatewayProcess(tmp_path_factory.mktemp("seed001-auth"), config, env=env)
        yield Faces(stack.enter_context(opened), stack.enter_context(guarded), issuer.token, mocks)


def call(base_url: str, path: str, body: Any = None, token: str | None = None) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method="POST" if data else "GET")
    request.add_header("content-type", JSON)
    if token is not None:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def generate(model: str) -> dict[str, Any]:
    return {"model": model, "messages": HI}


def _lists(faces: Faces) -> list[Answer]:
    return [call(faces.open.base_url, f"/llms/{provider}") for provider in SERVED]


def _generations(faces: Faces) -> list[Answer]:
    mocks = faces.mocks
    mocks.anthropic.enqueue(anthropic_upstream.Text("from anthropic"))
    mocks.gemini.enqueue(gemini_upstream.Text("from gemini"))
    mocks.cohere.enqueue(cohere_upstream.Text("from cohere"))
    return [
        call(faces.open.base_url, f"/llms/{provider}/generate", generate(model))
        for provider, model in SERVED.items()
    ]


def _bad_requests(faces: Faces) -> list[Answer]:
    base = faces.open.base_url
    return [
        call(base, "/llms/mistral/generate", generate("m")),  # a seed provider not configured
        call(base, "/llms/openai/generate", {"messages": HI}),  # no model
        call(base, "/llms/openai/generate", {"model": "gpt-4o", "messages": "hi"}),
    ]


def _upstream_failure(faces: Faces) -> list[Answer]:
    faces.mocks.openai.enqueue(openai_upstream.Error(503, "overloaded upstream"))
    return [call(faces.open.base_url, "/llms/openai/generate", generate("gpt-4o"))]


def _unauthorized(path: str, body: Any = None) -> Case:
    def case(faces: Faces) -> list[Answer]:
        base = faces.guarded.base_url
        return [call(base, path, body), call(base, path, body, token="not-a-jwt")]

    return case


#: (path, method, status) → what produces it; a seed response missing here fails the suite
CASES: dict[tuple[str, str, str], Case] = {
    ("/llms", "get", "200"): lambda faces: [call(faces.open.base_url, "/llms")],
    ("/llms", "get", "401"): _unauthorized("/llms"),
    ("/llms/{provider}", "get", "200"): _lists,
    ("/llms/{provider}", "get", "401"): _unauthorized("/llms/openai"),
    ("/llms/{provider}/generate", "post", "200"): _generations,
    ("/llms/{provider}/generate", "post", "400"): _bad_requests,
    ("/llms/{provider}/generate", "post", "401"): _unauthorized(
        "/llms/openai/generate", generate("gpt-4o")
    ),
    ("/llms/{provider}/generate", "post", "500"): _upstream_failure,
    ("/health", "get", "200"): lambda faces: [call(faces.open.base_url, "/health")],
}


def seed_responses() -> dict[tuple[str, str, str], dict[str, Any]]:
    document = yaml.safe_load(SEED.read_text())
    return {
        (path, method, status): response
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
    }


def test_every_seed_response_has_a_case() -> None:
    assert set(seed_responses()) == set(CASES)


@pytest.mark.parametrize("declared", sorted(CASES), ids=" ".join)
def test_the_answer_is_what_the_seed_declares(faces: Faces, declared: tuple[str, str, str]) -> None:
    faces.mocks.reset()
    path, method, status = declared
    response = seed_responses()[declared]
    pointer = f"paths/{path.replace('/', '~1')}/{method}/responses/{status}"
    for got, body in CASES[declared](faces):
        assert got == int(status), body
        if JSON in response.get("content", {}):
            assert_valid(body, f"{pointer}/content/{JSON.replace('/', '~1')}/schema", SEED)


def test_a_valid_jwt_opens_every_operation(faces: Faces) -> None:
    """The 401s above are about the token: the same calls with a good one succeed."""
    faces.mocks.reset()
    base, token = faces.guarded.base_url, faces.token()
    assert call(base, "/llms", token=token)[0] == 200
    assert call(base, "/llms/openai", token=token)[0] == 200
    status, body = call(base, "/llms/openai/generate", generate("gpt-4o"), token=token)
    assert status == 200 and body["response"]["content"] == "echo: hi"
