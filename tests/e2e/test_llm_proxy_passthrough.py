"""LLM Proxy's `/v1/{path}` pass-through, on a real gateway in front of a recording upstream:
what arrives upstream is exactly what the client sent (minus its credentials), the answer comes
back as the upstream gave it, and no confined-path escape ever reaches the upstream."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.passthrough_upstream import MockPassthrough, Raw
from tests.storage.request_log_helpers import opened, rows_by_id

SECRET = "sk-upstream-passthrough-0000"
CLIENT = {"authorization": "Bearer client-token-1234", "cookie": "session=abc"}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockPassthrough]:
    with MockPassthrough() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def gateway(mock: MockPassthrough, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = {
        "providers": {
            "openai": {
                "keys": [{"value": SECRET}],
                "network_config": {"base_url": mock.base_url},
            }
        }
    }
    workdir: Path = tmp_path_factory.mktemp("passthrough")
    with GatewayProcess(workdir, config) as process:
        yield process.base_url


@pytest.fixture
def http(gateway: str, mock: MockPassthrough) -> Iterator[httpx.Client]:
    mock.reset()
    with httpx.Client(base_url=gateway, headers=CLIENT, timeout=10) as client:
        yield client


def test_get_arrives_exactly_with_the_provider_key(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    mock.enqueue(Raw(chunks=(b'{"object":"list","data":[],"has_more":false}',)))
    headers = {"openai-beta": "assistants=v2", "x-private": "no", "x-request-id": "req-pt-1"}
    response = http.get("/v1/fine_tuning/jobs?limit=2&after=ftjob-1", headers=headers)
    assert response.status_code == 200
    assert response.content == b'{"object":"list","data":[],"has_more":false}'
    assert response.headers["x-request-id"] == "req-pt-1"
    assert int(response.headers["x-llm-proxy-remote-duration-ms"]) >= 0
    (seen,) = mock.proxied()
    assert (seen.method, seen.path, seen.query) == (
        "GET",
        "/v1/fine_tuning/jobs",
        "limit=2&after=ftjob-1",
    )
    assert seen.headers["authorization"] == f"Bearer {SECRET}"
    assert seen.headers["openai-beta"] == "assistants=v2"
    assert "cookie" not in seen.headers and "x-private" not in seen.headers


def test_post_body_and_content_type_arrive_byte_for_byte(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    body = b'{"model":"gpt-4o-mini","name":"helper", "instructions":"be \\u00e9xact"}'
    mock.enqueue(Raw(201, chunks=(b'{"id":"asst_1","object":"assistant"}',)))
    response = http.post(
        "/v1/assistants", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201
    assert response.json() == {"id": "asst_1", "object": "assistant"}
    (seen,) = mock.proxied()
    assert (seen.method, seen.path, seen.body) == ("POST", "/v1/assistants", body)
    assert seen.headers["content-type"] == "application/json"


def test_delete_and_binary_bodies_pass_as_bytes(http: httpx.Client, mock: MockPassthrough) -> None:
    blob = bytes(range(256)) * 300
    mock.enqueue(
        Raw(
            content_type="application/octet-stream",
            chunks=(blob[:1000], blob[1000:]),
            headers=[
                ("content-disposition", 'attachment; filename="f.bin"'),
                ("set-cookie", "x=1"),
            ],
        ),
        Raw(chunks=(b'{"id":"file-1","object":"file","deleted":true}',)),
    )
    content = http.get("/v1/vector_stores/vs-1/files/file-1/content")
    assert content.status_code == 200
    assert content.content == blob
    assert content.headers["content-type"] == "application/octet-stream"
    assert content.headers["content-disposition"] == 'attachment; filename="f.bin"'
    assert "set-cookie" not in content.headers
    deleted = http.delete("/v1/vector_stores/vs-1/files/file-1")
    assert deleted.json()["deleted"] is True
    assert [(r.method, r.path) for r in mock.proxied()] == [
        ("GET", "/v1/vector_stores/vs-1/files/file-1/content"),
        ("DELETE", "/v1/vector_stores/vs-1/files/file-1"),
    ]


def test_sse_streams_through_before_the_upstream_finishes(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    gate = threading.Event()
    first = b'event: thread.run.created\ndata: {"id":"run_1"}\n\n'
    rest = b'event: thread.run.completed\ndata: {"id":"run_1"}\n\nevent: done\ndata: [DONE]\n\n'
    mock.enqueue(Raw(content_type="text/event-stream", chunks=(first, rest), gate=gate))
    received = b""
    body = b'{"assistant_id":"asst_1","stream":true}'
    with http.stream("POST", "/v1/threads/runs", content=body) as response:
        assert response.headers["content-type"] == "text/event-stream"
        chunks = response.iter_bytes()
        while b"\n\n" not in received:  # the first event, while the upstream is held back
            received += next(chunks)
        assert received == first
        gate.set()
        received += b"".join(chunks)
    assert received == first + rest


def test_upstream_client_error_passes_through_with_its_body(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    error = b'{"error":{"message":"No such File object: file-x","type":"invalid_request_error","param":"id","code":null}}'
    mock.enqueue(Raw(404, chunks=(error,)))
    response = http.get("/v1/vector_stores/vs-1/files/file-x")
    assert response.status_code == 404
    assert response.content == error
    assert "x-llm-proxy-remote-duration-ms" in response.headers


def test_upstream_server_error_is_a_502_in_openai_shape(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    mock.enqueue(*[Raw(500, chunks=(b'{"error":{"message":"boom"}}',))] * 5)
    response = http.get("/v1/assistants")
    assert response.status_code == 502
    assert "boom" in response.json()["error"]["message"]
    assert "x-llm-proxy-remote-duration-ms" in response.headers


def test_exact_routes_win(http: httpx.Client, mock: MockPassthrough) -> None:
    listed = http.get("/v1/models").json()
    assert "openai/gpt-4o-mini" in [m["id"] for m in listed["data"]]  # the gateway's own list
    assert mock.proxied() == []


def test_other_methods_are_not_allowed(http: httpx.Client, mock: MockPassthrough) -> None:
    assert http.put("/v1/files/file-1", content=b"{}").status_code == 405
    assert mock.proxied() == []


ESCAPES = [
    "/v1/../admin",
    "/v1/files/../../api/providers",
    "/v1/./files",
    "/v1/%2e%2e/api/providers",
    "/v1/%2E%2E/api/providers",
    "/v1/files/%2e",
    "/v1/files%2f..%2f..%2fapi",
    "/v1/files%5c..%5capi",
    "/v1/%252e%252e/api/providers",
    "/v1/files%252f..",
    "/v1/files\\..\\api",
    "/v1//evil.example/x",
    "/v1/http://evil.example/x",
    "/v1/https:%2f%2fevil.example",
    "/v1/files%00x",
    "/v1/files%0d%0aX-Injected:%201",
    "/v1/files%09x",
    "/v1/files/",
    "/v1/",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_no_escape_reaches_the_upstream(gateway: str, mock: MockPassthrough, path: str) -> None:
    mock.reset()
    status, body = _raw_get(gateway, path)
    assert status == 400
    error = orjson.loads(body)["error"]
    assert error["code"] == "invalid_path" and "invalid pass-through path" in error["message"]
    assert mock.proxied() == []


def test_openai_sdk_works_through_it(gateway: str, mock: MockPassthrough) -> None:
    mock.reset()
    listing = {
        "object": "list",
        "data": [
            {
                "id": "file-abc",
                "object": "file",
                "bytes": 12,
                "created_at": 1700000000,
                "filename": "train.jsonl",
                "purpose": "fine-tune",
                "status": "processed",
            }
        ],
        "has_more": False,
    }
    mock.enqueue(
        Raw(chunks=(orjson.dumps(listing),)), Raw(chunks=(b'{"object":"list","data":[]}',))
    )
    with openai.OpenAI(base_url=gateway + "/v1", api_key="client", max_retries=0) as client:
        files = client.vector_stores.files.list("vs-1")
        assert [f.id for f in files.data] == ["file-abc"]
        raw = client.get("/vector_stores", cast_to=object, options={"params": {"limit": 3}})
        assert raw == {"object": "list", "data": []}
    seen = mock.proxied()
    assert [(r.path, r.query) for r in seen] == [
        ("/v1/vector_stores/vs-1/files", ""),
        ("/v1/vector_stores", "limit=3"),
    ]
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in seen)


def _raw_get(base_url: str, path: str) -> tuple[int, bytes]:
    """Send the path as written (no client-side normalising or escaping) and read the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer client\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_project_token_calls_with_the_project_key(
    mock: MockPassthrough, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Own gateway: once a project token exists, every client must present one."""
    project_key = "sk-proj-passthrough-own-key-4242"
    config = {
        "providers": {
            "openai": {"keys": [{"value": SECRET}], "network_config": {"base_url": mock.base_url}}
        }
    }
    workdir: Path = tmp_path_factory.mktemp("passthrough-project")
    with (
        GatewayProcess(workdir, config) as process,
        httpx.Client(base_url=process.base_url, timeout=10) as http,
    ):
        made = http.post("/manage/projects", json={"name": "pt", "api_key": project_key})
        assert made.status_code == 201, made.text
        token = http.post("/manage/tokens", json={"project_id": made.json()["id"]})
        assert token.status_code == 201, token.text
        mock.reset()
        mock.enqueue(Raw(chunks=(b'{"object":"list","data":[]}',)))
        bearer = {"authorization": f"Bearer {token.json()['token']}"}
        assert http.get("/v1/files", headers=bearer).status_code == 200
        assert http.get("/v1/files", headers=CLIENT).status_code == 401
    (seen,) = mock.proxied()
    assert seen.headers["authorization"] == f"Bearer {project_key}"


def test_a_virtual_key_goes_only_where_it_may(
    mock: MockPassthrough, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Own gateway: virtual keys make client credentials required from then on."""
    keys = [
        {"id": "key-a", "name": "a", "value": SECRET},
        {"id": "key-b", "name": "b", "value": "sk-upstream-pinned-b"},
    ]
    config = {
        "providers": {"openai": {"keys": keys, "network_config": {"base_url": mock.base_url}}}
    }
    workdir: Path = tmp_path_factory.mktemp("passthrough-governed")
    with (
        GatewayProcess(workdir, config) as process,
        httpx.Client(base_url=process.base_url, timeout=10) as http,
    ):

        def virtual_key(configs: list[dict[str, object]], **extra: object) -> str:
            name = f"vk-{uuid.uuid4().hex[:8]}"
            body: dict[str, object] = {"name": name, "provider_configs": configs, **extra}
            made = http.post("/api/governance/virtual-keys", json=body)
            assert made.status_code == 200, made.text
            value: str = made.json()["virtual_key"]["value"]
            return value

        pinned = virtual_key([{"provider": "openai", "key_ids": ["key-b"]}])
        nowhere = virtual_key([])
        limit = {"request_max_limit": 1, "request_reset_duration": "1h"}
        once = virtual_key([{"provider": "openai"}], rate_limit=limit)
        mock.reset()
        mock.enqueue(*[Raw(chunks=(b'{"object":"list","data":[]}',))] * 2)
        assert http.get("/v1/assistants", headers={"x-bf-vk": pinned}).status_code == 200
        refused = http.get("/v1/assistants", headers={"x-bf-vk": nowhere})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "provider_not_allowed"
        assert http.get("/v1/vector_stores", headers={"x-bf-vk": once}).status_code == 200
        limited = http.get("/v1/vector_stores", headers={"x-bf-vk": once})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    first, second = mock.proxied()
    assert first.headers["authorization"] == "Bearer sk-upstream-pinned-b"
    assert "x-bf-vk" not in first.headers
    assert second.path == "/v1/vector_stores"


def test_every_passthrough_request_is_one_log_row(
    mock: MockPassthrough, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Own gateway, stopped before reading, so the log has been written."""
    config = {
        "providers": {
            "openai": {"keys": [{"value": SECRET}], "network_config": {"base_url": mock.base_url}}
        }
    }
    workdir: Path = tmp_path_factory.mktemp("passthrough-log")
    mock.reset()
    mock.enqueue(
        Raw(chunks=(b'{"object":"list","data":[]}',)),
        Raw(404, chunks=(b'{"error":{"message":"no such file"}}',)),
        Raw(content_type="text/event-stream", chunks=(b"data: {}\n\n", b"data: [DONE]\n\n")),
    )
    with (
        GatewayProcess(workdir, config) as process,
        httpx.Client(base_url=process.base_url, headers=CLIENT, timeout=10) as http,
    ):
        assert http.get("/v1/assistants", headers={"x-request-id": "pt-log-1"}).status_code == 200
        assert http.get("/v1/assistants/a", headers={"x-request-id": "pt-log-2"}).status_code == 404
        streamed = http.post("/v1/threads/runs", headers={"x-request-id": "pt-log-3"})
        assert streamed.content == b"data: {}\n\ndata: [DONE]\n\n"
    rows = asyncio.run(_log_rows(workdir / "data"))
    logged = {i: (r["provider"], r["status"], r["stream"]) for i, r in rows.items()}
    assert logged == {
        "pt-log-1": ("openai", 200, False),
        "pt-log-2": ("openai", 404, False),
        "pt-log-3": ("openai", 200, True),
    }


async def _log_rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    async with opened(None, data_dir, migrated=False) as engine:
        return await rows_by_id(engine)


def test_an_upstream_stream_cut_short_ends_with_an_error_event(
    http: httpx.Client, mock: MockPassthrough
) -> None:
    first = b'data: {"id":"run_1"}\n\n'
    mock.enqueue(Raw(content_type="text/event-stream", chunks=(first,), abort=True))
    response = http.post("/v1/threads/runs", content=b'{"stream":true}')
    assert response.status_code == 200  # sent before the upstream failed
    assert response.content.startswith(first)
    error = orjson.loads(response.content[len(first) :].removeprefix(b"data: "))["error"]
    assert "upstream stream failed" in error["message"]
