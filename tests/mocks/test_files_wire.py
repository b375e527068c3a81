"""The Files/Batches mock must be what the official `openai` SDK sends and parses, and refuse
what the real API refuses (unknown fields, bad ids), directly and behind the Azure front."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.mocks.azure_front import API_KEY, MockAzureOpenAI
from tests.mocks.files_wire import FILES
from tests.mocks.openai_upstream import MockOpenAI

JSONL = b'{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{}}\n' * 2


@pytest.fixture(scope="module")
def mock() -> Iterator[MockOpenAI]:
    with MockOpenAI() as upstream:
        yield upstream


@pytest.fixture
def sdk(mock: MockOpenAI) -> Iterator[openai.OpenAI]:
    FILES.reset()
    with openai.OpenAI(
        base_url=mock.base_url + "/v1", api_key="sk-mock", max_retries=0, timeout=10
    ) as client:
        yield client


def test_file_lifecycle(sdk: openai.OpenAI, mock: MockOpenAI) -> None:
    made = sdk.files.create(file=("in.jsonl", JSONL, "application/jsonl"), purpose="batch")
    assert (made.object, made.bytes, made.filename, made.purpose) == (
        "file",
        len(JSONL),
        "in.jsonl",
        "batch",
    )
    other = sdk.files.create(file=("notes.txt", b"x"), purpose="user_data")
    assert [f.id for f in sdk.files.list()] == [other.id, made.id]
    assert [f.id for f in sdk.files.list(purpose="batch")] == [made.id]
    page = sdk.files.list(limit=1)
    assert [f.id for f in page.data] == [other.id] and page.has_more
    assert [f.id for f in sdk.files.list(after=other.id)] == [made.id]
    assert sdk.files.retrieve(made.id).id == made.id
    assert sdk.files.content(made.id).read() == JSONL
    assert sdk.files.delete(made.id).deleted
    assert FILES.file_ids(mock.base_url) == [other.id]
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(made.id)
    assert {call.api_key for call in FILES.calls} == {"sk-mock"}


def test_batch_lifecycle(sdk: openai.OpenAI) -> None:
    source = sdk.files.create(file=("in.jsonl", JSONL), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=source.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "nightly"},
    )
    assert (batch.status, batch.metadata, batch.input_file_id) == (
        "validating",
        {"job": "nightly"},
        source.id,
    )
    assert batch.request_counts is not None and batch.request_counts.total == 2
    assert sdk.batches.retrieve(batch.id).id == batch.id
    assert [b.id for b in sdk.batches.list()] == [batch.id]
    assert sdk.batches.cancel(batch.id).status == "cancelling"
    with pytest.raises(openai.ConflictError):
        sdk.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        sdk.batches.retrieve("batch_nope")


def test_what_the_real_api_refuses(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="provider"):
        sdk.files.create(file=("a.jsonl", JSONL), purpose="batch", extra_body={"provider": "x"})
    with pytest.raises(openai.BadRequestError, match="purpose"):
        sdk.files.create(file=("a.jsonl", JSONL), purpose="nonsense")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="input_file_id"):
        sdk.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    source = sdk.files.create(file=("a.jsonl", JSONL), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="provider"):
        sdk.batches.create(
            input_file_id=source.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            extra_body={"provider": "openai"},
        )


def test_behind_the_azure_front_with_its_own_account() -> None:
    FILES.reset()
    with (
        MockAzureOpenAI() as azure,
        openai.AzureOpenAI(
            azure_endpoint=azure.base_url, api_key=API_KEY, api_version="2024-10-21", max_retries=0
        ) as sdk,
    ):
        made = sdk.files.create(file=("in.jsonl", JSONL), purpose="batch")
        assert [f.id for f in sdk.files.list()] == [made.id]
        assert sdk.files.content(made.id).read() == JSONL
        assert FILES.file_ids(azure.base_url) == [made.id]
    assert azure.calls[-1].api_version == "2024-10-21"
    assert {call.api_key for call in FILES.calls} == {API_KEY}
