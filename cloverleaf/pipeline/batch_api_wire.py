"""OpenAI's Files and Batches API as a client sends it to the gateway: which operation, which
provider it names, and the bytes to forward once the gateway-only `provider` is taken out.

Bifrost lets an OpenAI SDK name the provider per request: `extra_query={"provider": ...}` on a
GET or DELETE, `extra_body={"provider": ...}` on a POST (a JSON field, or a form field of a file
upload), and the Anthropic and GenAI SDKs send an `x-model-provider` header. Any of these works
here, in that order; none means `openai`. The field is removed before forwarding: OpenAI refuses
request arguments it does not know. Pure functions: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote_plus

import orjson

from cloverleaf.core.errors import GatewayError, bad_request

DEFAULT_PROVIDER = "openai"
PROVIDER_FIELD = "provider"
PROVIDER_HEADER = "x-model-provider"
#: the request types records carry (Bifrost's `file_*` and `batch_*` collapse into these two)
FILE, BATCH = "file", "batch"


@dataclass(frozen=True, slots=True)
class Operation:
    """One Files/Batches operation: Bifrost's request kind (`file_upload`, the name custom
    providers' `allowed_requests` use), its method and resource path under the API prefix."""

    kind: str
    method: str
    #: the route's path after `/v1/`, e.g. `files/{file_id}/content`
    resource: str
    #: relay the answer as it arrives (a file's content can be large), else read it whole
    stream: bool = False

    @property
    def request_type(self) -> str:
        return FILE if self.kind.startswith("file") else BATCH


OPERATIONS = (
    Operation("file_upload", "POST", "files"),
    Operation("file_list", "GET", "files"),
    Operation("file_retrieve", "GET", "files/{file_id}"),
    Operation("file_delete", "DELETE", "files/{file_id}"),
    Operation("file_content", "GET", "files/{file_id}/content", stream=True),
    Operation("batch_create", "POST", "batches"),
    Operation("batch_list", "GET", "batches"),
    Operation("batch_retrieve", "GET", "batches/{batch_id}"),
    Operation("batch_cancel", "POST", "batches/{batch_id}/cancel"),
)


@dataclass(frozen=True, slots=True)
class BatchCall:
    """What goes upstream: the operation, its filled resource path, the client's query and
    body without `provider`, and the client headers that mean something to the API."""

    operation: Operation
    provider: str
    resource: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def parse_call(
    operation: Operation,
    *,
    resource: str,
    query: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    header_provider: str | None,
) -> BatchCall:
    """The call to forward, or a 400 naming what is wrong. `resource` is the confined path
    after `/v1/` and `query` the confined raw query string (`proxy_path`); `headers` the
    forwarded ones, content-type among them."""
    query_provider, query = _take_from_query(query)
    content_type = dict(headers).get("content-type", "")
    body_provider, body = _take_from_body(content_type, body)
    chosen = query_provider or body_provider or header_provider or DEFAULT_PROVIDER
    return BatchCall(operation, chosen.strip(), resource, query, headers, body)


def _take_from_query(query: str) -> tuple[str | None, str]:
    """`provider` out of a raw query string; the other pairs stay exactly as they were sent."""
    if not query:
        return None, ""
    found: str | None = None
    kept: list[str] = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if unquote_plus(name) == PROVIDER_FIELD:
            found = found or unquote_plus(value)
        elif pair:
            kept.append(pair)
    return found, "&".join(kept)


def _take_from_body(content_type: str, body: bytes) -> tuple[str | None, bytes]:
    if not body:
        return None, body
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return _take_from_json(body)
    if kind == "multipart/form-data":
        return take_form_field(content_type, body, PROVIDER_FIELD)
    return None, body


def _take_from_json(body: bytes) -> tuple[str | None, bytes]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("the request body is not valid JSON") from None
    if not isinstance(parsed, dict) or PROVIDER_FIELD not in parsed:
        return None, body
    value = parsed.pop(PROVIDER_FIELD)
    if not isinstance(value, str) or not value:
        raise bad_request("provider must be a non-empty string", param=PROVIDER_FIELD)
    return value, orjson.dumps(parsed)


def take_form_field(content_type: str, body: bytes, field: str) -> tuple[str | None, bytes]:
    """A text field's value out of a multipart/form-data body, and the body without that part.

    Works on the bytes: the file part is neither decoded nor copied more than once, and
    everything but the removed part is forwarded as the client encoded it.
    """
    marker = f'name="{field}"'.encode()
    if marker not in body:  # the common case: nothing to take out
        return None, body
    boundary = _boundary(content_type)
    delimiter = b"\r\n--" + boundary
    # a CRLF in front makes the first delimiter look like the others
    pieces = (b"\r\n" + body).split(delimiter)
    if len(pieces) < 3:
        raise bad_request("the multipart body is malformed (no closing boundary)")
    found: str | None = None
    kept = [pieces[0]]
    for piece in pieces[1:-1]:
        head, sep, content = piece.partition(b"\r\n\r\n")
        if sep and found is None and _part_name(head) == field:
            found = content.decode("utf-8", "replace").strip()
            continue
        kept.append(piece)
    kept.append(pieces[-1])
    return found, delimiter.join(kept)[2:]


def _boundary(content_type: str) -> bytes:
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise bad_request("a multipart/form-data body needs a boundary in its content-type")
    return boundary.encode("latin-1")


def _part_name(head: bytes) -> str | None:
    """The `name` of a part's Content-Disposition, from its header lines."""
    for line in head.decode("latin-1").split("\r\n"):
        header, _, value = line.partition(":")
        if header.strip().lower() == "content-disposition":
            message = Message()
            message["content-disposition"] = value.strip()
            name = message.get_param("name", header="content-disposition")
            return name if isinstance(name, str) else None
    return None


def provider_refused(reason: str, code: str = "provider_not_supported") -> GatewayError:
    """A 400 about the `provider` the client named (or the default it got)."""
    return GatewayError(400, reason, param=PROVIDER_FIELD, code=code)
