"""Embeddings on Vertex AI through a real gateway: `:predict` on the Google publisher model,
signed in with a service account; OpenAI and google-genai SDKs as clients. Reuses the Vertex
chat tests' mocks and gateway (their fixtures, imported)."""

from __future__ import annotations

import openai
from google import genai
from google.genai import types as gtypes

from tests.e2e.test_vertex import gateway, identity, mock, vertex  # noqa: F401 (fixtures)
from tests.gateway_process import GatewayProcess
from tests.mocks.embeddings_wire import vector
from tests.mocks.vertex_upstream import MockVertex

PREDICT = "/v1/projects/test-project/locations/us-central1/publishers/google/models/"


def test_openai_client_embeds_on_vertex_with_token_usage(
    gateway: GatewayProcess,  # noqa: F811
    mock: MockVertex,  # noqa: F811
) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.embeddings.create(
            model="vertex/text-embedding-005", input=["one two", "three"], encoding_format="float"
        )
    assert [d.embedding for d in answer.data] == [vector("one two"), vector("three")]
    assert answer.usage.prompt_tokens == 3  # Vertex's per-instance token counts, summed
    (call,) = mock.requests
    assert call.path == PREDICT + "text-embedding-005:predict"
    assert call.headers["authorization"].startswith("Bearer ")
    assert call.json == {"instances": [{"content": "one two"}, {"content": "three"}]}


def test_gemini_embedding_models_take_one_instance_per_call(
    gateway: GatewayProcess,  # noqa: F811
    mock: MockVertex,  # noqa: F811
) -> None:
    options = gtypes.HttpOptions(base_url=gateway.base_url, timeout=20_000)
    with genai.Client(api_key="x", http_options=options) as client:
        config = gtypes.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT", output_dimensionality=4)
        answer = client.models.embed_content(
            model="vertex/gemini-embedding-001", contents=["a", "b", "c"], config=config
        )
    assert [e.values for e in answer.embeddings or []] == [vector(t, 4) for t in "abc"]
    bodies = sorted((r.json["instances"][0]["content"], r.json) for r in mock.requests)
    assert [content for content, _ in bodies] == ["a", "b", "c"]
    assert bodies[0][1] == {
        "instances": [{"content": "a", "task_type": "RETRIEVAL_DOCUMENT"}],
        "parameters": {"outputDimensionality": 4},
    }
