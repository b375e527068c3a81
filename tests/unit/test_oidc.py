"""The OIDC verifier against a mock issuer over real HTTP: signatures, claims, the JWKS cache."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.server.oidc import OidcSettings, OidcVerifier
from cloverleaf.transport.pyreqwest_transport import PyreqwestTransport
from tests.gateway_process import free_port
from tests.mocks.oidc_issuer import CLIENT_ID, MockOidcIssuer, new_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer() -> Iterator[MockOidcIssuer]:
    with MockOidcIssuer() as mock:
        yield mock


class Verifiers:
    """Verifiers on one event loop (their HTTP clients belong to it), closed at the end."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.transports: list[PyreqwestTransport] = []

    def make(self, issuer_url: str, clock: Clock | None = None, **settings: Any) -> OidcVerifier:
        transport = PyreqwestTransport()
        self.transports.append(transport)
        return OidcVerifier(
            OidcSettings(issuer_url, CLIENT_ID, **settings), transport, clock or Clock()
        )

    def verify(self, verifier: OidcVerifier, token: str) -> Any:
        return self.runner.run(verifier.verify(token))

    def error(self, verifier: OidcVerifier, token: str) -> GatewayError:
        with pytest.raises(GatewayError) as caught:
            self.verify(verifier, token)
        return caught.value

    def close(self) -> None:
        for transport in self.transports:
            self.runner.run(transport.aclose())
        self.runner.close()


@pytest.fixture
def v() -> Iterator[Verifiers]:
    verifiers = Verifiers()
    yield verifiers
    verifiers.close()


def test_valid_rs256_and_es256_tokens_share_one_jwks_fetch(
    issuer: MockOidcIssuer, v: Verifiers
) -> None:
    verifier = v.make(issuer.issuer)
    before = issuer.jwks_fetches
    rsa_key, ec_key = issuer.keys[0], issuer.keys[1]
    assert v.verify(verifier, issuer.token(rsa_key))["sub"] == "user-1"
    assert v.verify(verifier, issuer.token(ec_key, sub="user-2"))["sub"] == "user-2"
    assert issuer.jwks_fetches == before + 1


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "someone-else"}, "aud"),
        ({"iss": "http://127.0.0.1:1/realms/other"}, "iss"),
        ({"lifetime_s": -120}, "expired"),
        ({"nbf": 4102444800}, "not valid yet"),
        ({"exp": None}, "'exp'"),
    ],
)
def test_claims_are_checked(
    issuer: MockOidcIssuer, v: Verifiers, claims: dict[str, Any], message: str
) -> None:
    error = v.error(v.make(issuer.issuer), issuer.token(**claims))
    assert error.status == 401 and error.code == "invalid_token"
    assert message in error.message


def test_small_clock_skew_is_tolerated(issuer: MockOidcIssuer, v: Verifiers) -> None:
    verifier = v.make(issuer.issuer, leeway_s=30.0)
    assert v.verify(verifier, issuer.token(lifetime_s=-5))["aud"] == CLIENT_ID


def test_signatures_and_algorithms_are_checked(issuer: MockOidcIssuer, v: Verifiers) -> None:
    verifier = v.make(issuer.issuer)
    impostor = new_key("RS256")  # never published, but claims a published kid
    error = v.error(verifier, issuer.token(impostor, kid=issuer.keys[0].kid))
    assert error.status == 401 and "signature" in error.message
    forged = jwt.encode({"iss": issuer.issuer, "aud": CLIENT_ID}, "k" * 32, algorithm="HS256")
    assert "'HS256' is not accepted" in v.error(verifier, forged).message
    unsigned = jwt.encode({"aud": CLIENT_ID}, "", algorithm="none")
    assert v.error(verifier, unsigned).status == 401
    assert "not a valid JWT" in v.error(verifier, "not.a.jwt").message
    # an ES256 key cannot be used to check a token that says RS256
    mixed = issuer.token(new_key("RS256"), kid=issuer.keys[1].kid)
    assert v.error(verifier, mixed).status == 401


def test_unknown_kids_refetch_in_a_rate_limited_burst(issuer: MockOidcIssuer, v: Verifiers) -> None:
    clock = Clock()
    verifier = v.make(
        issuer.issuer, clock, refetch_interval_s=30.0, refetch_burst=2, jwks_ttl_s=3600.0
    )
    v.verify(verifier, issuer.token())
    fetches = issuer.jwks_fetches
    for _ in range(5):  # a client sending made-up key ids cannot make the gateway hammer the issuer
        error = v.error(verifier, issuer.token(kid="made-up"))
        assert error.status == 401 and "(kid)" in error.message
    assert issuer.jwks_fetches == fetches + 2
    rotated = issuer.rotate()
    assert v.error(verifier, issuer.token(rotated)).status == 401  # bucket empty
    clock.now += 31.0
    assert v.verify(verifier, issuer.token(rotated))["aud"] == CLIENT_ID
    assert issuer.jwks_fetches == fetches + 3


def test_keys_are_refetched_after_the_ttl(issuer: MockOidcIssuer, v: Verifiers) -> None:
    clock = Clock()
    verifier = v.make(issuer.issuer, clock, jwks_ttl_s=60.0)
    v.verify(verifier, issuer.token())
    fetches = issuer.jwks_fetches
    v.verify(verifier, issuer.token())
    assert issuer.jwks_fetches == fetches
    clock.now += 61.0
    v.verify(verifier, issuer.token())
    assert issuer.jwks_fetches == fetches + 1


def test_an_unreachable_issuer_is_a_503(issuer: MockOidcIssuer, v: Verifiers) -> None:
    verifier = v.make(f"http://127.0.0.1:{free_port()}/realms/gone")
    error = v.error(verifier, issuer.token())
    assert error.status == 503 and error.code == "oidc_unavailable"
    assert "could not be reached" in error.message


def test_an_issuer_that_never_answers_is_a_503_not_a_hang(
    issuer: MockOidcIssuer, v: Verifiers
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        verifier = v.make(f"http://127.0.0.1:{port}/realms/silent", timeout_s=0.3)
        error = v.error(verifier, issuer.token())
    assert error.status == 503 and "could not be reached" in error.message


def test_cached_keys_outlive_a_later_issuer_outage(issuer: MockOidcIssuer, v: Verifiers) -> None:
    clock = Clock()
    verifier = v.make(issuer.issuer, clock, jwks_ttl_s=60.0)
    v.verify(verifier, issuer.token())
    verifier._jwks_uri = f"http://127.0.0.1:{free_port()}/certs"  # the issuer goes away
    clock.now += 61.0
    assert v.verify(verifier, issuer.token())["aud"] == CLIENT_ID


def test_concurrent_requests_share_one_fetch(issuer: MockOidcIssuer, v: Verifiers) -> None:
    verifier = v.make(issuer.issuer)
    before = (issuer.discovery_fetches, issuer.jwks_fetches)
    tokens = [issuer.token(sub=f"user-{n}") for n in range(20)]

    async def all_at_once() -> Any:
        return await asyncio.gather(*(verifier.verify(token) for token in tokens))

    claims = v.runner.run(all_at_once())
    assert [c["sub"] for c in claims] == [f"user-{n}" for n in range(20)]
    assert (issuer.discovery_fetches, issuer.jwks_fetches) == (before[0] + 1, before[1] + 1)
