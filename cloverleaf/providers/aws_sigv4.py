"""AWS Signature Version 4 for Bedrock requests: pure, the clock is an argument.

Written to agree byte for byte with botocore's `SigV4Auth` (tests prove it), so a request the
gateway signs is one AWS accepts and the mock upstream can verify with the same function.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
#: headers botocore never signs: hop-by-hop or rewritten by proxies and clients
UNSIGNED_HEADERS = frozenset(
    {
        "authorization",
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
#: set by `sign` itself; a stale copy in the given headers is replaced, as botocore does
_REPLACED = frozenset({"x-amz-date", "x-amz-security-token"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def amz_date(now: datetime) -> str:
    """`YYYYMMDD'T'HHMMSS'Z'` in UTC; naive datetimes are taken to be UTC already."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ")


def sign(
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
    region: str,
    service: str = "bedrock",
    now: datetime,
) -> list[tuple[str, str]]:
    """The headers to add to the request: X-Amz-Date, X-Amz-Security-Token (session
    credentials only) and Authorization. Every given header is signed, as botocore does, so
    pass exactly the headers that will be sent (Host is derived from the URL when absent;
    a given X-Amz-Date or X-Amz-Security-Token is replaced)."""
    stamp = amz_date(now)
    added = [("X-Amz-Date", stamp)]
    if session_token:
        added.append(("X-Amz-Security-Token", session_token))
    given = [(k, v) for k, v in _pairs(headers) if k.lower() not in _REPLACED]
    canonical_headers = _canonical_headers(url, [*given, *added])
    signed = ";".join(canonical_headers)
    canonical = "\n".join(
        [
            method.upper(),
            canonical_uri(url),
            canonical_query(url),
            "".join(f"{name}:{value}\n" for name, value in canonical_headers.items()),
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret_key, stamp[:8], region, service), to_sign.encode("utf-8"), "sha256"
    ).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, "
        f"Signature={signature}"
    )
    return [*added, ("Authorization", authorization)]


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The HMAC chain secret → date → region → service → `aws4_request`."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), "sha256").digest()
    return key


def canonical_uri(url: str) -> str:
    """The already-encoded path with dot segments and empty segments removed, encoded again
    (`%3A` → `%253A`): SigV4 for every service except S3."""
    path = urlsplit(url).path
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(url: str) -> str:
    """Query pairs sorted by name then value, kept as already encoded in the URL."""
    query = urlsplit(url).query
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{name}={value}" for name, value in pairs)


def host_header(url: str) -> str:
    """Host as HTTP clients send it: lower-case, port only when not the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def _canonical_headers(url: str, headers: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names, sorted; values trimmed with inner whitespace runs collapsed; repeated
    names joined with commas."""
    values: dict[str, list[str]] = {}
    for name, value in headers:
        lname = name.strip().lower()
        if lname not in UNSIGNED_HEADERS:
            values.setdefault(lname, []).append(" ".join(value.split()))
    if "host" not in values:
        values["host"] = [host_header(url)]
    return {name: ",".join(values[name]) for name in sorted(values)}


@dataclass(frozen=True, slots=True)
class Authorization:
    """A parsed SigV4 `Authorization` header: who signed, for which scope, over which headers."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


_AUTHORIZATION = re.compile(
    rf"{ALGORITHM} Credential=([^/,\s]+)/(\d{{8}})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})"
)


def parse_authorization(value: str) -> Authorization | None:
    """None when the header is not a well-formed SigV4 authorization."""
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        return None
    access_key, date, region, service, signed, signature = match.groups()
    return Authorization(access_key, date, region, service, tuple(signed.split(";")), signature)


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret_key: str,
) -> bool:
    """Recompute the signature of a received request (lower-cased `headers`) over exactly the
    headers it claims to have signed. Checks the signature only: which key, region, service
    and how old the date may be are the caller's policy."""
    auth = parse_authorization(headers.get("authorization", ""))
    stamp = headers.get("x-amz-date", "")
    try:
        now = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    if auth is None or auth.date != stamp[:8]:
        return False
    signed = [(name, headers.get(name, "")) for name in auth.signed_headers]
    expected = sign(
        method,
        url,
        signed,
        body,
        access_key=auth.access_key,
        secret_key=secret_key,
        session_token=headers.get("x-amz-security-token"),
        region=auth.region,
        service=auth.service,
        now=now,
    )
    return hmac.compare_digest(dict(expected)["Authorization"], headers["authorization"].strip())
