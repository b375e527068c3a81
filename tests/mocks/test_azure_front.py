"""The Azure mock answers the openai SDK's AzureOpenAI client as Azure would."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.mocks.azure_front import API_KEY, MockAzureOpenAI


@pytest.fixture(scope="module")
def azure() -> Iterator[MockAzureOpenAI]:
    with MockAzureOpenAI() as mock:
        yield mock


def _client(azure: MockAzureOpenAI, key: str = API_KEY) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=azure.base_url, api_key=key, api_version="2024-10-21", max_retries=0
    )


def test_sdk_round_trip_by_deployment(azure: MockAzureOpenAI) -> None:
    with _client(azure) as sdk:
        answer = sdk.chat.completions.create(
            model="my-gpt4o", messages=[{"role": "user", "content": "hi"}]
        )
        streamed = "".join(
            c.choices[0].delta.content or ""
            for c in sdk.chat.completions.create(
                model="my-gpt4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            if c.choices
        )
    assert answer.choices[0].message.content == "echo: hi" == streamed
    assert azure.calls[-1].deployment == "my-gpt4o" and azure.calls[-1].api_version == "2024-10-21"


def test_unknown_deployment_and_bad_key(azure: MockAzureOpenAI) -> None:
    with _client(azure) as sdk, pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    with _client(azure, "wrong") as sdk, pytest.raises(openai.AuthenticationError):
        sdk.chat.completions.create(model="my-gpt4o", messages=[{"role": "user", "content": "hi"}])
