"""The image mocks must satisfy the official SDKs that judge them: openai (OpenAI, and Together's
OpenAI-like endpoint), google-genai (Imagen by `generate_images` on Vertex, native image models
by `generate_content` on the Gemini API), boto3 `invoke_model` on Bedrock. If these pass, gateway
tests against the mocks test the real wire."""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any, cast

import httpx
import openai
import pytest
from botocore.exceptions import ClientError
from google import genai
from google.genai import types

from tests.mocks.bedrock_invoke import MockBedrockRuntime
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.image_vendors import MockImageVendor
from tests.mocks.images_wire import GEMINI_IMAGE_TOKENS, GPT_IMAGE_TOKENS, image_url, png
from tests.mocks.oauth_upstream import MockIdentity, service_account
from tests.mocks.openai_upstream import MockOpenAI
from tests.mocks.test_bedrock_upstream import make_client
from tests.mocks.test_vertex_upstream import PROJECT, REGION, _genai
from tests.mocks.vertex_upstream import MockVertex


def test_the_mock_pngs_are_valid_and_distinct() -> None:
    image = png("a cat", 0)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", image[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert struct.unpack(">I", image[29:33])[0] == zlib.crc32(image[12:29])
    assert png("a cat", 1) != image != png("a dog", 0)


def test_openai_sdk_generates_urls_b64_and_usage() -> None:
    with (
        MockOpenAI() as mock,
        openai.OpenAI(base_url=mock.base_url + "/v1", api_key="sk-test", max_retries=0) as client,
    ):
        urls = client.images.generate(model="dall-e-3", prompt="a fox")
        assert [d.url for d in urls.data or []] == [image_url("a fox")]
        b64 = client.images.generate(
            model="dall-e-2", prompt="a fox", n=2, response_format="b64_json"
        )
        assert [base64.b64decode(d.b64_json or "") for d in b64.data or []] == [
            png("a fox", 0),
            png("a fox", 1),
        ]
        tokens = client.images.generate(model="gpt-image-1", prompt="a fox")
        assert tokens.usage is not None and tokens.usage.output_tokens == GPT_IMAGE_TOKENS
        with pytest.raises(openai.BadRequestError) as info:
            client.images.generate(model="dall-e-3", prompt="a fox", n=2)
        assert info.value.param == "n"
        with pytest.raises(openai.RateLimitError):
            client.images.generate(model="busy-model", prompt="a fox")


def test_openai_sdk_on_together_images() -> None:
    with (
        MockImageVendor(api_key="tg") as mock,
        openai.OpenAI(base_url=mock.base_url + "/v1", api_key="tg", max_retries=0) as client,
    ):
        answer = client.images.generate(
            model="black-forest-labs/FLUX.1-schnell",
            prompt="a lake",
            response_format=cast(Any, "base64"),  # Together's word, not OpenAI's
            extra_body={"width": 512, "height": 512},
        )
        assert [base64.b64decode(d.b64_json or "") for d in answer.data or []] == [png("a lake")]
        with pytest.raises(openai.BadRequestError) as info:
            client.images.generate(model="m", prompt="a lake", size="1024x1024")
        assert info.value.param == "size"


def test_fireworks_workflow_answers_image_bytes() -> None:
    with MockImageVendor(api_key="fw") as mock:
        url = mock.base_url + (
            "/inference/v1/workflows/accounts/fireworks/models/flux-1-dev-fp8/text_to_image"
        )
        headers = {"authorization": "Bearer fw", "accept": "image/png"}
        answer = httpx.post(url, json={"prompt": "a kite"}, headers=headers, timeout=5)
        assert answer.headers["content-type"] == "image/png"
        assert answer.content == png("a kite")
        jpeg = httpx.post(url, json={"prompt": "a kite"}, headers={"authorization": "Bearer fw"})
        assert jpeg.headers["content-type"] == "image/jpeg"


def test_genai_sdk_native_image_model_on_the_gemini_api() -> None:
    model = "gemini-2.5-flash-image"
    with (
        MockGemini(models=(model,), api_keys=("k",)) as mock,
        genai.Client(api_key="k", http_options=types.HttpOptions(base_url=mock.base_url)) as client,
    ):
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9"),
        )
        answer = client.models.generate_content(model=model, contents="a robot", config=config)
        content = answer.candidates[0].content if answer.candidates else None
        parts = content.parts if content else None
        inline = [p.inline_data for p in parts or [] if p.inline_data]
        assert [(i.mime_type, i.data) for i in inline] == [("image/png", png("a robot"))]
        assert answer.usage_metadata is not None
        assert answer.usage_metadata.candidates_token_count == GEMINI_IMAGE_TOKENS


# google-genai 3.x deprecates Imagen's method (not before 2027) but still speaks its wire
@pytest.mark.filterwarnings("ignore:The generate_images method is deprecated")
def test_genai_sdk_generates_images_with_imagen_on_vertex() -> None:
    with MockIdentity() as identity:
        info, google = service_account(identity.token_uri)
        identity.google = google
        with MockVertex(identity.accepts, project=PROJECT, region=REGION) as mock:
            with _genai(mock, info) as client:
                config = types.GenerateImagesConfig(
                    number_of_images=2, aspect_ratio="4:3", enhance_prompt=True
                )
                answer = client.models.generate_images(
                    model="imagen-3.0-generate-002", prompt="a harbour", config=config
                )
            images = answer.generated_images or []
            assert [g.image.image_bytes for g in images if g.image] == [
                png("a harbour", 0),
                png("a harbour", 1),
            ]
            assert [g.enhanced_prompt for g in images] == ["enhanced: a harbour"] * 2
            assert mock.requests[-1].path.endswith("/models/imagen-3.0-generate-002:predict")


def test_boto3_invoke_model_generates_images(monkeypatch: pytest.MonkeyPatch) -> None:
    with MockBedrockRuntime() as mock:
        client = make_client(monkeypatch, mock)
        try:
            request: dict[str, Any] = {
                "taskType": "TEXT_IMAGE",
                "textToImageParams": {"text": "a boat"},
                "imageGenerationConfig": {"numberOfImages": 2, "width": 512, "height": 512},
            }
            nova = client.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(request))
            body: Any = json.loads(nova["body"].read())
            assert [base64.b64decode(i) for i in body["images"]] == [
                png("a boat", 0),
                png("a boat", 1),
            ]
            sd = client.invoke_model(
                modelId="stability.sd3-5-large-v1:0", body=json.dumps({"prompt": "a boat"})
            )
            assert json.loads(sd["body"].read())["images"] == [
                base64.b64encode(png("a boat")).decode()
            ]
            request["imageGenerationConfig"]["width"] = 500
            with pytest.raises(ClientError) as info:
                client.invoke_model(
                    modelId="amazon.titan-image-generator-v2:0", body=json.dumps(request)
                )
            assert info.value.response["Error"]["Code"] == "ValidationException"
        finally:
            client.close()
