"""Validate bearer JWTs from an OIDC issuer (Inference Gateway seed: `ENABLE_AUTH=true`).

The issuer's signing keys are found through `{issuer}/.well-known/openid-configuration` →
`jwks_uri`, cached for `jwks_ttl_s`, and fetched again early when a token names a key id the
cache does not hold (key rotation): a few times at once, then once per `refetch_interval_s`, so
a client sending made-up key ids cannot make the gateway hammer the issuer. Every fetch is
bounded by a timeout: an unreachable issuer is a 503 at once, never a hanging request. Tokens
never reach a log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.transport.base import NetworkProfile, Transport, TransportError, UpstreamRequest

log = logging.getLogger("cloverleaf.oidc")

#: asymmetric algorithms only: accepting HS* would invite key-confusion forgeries
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
_MAX_DOCUMENT_BYTES = 1024 * 1024
_CHALLENGE = (("www-authenticate", 'Bearer error="invalid_token"'),)


@dataclass(frozen=True, slots=True)
class OidcSettings:
    issuer_url: str
    client_id: str
    #: bound on each discovery / JWKS request
    timeout_s: float = 5.0
    jwks_ttl_s: float = 300.0
    #: unknown `kid`s trigger refetches: `refetch_burst` at once, then one per interval
    refetch_interval_s: float = 30.0
    refetch_burst: int = 3
    #: clock skew tolerated on `exp` / `nbf` / `iat`
    leeway_s: float = 30.0


def invalid_token(message: str) -> GatewayError:
    return GatewayError(
        401, message, type="authentication_error", code="invalid_token", headers=_CHALLENGE
    )


def issuer_unavailable(message: str) -> GatewayError:
    return GatewayError(503, message, type="service_unavailable", code="oidc_unavailable")


class OidcVerifier:
    """`verify(token)` returns the token's claims or raises a GatewayError (401 or 503)."""

    def __init__(
        self,
        settings: OidcSettings,
        transport: Transport,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._clock = clock
        self._profile = NetworkProfile(timeout_s=settings.timeout_s)
        self._issuers = {settings.issuer_url, settings.issuer_url.rstrip("/")}
        self._inflight: asyncio.Task[None] | None = None
        self._jwks_uri: str | None = None
        #: kid → (key, the `alg` the JWKS declares for it, if any)
        self._keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
        self._error: GatewayError | None = None
        self._fetched_at: float | None = None
        self._refetches = float(settings.refetch_burst)
        self._refilled_at = clock()

    async def verify(self, token: str) -> Mapping[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token("the bearer token is not a valid JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise invalid_token(f"JWT algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        key, declared = await self._key(kid if isinstance(kid, str) else None)
        if declared is not None and declared != algorithm:
            raise invalid_token("the JWT's algorithm does not match its signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.settings.client_id,
                issuer=list(self._issuers),
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise invalid_token("the JWT has expired") from None
        except jwt.ImmatureSignatureError:
            raise invalid_token("the JWT is not valid yet (nbf/iat)") from None
        except jwt.InvalidAudienceError:
            raise invalid_token("the JWT was not issued for this gateway (aud)") from None
        except jwt.InvalidIssuerError:
            raise invalid_token("the JWT was not issued by the configured issuer (iss)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise invalid_token(f"the JWT has no {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise invalid_token("the JWT's signature is not valid") from None
        except jwt.PyJWTError:
            raise invalid_token("the JWT could not be verified") from None
        return claims

    async def _key(self, kid: str | None) -> tuple[jwt.PyJWK, str | None]:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self.settings.jwks_ttl_s
        unknown = kid not in self._keys
        if stale or (unknown and (self._inflight is not None or self._may_refetch(now))):
            await self._refresh(stale)
        if not self._keys:
            raise self._error or issuer_unavailable("the OIDC issuer's signing keys are unknown")
        key = self._keys.get(kid)
        if key is None and kid is None and len(self._keys) == 1:
            key = next(iter(self._keys.values()))  # a JWT without kid, a JWKS with one key
        if key is None:
            raise invalid_token("the JWT is signed with a key the issuer does not publish (kid)")
        return key

    def _may_refetch(self, now: float) -> bool:
        """A token bucket: refetches for unknown key ids are rate limited, bursts allowed."""
        refill = (now - self._refilled_at) / self.settings.refetch_interval_s
        self._refetches = min(float(self.settings.refetch_burst), self._refetches + refill)
        self._refilled_at = now
        if self._refetches < 1.0:
            return False
        self._refetches -= 1.0
        return True

    async def _refresh(self, stale: bool) -> None:
        """One fetch at a time: a request that needs keys while a fetch runs waits for it
        (bounded by the fetch's timeout) instead of starting another."""
        task = self._inflight
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch_into_cache(stale))
            self._inflight = task
            task.add_done_callback(self._fetch_done)
        await asyncio.shield(task)  # a client that goes away does not cancel the others' fetch

    def _fetch_done(self, task: asyncio.Task[None]) -> None:
        self._inflight = None

    async def _fetch_into_cache(self, stale: bool) -> None:
        """Never raises: the outcome is in `_keys` / `_error` for every waiting request."""
        started = self._clock()
        try:
            self._keys = await self._fetch_keys()
            self._fetched_at, self._error = started, None
            return
        except GatewayError as exc:
            self._error = exc
        except Exception as exc:  # a bug here must not leave requests without an answer
            log.error("OIDC key fetch failed: %s", type(exc).__name__)
            self._error = issuer_unavailable("the OIDC issuer's signing keys could not be read")
        if self._keys:
            # keep verifying with the last good keys through a short issuer outage
            log.warning("OIDC key refresh failed, using cached keys: %s", self._error.message)
            if stale:
                self._fetched_at = started

    async def _fetch_keys(self) -> dict[str | None, tuple[jwt.PyJWK, str | None]]:
        if self._jwks_uri is None:
            base = self.settings.issuer_url.rstrip("/")
            discovery = await self._get_json(f"{base}/.well-known/openid-configuration")
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise issuer_unavailable("the OIDC discovery document has no jwks_uri")
            self._jwks_uri = jwks_uri
        document = await self._get_json(self._jwks_uri)
        keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
        entries = document.get("keys")
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type or algorithm this gateway does not verify with
            declared = entry.get("alg")
            keys[key.key_id] = (key, declared if isinstance(declared, str) else None)
        if not keys:
            raise issuer_unavailable("the OIDC issuer publishes no usable signing key")
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        request = UpstreamRequest("GET", url, (("accept", "application/json"),), b"", self._profile)
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                response = await self._transport.send(request)
                try:
                    body = await response.read()
                finally:
                    await response.aclose()
        except (TransportError, TimeoutError):
            raise issuer_unavailable(
                "the OIDC issuer could not be reached to fetch its signing keys"
            ) from None
        if response.status != 200:
            raise issuer_unavailable(
                f"the OIDC issuer answered {response.status} when asked for its signing keys"
            )
        try:
            data = orjson.loads(body) if len(body) <= _MAX_DOCUMENT_BYTES else None
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise issuer_unavailable("the OIDC issuer answered with something other than JSON")
        return data


def verifier_from_settings(settings: ServerSettings, transport: Transport) -> OidcVerifier | None:
    """The verifier when `ENABLE_AUTH=true` (settings are checked at startup), else None."""
    issuer, client_id = settings.oidc_issuer_url, settings.oidc_client_id
    if not settings.enable_auth or not issuer or not client_id:
        return None
    return OidcVerifier(OidcSettings(issuer, client_id), transport)
