"""Files through the gateway with the `openai` SDK: upload, list, retrieve, content, delete,
each sent upstream with the provider's `use_for_batch_api` key and without the gateway's own
`provider` field."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.e2e.batch_api.conftest import BATCH_KEY, JSONL, MAIN_KEY, Upstreams, upload
from tests.gateway_process import GatewayProcess
from tests.mocks.files_wire import FILES


def test_file_lifecycle_uses_the_batch_key(client: openai.OpenAI, upstreams: Upstreams) -> None:
    made = upload(client)
    assert (made.object, made.bytes, made.filename, made.purpose) == (
        "file",
        len(JSONL),
        "batch_input.jsonl",
        "batch",
    )
    notes = client.files.create(file=("notes.txt", b"n"), purpose="user_data")
    assert [f.id for f in client.files.list()] == [notes.id, made.id]
    assert [f.id for f in client.files.list(purpose="batch")] == [made.id]
    page = client.files.list(limit=1)
    assert [f.id for f in page.data] == [notes.id] and page.has_more
    assert [f.id for f in client.files.list(after=notes.id)] == [made.id]
    assert client.files.retrieve(made.id).filename == "batch_input.jsonl"
    assert client.files.content(made.id).read() == JSONL
    deleted = client.files.delete(made.id)
    assert (deleted.id, deleted.deleted) == (made.id, True)
    assert FILES.file_ids(upstreams.openai.base_url) == [notes.id]
    calls = FILES.calls
    assert len(calls) == 9
    # the main key weighs 100 000 times more; every call still went with the batch key
    assert {call.api_key for call in calls} == {BATCH_KEY}
    assert MAIN_KEY not in {r.headers.get("authorization", "") for r in upstreams.openai.requests}


def test_the_provider_field_never_reaches_openai(
    client: openai.OpenAI, upstreams: Upstreams
) -> None:
    """Bifrost's `extra_body`/`extra_query` provider choice: taken out before forwarding (the
    mock, like OpenAI, refuses an argument it does not know)."""
    made = upload(client, extra_body={"provider": "openai"})
    listed = client.files.list(extra_query={"provider": "openai", "purpose": "batch"})
    assert [f.id for f in listed] == [made.id]
    assert client.files.retrieve(made.id, extra_query={"provider": "openai"}).id == made.id
    queries = [call.query for call in FILES.calls]
    assert queries == ["", "purpose=batch", ""]
    uploaded = upstreams.openai.requests[0]
    assert b'name="provider"' not in uploaded.body and b'name="purpose"' in uploaded.body


def test_content_comes_back_as_bytes_with_the_upstream_type(
    gateway: GatewayProcess, upstreams: Upstreams
) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, not text
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        made = sdk.files.create(file=("blob.bin", payload), purpose="user_data")
    response = httpx.get(f"{gateway.base_url}/v1/files/{made.id}/content", timeout=20)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == payload
    # the upstream's own headers a client may see come along; its request id does not
    assert response.headers["openai-processing-ms"] == "1"
    assert not response.headers["x-request-id"].startswith("req_")


def test_errors_are_openais(
    client: openai.OpenAI, gateway: GatewayProcess, upstreams: Upstreams
) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.files.retrieve("file-nope")
    assert "No such File object" in missing.value.message
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.files.create(file=("a.jsonl", JSONL), purpose="nonsense")  # type: ignore[arg-type]
    bad_id = httpx.get(f"{gateway.base_url}/v1/files/file%20x", timeout=10)
    assert bad_id.status_code == 400
    assert bad_id.json()["error"]["code"] == "invalid_path"
    assert len(FILES.calls) == 2  # the bad id never went upstream


def test_an_oversized_upload_is_refused_before_any_upstream_call(
    gateway: GatewayProcess, upstreams: Upstreams
) -> None:
    too_big = b"x" * (32 * 1024 * 1024 + 1)  # the default max body size, plus one
    response = httpx.post(
        f"{gateway.base_url}/v1/files",
        files={"file": ("big.jsonl", too_big)},
        data={"purpose": "batch"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert FILES.calls == []
