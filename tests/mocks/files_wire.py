"""OpenAI's Files and Batches APIs on the OpenAI mock: stateful, wire-exact, strict.

Registered on import (`register_operation`). Files live in memory, per server (the `host`
header), so two mocks — or the Azure front, which forwards `/openai/files?api-version=` here —
keep separate accounts. Like the real API, a form or body field the API does not know is a 400,
so a gateway that leaks its own `provider` field fails loudly. Every call records the API key
it came with (`Authorization: Bearer` or Azure's `api-key`), for tests of key choice.

Batches never run: a created batch stays `validating` until cancelled (→ `cancelling`).
"""

from __future__ import annotations

import io
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
from python_multipart import parse_form
from python_multipart.multipart import Field, File

from tests.mocks.openai_upstream import RecordedRequest, register_operation

JSON = dict[str, Any]
Answer = tuple[int, bytes, bytes]
_JSON = b"application/json"
PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
ENDPOINTS = frozenset(
    {
        "/v1/responses",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/completions",
        "/v1/moderations",
    }
)
_BATCH_FIELDS = frozenset({"input_file_id", "endpoint", "completion_window", "metadata"})
_FINAL = frozenset({"completed", "failed", "expired", "cancelled", "cancelling"})


@dataclass(frozen=True)
class WireCall:
    """One Files/Batches request as the mock saw it."""

    host: str
    method: str
    path: str
    query: str
    api_key: str


@dataclass
class _Account:
    """One server's files (object + bytes) and batches, oldest first."""

    files: dict[str, tuple[JSON, bytes]] = field(default_factory=dict)
    batches: dict[str, JSON] = field(default_factory=dict)


class FilesWire:
    """The shared state behind the registered handlers; every access holds the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}
        self._calls: list[WireCall] = []
        self._clock = itertools.count(int(time.time()))

    @property
    def calls(self) -> list[WireCall]:
        with self._lock:
            return list(self._calls)

    def reset(self) -> None:
        with self._lock:
            self._accounts.clear()
            self._calls.clear()

    def file_ids(self, base_url: str) -> list[str]:
        """The files a server (by `http://host:port`) holds now."""
        with self._lock:
            return list(self._account_of(base_url.split("://", 1)[-1]).files)

    def handle(self, request: RecordedRequest) -> Answer:
        host = request.headers.get("host", "")
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        key = key or request.headers.get("api-key", "")
        with self._lock:
            self._calls.append(WireCall(host, request.method, request.path, request.query, key))
            account = self._account_of(host)
            return self._route(account, request)

    def _account_of(self, host: str) -> _Account:
        return self._accounts.setdefault(host, _Account())

    def _route(self, account: _Account, request: RecordedRequest) -> Answer:
        method, parts = request.method, request.path.strip("/").split("/")[1:]
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        query.pop("api-version", None)  # Azure's, forwarded by the Azure front
        if parts[0] == "files":
            return self._files(account, method, parts[1:], query, request)
        return self._batches(account, method, parts[1:], query, request)

    def _files(
        self, account: _Account, method: str, rest: list[str], query: dict[str, str], r: Any
    ) -> Answer:
        if not rest and method == "POST":
            return self._upload(account, r)
        if not rest and method == "GET":
            files = [obj for obj, _ in account.files.values()]
            purpose = query.get("purpose")
            return _page([f for f in files if purpose in (None, f["purpose"])], query)
        found = account.files.get(rest[0])
        if found is None:
            return _error(404, f"No such File object: {rest[0]}", param="id")
        if len(rest) == 2 and rest[1] == "content" and method == "GET":
            return 200, b"application/octet-stream", found[1]
        if len(rest) == 1 and method == "GET":
            return _json(found[0])
        if len(rest) == 1 and method == "DELETE":
            del account.files[rest[0]]
            return _json({"id": rest[0], "object": "file", "deleted": True})
        return _error(404, f"Invalid URL ({method} /v1/files/{'/'.join(rest)})")

    def _upload(self, account: _Account, request: RecordedRequest) -> Answer:
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}

        def on_field(part: Field) -> None:
            fields[(part.field_name or b"").decode()] = (part.value or b"").decode()

        def on_file(part: File) -> None:
            part.file_object.seek(0)
            name = (part.file_name or b"").decode()
            files[(part.field_name or b"").decode()] = (name, part.file_object.read())

        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return _error(400, "Expected a multipart/form-data body.")
        headers = {"Content-Type": content_type.encode()}
        headers["Content-Length"] = str(len(request.body)).encode()
        parse_form(headers, io.BytesIO(request.body), on_field, on_file)
        unknown = (set(fields) | set(files)) - {"purpose", "file", "expires_after"}
        if unknown:
            return _error(400, f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
        if "file" not in files:
            return _error(400, "Missing required parameter: 'file'.", param="file")
        purpose = fields.get("purpose")
        if purpose not in PURPOSES:
            return _error(400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
        filename, content = files["file"]
        obj: JSON = {
            "id": f"file-{uuid.uuid4().hex[:24]}",
            "object": "file",
            "bytes": len(content),
            "created_at": next(self._clock),
            "expires_at": None,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
        }
        account.files[obj["id"]] = (obj, content)
        return _json(obj)

    def _batches(
        self, account: _Account, method: str, rest: list[str], query: dict[str, str], r: Any
    ) -> Answer:
        if not rest and method == "POST":
            return self._create(account, r.json)
        if not rest and method == "GET":
            return _page(list(account.batches.values()), query)
        batch = account.batches.get(rest[0])
        if batch is None:
            return _error(404, f"No batch found with id '{rest[0]}'.", param="batch_id")
        if len(rest) == 1 and method == "GET":
            return _json(batch)
        if rest[1:] == ["cancel"] and method == "POST":
            if batch["status"] in _FINAL:
                return _error(409, f"Cannot cancel a batch with status '{batch['status']}'.")
            batch.update(status="cancelling", cancelling_at=next(self._clock))
            return _json(batch)
        return _error(404, f"Invalid URL ({method} /v1/batches/{'/'.join(rest)})")

    def _create(self, account: _Account, body: Any) -> Answer:
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.")
        unknown = set(body) - _BATCH_FIELDS
        if unknown:
            return _error(400, f"Unrecognized request argument supplied: {sorted(unknown)[0]}")
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(body.get(name), str):
                return _error(400, f"Missing required parameter: '{name}'.", param=name)
        if body["endpoint"] not in ENDPOINTS:
            return _error(400, f"Invalid value for 'endpoint': {body['endpoint']!r}.", "endpoint")
        if body["completion_window"] != "24h":
            return _error(400, "Invalid value for 'completion_window'.", "completion_window")
        found = account.files.get(body["input_file_id"])
        if found is None or found[0]["purpose"] != "batch":
            message = f"Invalid 'input_file_id': '{body['input_file_id']}'."
            return _error(400, message, "input_file_id")
        created = next(self._clock)
        batch: JSON = {
            "id": f"batch_{uuid.uuid4().hex[:24]}",
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": created,
            "in_progress_at": None,
            "expires_at": created + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": len(found[1].splitlines()), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        account.batches[batch["id"]] = batch
        return _json(batch)


def _page(items: list[JSON], query: dict[str, str]) -> Answer:
    """OpenAI's cursor list: newest first, `after` an id, `limit` (files allow up to 10000)."""
    newest = list(reversed(items))
    if "after" in query:
        ids = [item["id"] for item in newest]
        if query["after"] not in ids:
            return _error(400, f"Invalid 'after': {query['after']!r}.", param="after")
        newest = newest[ids.index(query["after"]) + 1 :]
    try:
        limit = int(query.get("limit", "10000"))
    except ValueError:
        return _error(400, "Invalid 'limit': expected an integer.", param="limit")
    if not 1 <= limit <= 10000:
        return _error(400, "Invalid 'limit': must be between 1 and 10000.", param="limit")
    page = newest[:limit]
    return _json(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(newest) > limit,
        }
    )


def _json(obj: JSON) -> Answer:
    return 200, _JSON, orjson.dumps(obj)


def _error(status: int, message: str, param: str | None = None) -> Answer:
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return status, _JSON, orjson.dumps({"error": body})


#: the one instance the OpenAI mock's registry calls into
FILES = FilesWire()
for _method in ("GET", "POST", "DELETE"):
    register_operation(_method, "/v1/files", FILES.handle)
for _method in ("GET", "POST"):
    register_operation(_method, "/v1/batches", FILES.handle)
