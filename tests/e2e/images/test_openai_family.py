"""Image generation on OpenAI's own wire through a real gateway, the `openai` SDK as client:
OpenAI and Azure get the client's body (model rewritten) and answer as they answered; Together
gets it in its own terms (width/height, base64)."""

from __future__ import annotations

import base64

import openai
import pytest

from tests.e2e.images.conftest import AZURE_DEPLOYMENT, Mocks
from tests.gateway_process import GatewayProcess
from tests.mocks.images_wire import GPT_IMAGE_TOKENS, image_url, png


def test_dall_e_answers_urls_by_default(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(model="openai/dall-e-3", prompt="a red fox", size="1024x1792")
    assert [d.url for d in answer.data or []] == [image_url("a red fox")]
    assert (answer.data or [])[0].revised_prompt == "A detailed picture: a red fox"
    sent = upstreams.openai.last_request
    assert sent.path == "/v1/images/generations"
    assert sent.json == {"model": "dall-e-3", "prompt": "a red fox", "size": "1024x1792"}


def test_b64_json_and_several_images(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(
        model="openai/dall-e-2", prompt="two owls", n=2, response_format="b64_json"
    )
    images = [base64.b64decode(d.b64_json or "") for d in answer.data or []]
    assert images == [png("two owls", 0), png("two owls", 1)]


def test_gpt_image_usage_comes_back(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(model="openai/gpt-image-1", prompt="a tiny robot", n=2)
    assert [base64.b64decode(d.b64_json or "") for d in answer.data or []] == [
        png("a tiny robot", 0),
        png("a tiny robot", 1),
    ]
    assert answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (3, 2 * GPT_IMAGE_TOKENS)


def test_the_providers_own_refusal_passes_through(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model="openai/gpt-image-1", prompt="cat", response_format="url")
    assert raised.value.body["param"] == "response_format"  # type: ignore[index]
    assert raised.value.body["message"] == "Unknown parameter: 'response_format'."  # type: ignore[index]


def test_azure_gets_the_deployment_path(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(model="azure/dall-e-3", prompt="a blue whale")
    assert [d.url for d in answer.data or []] == [image_url("a blue whale")]
    (call,) = upstreams.azure.calls
    assert (call.deployment, call.api_version) == (AZURE_DEPLOYMENT, "2024-10-21")


def test_together_takes_width_height_and_base64(client: openai.OpenAI, upstreams: Mocks) -> None:
    model = "black-forest-labs/FLUX.1-schnell"
    answer = client.images.generate(
        model=f"together/{model}",
        prompt="a lighthouse",
        size="1024x768",
        response_format="b64_json",
        n=2,
        extra_body={"steps": 4},
    )
    assert [base64.b64decode(d.b64_json or "") for d in answer.data or []] == [
        png("a lighthouse", 0),
        png("a lighthouse", 1),
    ]
    assert answer.created > 0
    sent = upstreams.vendor.last_request
    assert sent.headers["authorization"] == f"Bearer {upstreams.vendor.api_key}"
    assert sent.json == {
        "model": model,
        "prompt": "a lighthouse",
        "n": 2,
        "steps": 4,
        "width": 1024,
        "height": 768,
        "response_format": "base64",
    }


def test_together_urls(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.images.generate(
        model="together/black-forest-labs/FLUX.1-schnell", prompt="a bridge", response_format="url"
    )
    assert [d.url for d in answer.data or []] == [image_url("a bridge")]
    assert upstreams.vendor.last_request.json["response_format"] == "url"


def test_together_refuses_what_it_lacks(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(
            model="together/black-forest-labs/FLUX.1-schnell", prompt="x", style="vivid"
        )
    assert raised.value.body["param"] == "style"  # type: ignore[index]
    assert raised.value.body["code"] == "unsupported_parameter"  # type: ignore[index]
    assert upstreams.vendor.requests == []


def test_a_provider_without_images_is_refused(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model="groq/some-model", prompt="x")
    assert raised.value.body["code"] == "images_not_supported"  # type: ignore[index]
    assert raised.value.body["param"] == "model"  # type: ignore[index]
    assert upstreams.openai.requests == []


def test_the_openai_prefixed_path(gateway: GatewayProcess, upstreams: Mocks) -> None:
    with openai.OpenAI(
        base_url=gateway.base_url + "/openai/v1", api_key="x", max_retries=0, timeout=20
    ) as sdk:
        answer = sdk.images.generate(model="openai/dall-e-2", prompt="a kite")
    assert [d.url for d in answer.data or []] == [image_url("a kite")]


def test_defaults_stay_behind_on_together(client: openai.OpenAI, upstreams: Mocks) -> None:
    client.images.generate(
        model="together/black-forest-labs/FLUX.1-schnell", prompt="a dune", quality="auto"
    )
    assert upstreams.vendor.last_request.json == {
        "model": "black-forest-labs/FLUX.1-schnell",
        "prompt": "a dune",
    }


def test_streaming_is_refused_before_any_call(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model="openai/gpt-image-1", prompt="x", stream=True)
    assert raised.value.body["param"] == "stream"  # type: ignore[index]
    assert upstreams.openai.requests == []
