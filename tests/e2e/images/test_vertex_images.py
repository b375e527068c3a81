"""Imagen on Vertex AI through a real gateway: `:predict` on the Google publisher model, signed
in with a service account; the `openai` SDK as client. Reuses the Vertex chat tests' mocks and
gateway (their fixtures, imported)."""

from __future__ import annotations

import base64

import openai

from tests.e2e.test_vertex import gateway, identity, mock, vertex  # noqa: F401 (fixtures)
from tests.gateway_process import GatewayProcess
from tests.mocks.images_wire import png
from tests.mocks.vertex_upstream import MockVertex

PREDICT = "/v1/projects/test-project/locations/us-central1/publishers/google/models/"
IMAGEN = "imagen-3.0-generate-002"


def test_imagen_on_vertex_with_the_prompt_it_drew(
    gateway: GatewayProcess,  # noqa: F811
    mock: MockVertex,  # noqa: F811
) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.images.generate(
            model=f"vertex/{IMAGEN}",
            prompt="a lantern",
            n=2,
            size="1024x1536",
            output_format="jpeg",
            extra_body={"enhance_prompt": True},
        )
    data = answer.data or []
    assert [base64.b64decode(d.b64_json or "") for d in data] == [
        png("a lantern", i) for i in (0, 1)
    ]
    assert [d.revised_prompt for d in data] == ["enhanced: a lantern"] * 2
    (call,) = mock.requests
    assert call.path == PREDICT + IMAGEN + ":predict"
    assert call.headers["authorization"].startswith("Bearer ")
    assert call.json == {
        "instances": [{"prompt": "a lantern"}],
        "parameters": {
            "sampleCount": 2,
            "aspectRatio": "3:4",
            "enhancePrompt": True,
            "outputOptions": {"mimeType": "image/jpeg"},
        },
    }
