"""The mocks' completions, moderations and rerank must be what the official SDKs parse: the
`openai` SDK for legacy completions and moderations, `cohere.ClientV2.rerank` for Cohere."""

from __future__ import annotations

from collections.abc import Iterator

import cohere
import httpx
import openai
import pytest

from tests.mocks.cohere_upstream import MockCohere
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module")
def oai() -> Iterator[openai.OpenAI]:
    with (
        MockOpenAI() as mock,
        openai.OpenAI(
            base_url=mock.base_url + "/v1", api_key="sk", max_retries=0, timeout=10
        ) as sdk,
    ):
        yield sdk


def test_completion_whole_and_streamed(oai: openai.OpenAI) -> None:
    answer = oai.completions.create(model="gpt-4o-mini", prompt="say hi")
    assert (answer.object, answer.choices[0].text) == ("text_completion", "echo: say hi")
    assert answer.usage is not None and answer.usage.total_tokens == 2 + 3
    chunks = list(
        oai.completions.create(
            model="gpt-4o-mini",
            prompt="say hi",
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "echo: say hi"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3


def test_moderation_flags_violence(oai: openai.OpenAI) -> None:
    answer = oai.moderations.create(input=["I will kill it", "hello"])
    assert [r.flagged for r in answer.results] == [True, False]
    assert answer.results[0].categories.violence is True


def test_cohere_sdk_reads_rerank() -> None:
    with MockCohere(api_key="co-test") as mock, httpx.Client(trust_env=False, timeout=5) as http:
        client = cohere.ClientV2(api_key="co-test", base_url=mock.base_url, httpx_client=http)
        answer = client.rerank(
            model="rerank-v3.5", query="red fox", documents=["a blue car", "the red fox"], top_n=1
        )
    assert [(r.index, r.relevance_score) for r in answer.results] == [(1, 1.0)]
    assert answer.meta is not None and answer.meta.billed_units is not None
    assert mock.requests[-1].path == "/v2/rerank"
