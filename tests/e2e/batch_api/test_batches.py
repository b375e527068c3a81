"""Batches through the gateway with the `openai` SDK, and the provider choice Bifrost's
Files/Batches API makes: `openai` by default, another OpenAI-wire provider (Azure, a custom
provider) when the client names it, a 400 for one without the API or without a batch key."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.e2e.batch_api.conftest import (
    AZURE_API_VERSION,
    BATCH_KEY,
    CUSTOM_BATCH_KEY,
    JSONL,
    MAIN_KEY,
    Upstreams,
    upload,
)
from tests.gateway_process import GatewayProcess
from tests.mocks.azure_front import API_KEY as AZURE_KEY
from tests.mocks.files_wire import FILES


def test_batch_lifecycle_uses_the_batch_key(client: openai.OpenAI, upstreams: Upstreams) -> None:
    source = upload(client)
    batch = client.batches.create(
        input_file_id=source.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "nightly"},
    )
    assert (batch.object, batch.status, batch.input_file_id) == ("batch", "validating", source.id)
    assert batch.metadata == {"job": "nightly"}
    assert batch.request_counts is not None and batch.request_counts.total == 2
    assert client.batches.retrieve(batch.id).endpoint == "/v1/chat/completions"
    assert [b.id for b in client.batches.list()] == [batch.id]
    assert [b.id for b in client.batches.list(limit=1)] == [batch.id]
    cancelled = client.batches.cancel(batch.id)
    assert (cancelled.id, cancelled.status) == (batch.id, "cancelling")
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    assert {call.api_key for call in FILES.calls} == {BATCH_KEY}
    assert len(FILES.calls) == 8


def test_a_named_provider_in_body_query_or_header(
    client: openai.OpenAI, gateway: GatewayProcess, upstreams: Upstreams
) -> None:
    """A custom provider on OpenAI's wire, named the three ways Bifrost's SDK guides show."""
    custom = {"provider": "oaicustom"}
    source = upload(client, extra_body=custom)
    batch = client.batches.create(
        input_file_id=source.id,
        endpoint="/v1/embeddings",
        completion_window="24h",
        extra_body=custom,
    )
    assert [b.id for b in client.batches.list(extra_query=custom)] == [batch.id]
    cancelled = client.batches.cancel(batch.id, extra_body=custom)
    assert cancelled.status == "cancelling"
    header = client.with_options(default_headers={"x-model-provider": "oaicustom"})
    assert header.files.retrieve(source.id).id == source.id
    assert FILES.file_ids(upstreams.custom.base_url) == [source.id]
    assert FILES.file_ids(upstreams.openai.base_url) == []
    assert {call.api_key for call in FILES.calls} == {CUSTOM_BATCH_KEY}
    # the default provider does not know the custom provider's file
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(source.id)


def test_azure_through_its_resource_paths(client: openai.OpenAI, upstreams: Upstreams) -> None:
    azure = {"provider": "azure"}
    source = upload(client, extra_body=azure)
    assert [f.id for f in client.files.list(extra_query=azure)] == [source.id]
    assert client.files.content(source.id, extra_query=azure).read() == JSONL
    batch = client.batches.create(
        input_file_id=source.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        extra_body=azure,
    )
    assert client.batches.retrieve(batch.id, extra_query=azure).id == batch.id
    assert client.files.delete(source.id, extra_query=azure).deleted
    assert FILES.file_ids(upstreams.azure.base_url) == []
    assert {call.api_key for call in FILES.calls} == {AZURE_KEY}
    # the front takes `/openai/{files,batches}` with an api-version (recorded here; "v1" would
    # mean `/openai/v1/...`) and records the OpenAI path it forwarded to
    assert [call.api_version for call in upstreams.azure.calls] == [AZURE_API_VERSION] * 6
    seen = [(r.path, r.query) for r in upstreams.azure.requests]
    assert seen[1] == ("/v1/files", f"api-version={AZURE_API_VERSION}")
    assert seen[3] == ("/v1/batches", f"api-version={AZURE_API_VERSION}")
    assert upstreams.openai.requests == []


def test_providers_without_the_api_or_a_batch_key(
    client: openai.OpenAI, upstreams: Upstreams
) -> None:
    for provider, code, words in (
        ("nobatch", "no_batch_api_key", "no key of provider nobatch has use_for_batch_api"),
        ("anthropic", "provider_not_supported", "no OpenAI Files and Batches API"),
        ("mistery", "provider_not_configured", "'mistery' is not configured"),
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            client.files.list(extra_query={"provider": provider})
        body = refused.value.body
        assert isinstance(body, dict)
        assert (body["code"], body["param"]) == (code, "provider")
        assert words in body["message"]
    assert FILES.calls == []
    assert upstreams.custom.requests == []


def test_the_catch_all_still_serves_other_paths(
    gateway: GatewayProcess, upstreams: Upstreams
) -> None:
    """`/v1/vector_stores` is no Files/Batches path: the pass-through forwards it as it did,
    with any openai key (here the heavy one)."""
    response = httpx.get(f"{gateway.base_url}/v1/vector_stores?limit=2", timeout=10)
    assert response.status_code == 404  # the mock has no vector stores: its own 404, relayed
    assert "Invalid URL (GET /v1/vector_stores)" in response.text
    (seen,) = upstreams.openai.requests
    assert (seen.path, seen.query) == ("/v1/vector_stores", "limit=2")
    assert seen.headers["authorization"] in (f"Bearer {MAIN_KEY}", f"Bearer {BATCH_KEY}")
    assert FILES.calls == []
