"""A custom provider on OpenAI's wire gets images only when it declares them: a self-hosted
server with `/v1/images/generations` is forwarded the client's body; one that declares nothing
is refused before any call."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.images.conftest import Mocks


def test_a_custom_provider_declaring_images_is_forwarded(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.images.generate(
        model="localai/dall-e-3", prompt="a red fox", response_format="b64_json"
    )
    assert answer.data and answer.data[0].b64_json
    (call,) = [r for r in upstreams.openai.requests if r.path == "/v1/images/generations"]
    assert call.json["model"] == "dall-e-3" and call.json["prompt"] == "a red fox"


def test_a_custom_provider_declaring_nothing_is_refused(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.images.generate(model="chatonly/dall-e-3", prompt="a red fox")
    assert refused.value.code == "images_not_supported"
    assert not [r for r in upstreams.openai.requests if r.path == "/v1/images/generations"]
