"""Bearer tokens from identity services: a Google service account (Vertex AI) and Azure Entra ID
client credentials.

Each upstream key with such a credential owns one `OAuthTokenSource`: the token is fetched
through the gateway's own transport (so proxies and CA settings apply), cached until shortly
before it expires, and fetched by one request at a time however many requests need it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from cloverleaf.config.load import ConfigError
from cloverleaf.config.providers import AzureKeyConfig, VertexKeyConfig
from cloverleaf.core.errors import GatewayError
from cloverleaf.transport.base import NetworkProfile, Transport, TransportError, UpstreamRequest

#: wall-clock seconds; injectable so tests can move time
Clock = Callable[[], float]
#: a token is refreshed this long before its expiry (or at half its lifetime if that is shorter)
EARLY_REFRESH_S = 60.0
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME_S = 3600
ENTRA_AUTHORITY = "https://login.microsoftonline.com"
#: azure-identity's own variable for sovereign clouds and test doubles
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"
ENTRA_DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
_FORM = ("content-type", "application/x-www-form-urlencoded")


class Grant(Protocol):
    """One identity service's token request. `secrets` are scrubbed from any error text."""

    @property
    def url(self) -> str: ...

    def form(self, now: float) -> dict[str, str]: ...

    @property
    def secrets(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class ServiceAccountGrant:
    """Google's JWT-bearer flow: an RS256 assertion signed with the service account's key."""

    client_email: str
    private_key: RSAPrivateKey = field(repr=False)
    private_key_id: str
    url: str = GOOGLE_TOKEN_URI
    scope: str = GOOGLE_SCOPE

    def assertion(self, now: float) -> str:
        issued = int(now)
        claims = {
            "iss": self.client_email,
            "scope": self.scope,
            "aud": self.url,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME_S,
        }
        headers = {"kid": self.private_key_id} if self.private_key_id else None
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)

    def form(self, now: float) -> dict[str, str]:
        return {"grant_type": JWT_BEARER_GRANT, "assertion": self.assertion(now)}

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class EntraGrant:
    """Entra ID's client-credentials flow (an app registration's id and secret)."""

    url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str

    def form(self, now: float) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": self.scope,
        }

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)


class OAuthTokenSource:
    """Implements routing's TokenSource: `refresh` is a no-op while the cached token is fresh."""

    def __init__(self, grant: Grant, key_name: str, clock: Clock = time.time) -> None:
        self.grant = grant
        self.key_name = key_name
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._fresh_until = 0.0

    @property
    def token(self) -> str:
        if self._token is None:
            raise RuntimeError(f"key {self.key_name!r}: token used before refresh()")
        return self._token

    def _fresh(self) -> bool:
        return self._token is not None and self._clock() < self._fresh_until

    async def refresh(self, transport: Transport, profile: NetworkProfile) -> None:
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():  # another request fetched it while this one waited
                return
            now = self._clock()
            token, lifetime = await self._fetch(transport, profile, now)
            self._token = token
            self._fresh_until = now + lifetime - min(EARLY_REFRESH_S, lifetime / 2)

    async def _fetch(
        self, transport: Transport, profile: NetworkProfile, now: float
    ) -> tuple[str, float]:
        body = urlencode(self.grant.form(now)).encode()
        headers = (_FORM, ("accept", "application/json"))
        request = UpstreamRequest("POST", self.grant.url, headers, body, profile)
        try:
            response = await transport.send(request)
            try:
                answer = await response.read()
            finally:
                await response.aclose()
        except TransportError as exc:
            raise self._error(502, f"is unreachable ({exc})") from None
        if response.status >= 500:
            raise self._error(502, f"failed (HTTP {response.status})")
        if response.status >= 400:
            reason = self._scrub(_reason(answer))
            raise self._error(401, f"refused the credentials (HTTP {response.status}{reason})")
        parsed = _json(answer)
        token = parsed.get("access_token")
        lifetime = parsed.get("expires_in")
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)  # Entra's v1 endpoints send it as a string
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise self._error(502, "answered without an access_token and expires_in")
        return token, float(lifetime)

    def _error(self, status: int, what: str) -> GatewayError:
        """Names the key and the service, never a secret or an assertion."""
        auth = status == 401
        return GatewayError(
            status,
            f"the identity service for key {self.key_name!r} ({self.grant.url}) {what}",
            type="authentication_error" if auth else "server_error",
            code="upstream_auth_failed" if auth else "upstream_auth_unavailable",
        )

    def _scrub(self, text: str) -> str:
        for secret in self.grant.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _reason(body: bytes) -> str:
    """`: invalid_grant: Invalid JWT Signature.` from an OAuth error body, kept short."""
    parsed = _json(body)
    words = [parsed.get("error"), parsed.get("error_description")]
    text = ": ".join(w for w in words if isinstance(w, str) and w)
    return f": {text[:300]}" if text else ""


def service_account_grant(raw: str, key_name: str) -> ServiceAccountGrant:
    """Parse `vertex_key_config.auth_credentials` at config load, so a bad one stops startup."""

    def bad(why: str) -> ConfigError:
        return ConfigError(f"key {key_name!r}: vertex_key_config.auth_credentials {why}")

    try:
        info: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad("is not JSON (give the service account's key file contents)") from None
    if not isinstance(info, dict):
        raise bad("must be a JSON object")
    if info.get("type", "service_account") != "service_account":
        raise bad(f"has type {info.get('type')!r}; only service_account keys are supported")
    email, pem = info.get("client_email"), info.get("private_key")
    if not isinstance(email, str) or not email or not isinstance(pem, str) or not pem:
        raise bad("needs client_email and private_key")
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise bad("has a private_key that is not a PEM private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise bad("has a private_key that is not an RSA key")
    key_id = info.get("private_key_id")
    token_uri = info.get("token_uri") or GOOGLE_TOKEN_URI
    if not isinstance(token_uri, str) or not token_uri.startswith(("https://", "http://")):
        raise bad("has a token_uri that is not an http(s) URL")
    return ServiceAccountGrant(email, key, key_id if isinstance(key_id, str) else "", token_uri)


def entra_grant(block: AzureKeyConfig, authority: str) -> EntraGrant | None:
    """Client credentials when all of client_id, client_secret and tenant_id are given."""
    parts = (block.client_id, block.client_secret, block.tenant_id)
    if not all(part is not None and part.value for part in parts):
        return None
    assert block.client_id and block.client_secret and block.tenant_id
    url = f"{authority}/{block.tenant_id.value}/oauth2/v2.0/token"
    scope = " ".join(block.scopes or [ENTRA_DEFAULT_SCOPE])
    return EntraGrant(url, block.client_id.value, block.client_secret.value, scope)


def entra_authority(env: Mapping[str, str]) -> str:
    """The Entra authority host, with azure-identity's scheme-less form accepted."""
    host = env.get(AUTHORITY_ENV) or ENTRA_AUTHORITY
    if not host.startswith(("https://", "http://")):
        host = "https://" + host
    return host.rstrip("/")


def token_source_for(
    vertex: VertexKeyConfig | None,
    azure: AzureKeyConfig | None,
    key_name: str,
    env: Mapping[str, str],
) -> OAuthTokenSource | None:
    """The token source a key's config asks for, if any."""
    if vertex is not None and vertex.auth_credentials and vertex.auth_credentials.value:
        grant = service_account_grant(vertex.auth_credentials.value, key_name)
        return OAuthTokenSource(grant, key_name)
    if azure is not None:
        entra = entra_grant(azure, entra_authority(env))
        if entra is not None:
            return OAuthTokenSource(entra, key_name)
    return None
