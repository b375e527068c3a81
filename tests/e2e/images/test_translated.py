"""Image generation translated from OpenAI's request to other wires and rendered back in
OpenAI's shape: Imagen and Gemini's native image models on the Gemini API, Amazon's and
Stability's models on Bedrock, Fireworks' FLUX workflow. The `openai` SDK is the client."""

from __future__ import annotations

import base64
from typing import Any

import openai
import pytest

from tests.e2e.images.conftest import GEMINI_IMAGE, IMAGEN, Mocks
from tests.mocks.images_wire import GEMINI_IMAGE_TOKENS, b64png, png

NOVA = "amazon.nova-canvas-v1:0"


def _pngs(answer: Any) -> list[bytes]:
    return [base64.b64decode(d.b64_json or "") for d in answer.data or []]


def _refused(client: openai.OpenAI, **params: Any) -> dict[str, Any]:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(**params)
    body: dict[str, Any] = raised.value.body  # type: ignore[assignment]
    return body


def test_imagen_predict_with_size_as_aspect_ratio(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(
        model=f"gemini/{IMAGEN}", prompt="a quiet harbour", n=3, size="1792x1024"
    )
    assert _pngs(answer) == [png("a quiet harbour", i) for i in range(3)]
    sent = upstreams.gemini.last_request
    assert sent.path == f"/v1beta/models/{IMAGEN}:predict"
    assert sent.headers["x-goog-api-key"] == "test-key"
    assert sent.json == {
        "instances": [{"prompt": "a quiet harbour"}],
        "parameters": {"sampleCount": 3, "aspectRatio": "16:9"},
    }


def test_a_url_from_a_base64_provider_is_a_data_url(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.images.generate(model=f"gemini/{IMAGEN}", prompt="moon", response_format="url")
    assert [d.url for d in answer.data or []] == [f"data:image/png;base64,{b64png('moon')}"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"quality": "hd"}, "quality"),
        ({"style": "vivid"}, "style"),
        ({"n": 5}, "n"),
        ({"background": "transparent"}, "background"),
        ({"size": "big"}, "size"),
        ({"extra_body": {"guidance": 3}}, "guidance"),
    ],
)
def test_what_imagen_cannot_do_is_refused_naming_it(
    client: openai.OpenAI, upstreams: Mocks, params: dict[str, Any], param: str
) -> None:
    body = _refused(client, model=f"gemini/{IMAGEN}", prompt="x", **params)
    assert body["param"] == param
    assert upstreams.gemini.requests == []


def test_defaults_any_provider_honours_are_accepted(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.images.generate(
        model=f"gemini/{IMAGEN}", prompt="fog", quality="standard", size="auto", user="u-1"
    )
    assert _pngs(answer) == [png("fog")]
    assert upstreams.gemini.last_request.json["parameters"] == {"sampleCount": 1}


def test_a_refused_prompt_is_a_content_policy_error(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    body = _refused(client, model=f"gemini/{IMAGEN}", prompt="something forbidden")
    assert (body["code"], body["param"]) == ("content_policy_violation", "prompt")


def test_gemini_native_image_model_one_call_per_image(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.images.generate(
        model=f"gemini/{GEMINI_IMAGE}", prompt="a paper crane", n=2, size="1536x1024"
    )
    assert _pngs(answer) == [png("a paper crane")] * 2
    calls = upstreams.gemini.requests
    assert [c.path for c in calls] == [f"/v1beta/models/{GEMINI_IMAGE}:generateContent"] * 2
    assert calls[0].json == {
        "contents": [{"role": "user", "parts": [{"text": "a paper crane"}]}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": "3:2"},
        },
    }
    assert answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (6, 2 * GEMINI_IMAGE_TOKENS)


def test_gemini_native_blocked_prompt(client: openai.OpenAI, upstreams: Mocks) -> None:
    body = _refused(client, model=f"gemini/{GEMINI_IMAGE}", prompt="forbidden thing")
    assert body["code"] == "content_policy_violation"
    assert "PROHIBITED_CONTENT" in body["message"]


def test_bedrock_nova_canvas(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(
        model=f"bedrock/{NOVA}",
        prompt="a glass teapot",
        n=2,
        size="512x768",
        quality="hd",
        extra_body={"seed": 42, "negative_prompt": "blur"},
    )
    assert _pngs(answer) == [png("a glass teapot", 0), png("a glass teapot", 1)]
    sent = upstreams.bedrock.last_request
    assert sent.raw_path == "/model/amazon.nova-canvas-v1%3A0/invoke"
    assert sent.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert sent.json == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a glass teapot", "negativeText": "blur"},
        "imageGenerationConfig": {
            "numberOfImages": 2,
            "width": 512,
            "height": 768,
            "quality": "premium",
            "seed": 42,
        },
    }


def test_bedrock_titan_refusal_passes_through(client: openai.OpenAI, upstreams: Mocks) -> None:
    body = _refused(
        client, model="bedrock/amazon.titan-image-generator-v2:0", prompt="forbidden art"
    )
    assert "content filters" in body["message"]


def test_bedrock_stability_makes_one_call_per_image(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.images.generate(
        model="bedrock/stability.sd3-5-large-v1:0", prompt="a red barn", n=2, size="1024x1024"
    )
    assert _pngs(answer) == [png("a red barn")] * 2
    bodies = [r.json for r in upstreams.bedrock.requests]
    expected = {"prompt": "a red barn", "output_format": "png", "aspect_ratio": "1:1"}
    assert bodies == [expected, expected]


def test_an_unknown_bedrock_image_model_is_refused(client: openai.OpenAI, upstreams: Mocks) -> None:
    body = _refused(client, model="bedrock/anthropic.claude-3-haiku", prompt="x")
    assert (body["param"], body["code"]) == ("model", "images_not_supported")


def test_fireworks_flux_workflow(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(
        model="fireworks/flux-1-schnell-fp8", prompt="a snowy owl", size="1024x1024"
    )
    assert _pngs(answer) == [png("a snowy owl")]
    sent = upstreams.vendor.last_request
    model_path = "accounts/fireworks/models/flux-1-schnell-fp8"
    assert sent.path == f"/inference/v1/workflows/{model_path}/text_to_image"
    assert sent.headers["accept"] == "image/png"
    assert sent.json == {"prompt": "a snowy owl", "aspect_ratio": "1:1"}
