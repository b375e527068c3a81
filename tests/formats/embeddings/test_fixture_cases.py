"""Embeddings fixture folders (`<case>/case.json`), one per provider wire, run through the pure
translators and the provider adapters: an OpenAI client's body → the core request → the
upstream calls (paths under the API prefix, bodies) → the provider's answers → what the OpenAI
client gets back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat import embeddings as openai_wire
from cloverleaf.pipeline.embeddings import settled
from cloverleaf.providers.registry import BUILTIN
from cloverleaf.providers.registry_embeddings import embedding_adapter
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingAnswer
from tests.formats.fixtures import load_json

FIXTURES = Path(__file__).parent
CASES = sorted(d for d in FIXTURES.iterdir() if (d / "case.json").is_file())


def _adapter(provider: str) -> EmbeddingAdapter:
    adapter = embedding_adapter(BUILTIN[provider])
    assert adapter is not None
    return adapter


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_case(case: Path) -> None:
    fixture: dict[str, Any] = load_json(case / "case.json")
    adapter, model = _adapter(fixture["provider"]), fixture["model"]
    request = openai_wire.parse_embedding_request(orjson.dumps(fixture["client"])).request
    calls = adapter.calls(request, model)
    assert [{"path": c.path, "body": c.body} for c in calls] == fixture["calls"]
    answers = [
        EmbeddingAnswer(orjson.dumps(a["body"]), a.get("header_tokens")) for a in fixture["answers"]
    ]
    response = settled(request, adapter.decode(answers, model))
    encoded = openai_wire.encode_response(response, model, "float")
    assert orjson.loads(encoded) == fixture["response"]


def test_every_wire_has_a_case() -> None:
    assert {c.name for c in CASES} == {
        "openai",
        "azure",
        "gemini",
        "vertex",
        "cohere",
        "bedrock_titan",
        "bedrock_cohere",
        "ollama",
    }


def test_providers_without_embeddings_have_no_adapter() -> None:
    assert embedding_adapter(BUILTIN["anthropic"]) is None
    assert embedding_adapter(BUILTIN["groq"]) is _adapter("openai")  # OpenAI family: data rows


def test_unknown_bedrock_model_is_a_clear_400() -> None:
    request = openai_wire.parse_embedding_request(b'{"model":"m","input":"x"}').request
    with pytest.raises(GatewayError) as info:
        _adapter("bedrock").calls(request, "meta.llama3-8b-instruct-v1:0")
    assert info.value.status == 400 and "amazon.titan-embed" in info.value.message


def test_big_requests_are_split_at_each_providers_batch_limit() -> None:
    texts = [f"t{i}" for i in range(201)]
    request = openai_wire.parse_embedding_request(
        orjson.dumps({"model": "m", "input": texts})
    ).request
    cohere_calls = _adapter("cohere").calls(request, "embed-v4.0")
    assert [len(c.body["texts"]) for c in cohere_calls] == [96, 96, 9]
    gemini_calls = _adapter("gemini").calls(request, "e")
    assert [c.path for c in gemini_calls] == [
        "/models/e:batchEmbedContents",
        "/models/e:batchEmbedContents",
        "/models/e:embedContent",  # the last text alone
    ]
    answers = [
        EmbeddingAnswer(
            orjson.dumps(
                {
                    "embeddings": {"float": [[float(i)] for i in range(n)]},
                    "meta": {"billed_units": {"input_tokens": n}},
                }
            )
        )
        for n in (96, 96, 9)
    ]
    joined = settled(request, _adapter("cohere").decode(answers, "embed-v4.0"))
    assert len(joined.vectors) == 201 and joined.usage is not None
    assert (joined.vectors[96], joined.usage.prompt_tokens) == ((0.0,), 201)
