"""Token sources: the service-account JWT, caching and single-flight refresh, and failures.

Tokens are fetched from the identity mock on 127.0.0.1 through the gateway's real transport;
the token source's clock is injected so expiry is tested without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import jwt
import orjson
import pytest

from cloverleaf.config.load import ConfigError
from cloverleaf.config.providers import AzureKeyConfig
from cloverleaf.core.errors import GatewayError
from cloverleaf.providers.oauth import (
    EntraGrant,
    OAuthTokenSource,
    entra_authority,
    entra_grant,
    service_account_grant,
)
from cloverleaf.transport.base import NetworkProfile
from cloverleaf.transport.pyreqwest_transport import PyreqwestTransport
from tests.gateway_process import free_port
from tests.mocks.oauth_upstream import (
    CLOUD_PLATFORM,
    EntraApp,
    GoogleAccount,
    MockIdentity,
    Refuse,
    service_account,
)

T = TypeVar("T")
PROFILE = NetworkProfile(timeout_s=10.0)
SECRET = "entra-secret-value-123"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def identity() -> Iterator[MockIdentity]:
    entra = EntraApp("tenant-1", "app-id", SECRET)
    with MockIdentity(entra=entra, expires_in=3600, check_times=False) as mock:
        yield mock


@pytest.fixture(scope="module")
def account(identity: MockIdentity) -> tuple[dict[str, Any], GoogleAccount]:
    info, google = service_account(identity.token_uri)
    identity.google = google
    return info, google


@pytest.fixture
def mock(identity: MockIdentity) -> MockIdentity:
    identity.reset()
    return identity


def _run(work: Callable[[PyreqwestTransport], Awaitable[T]]) -> T:
    async def scenario() -> T:
        transport = PyreqwestTransport()
        try:
            return await work(transport)
        finally:
            await transport.aclose()

    return asyncio.run(scenario())


def _source(info: dict[str, Any], clock: Clock) -> OAuthTokenSource:
    return OAuthTokenSource(
        service_account_grant(orjson.dumps(info).decode(), "sa-key"), "sa-key", clock
    )


def test_the_assertion_is_an_rs256_jwt_google_accepts(
    account: tuple[dict[str, Any], GoogleAccount],
) -> None:
    info, google = account
    grant = service_account_grant(orjson.dumps(info).decode(), "k")
    assertion = grant.assertion(1_800_000_000.5)
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(
        assertion,
        google.public_key_pem,
        algorithms=["RS256"],
        audience=info["token_uri"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert header["alg"] == "RS256" and header["kid"] == info["private_key_id"]
    assert claims == {
        "iss": info["client_email"],
        "scope": CLOUD_PLATFORM,
        "aud": info["token_uri"],
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }
    assert info["private_key"] not in repr(grant)


def test_token_is_cached_until_a_minute_before_expiry(
    mock: MockIdentity, account: tuple[dict[str, Any], GoogleAccount]
) -> None:
    clock = Clock()
    source = _source(account[0], clock)

    async def work(transport: PyreqwestTransport) -> list[str]:
        tokens = []
        for _ in range(5):
            await source.refresh(transport, PROFILE)
            tokens.append(source.token)
        clock.now += 3600 - 61  # still fresh
        await source.refresh(transport, PROFILE)
        tokens.append(source.token)
        clock.now += 2  # inside the last minute: fetched again
        await source.refresh(transport, PROFILE)
        tokens.append(source.token)
        return tokens

    tokens = _run(work)
    assert len(set(tokens[:6])) == 1 and tokens[6] != tokens[0]
    assert len(mock.requests) == 2 and mock.accepts(tokens[6])


def test_concurrent_refreshes_share_one_fetch(
    mock: MockIdentity, account: tuple[dict[str, Any], GoogleAccount]
) -> None:
    source = _source(account[0], Clock())

    async def work(transport: PyreqwestTransport) -> set[str]:
        async def one() -> str:
            await source.refresh(transport, PROFILE)
            return source.token

        return set(await asyncio.gather(*(one() for _ in range(20))))

    assert len(_run(work)) == 1
    assert len(mock.requests) == 1


def test_entra_client_credentials(mock: MockIdentity) -> None:
    block = AzureKeyConfig.model_validate(
        {"client_id": "app-id", "client_secret": SECRET, "tenant_id": "tenant-1"}
    )
    grant = entra_grant(block, mock.base_url)
    assert grant is not None and SECRET not in repr(grant)
    source = OAuthTokenSource(grant, "entra-key", Clock())

    async def work(transport: PyreqwestTransport) -> str:
        await source.refresh(transport, PROFILE)
        return source.token

    assert mock.accepts(_run(work))
    form = mock.last_request.body.decode()
    assert mock.last_request.path == "/tenant-1/oauth2/v2.0/token"
    assert "grant_type=client_credentials" in form
    assert "scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default" in form


def test_entra_needs_all_three_fields_and_reads_the_authority_host() -> None:
    partial = AzureKeyConfig.model_validate({"client_id": "a", "tenant_id": "t"})
    assert entra_grant(partial, "https://login.example") is None
    assert entra_authority({}) == "https://login.microsoftonline.com"
    assert entra_authority({"AZURE_AUTHORITY_HOST": "login.chinacloudapi.cn"}) == (
        "https://login.chinacloudapi.cn"
    )
    block = AzureKeyConfig.model_validate(
        {"client_id": "a", "client_secret": "s", "tenant_id": "t", "scopes": ["x/.default", "y"]}
    )
    grant = entra_grant(block, "http://127.0.0.1:1")
    assert grant is not None
    assert grant.url == "http://127.0.0.1:1/t/oauth2/v2.0/token" and grant.scope == "x/.default y"


def _failure(source: OAuthTokenSource) -> GatewayError:
    async def work(transport: PyreqwestTransport) -> None:
        await source.refresh(transport, PROFILE)

    with pytest.raises(GatewayError) as caught:
        _run(work)
    return caught.value


def test_a_refusal_is_a_401_naming_the_key_and_never_the_secret(
    mock: MockIdentity, account: tuple[dict[str, Any], GoogleAccount]
) -> None:
    mock.enqueue(Refuse(400, "invalid_grant", "Invalid JWT Signature."))
    error = _failure(_source(account[0], Clock()))
    assert error.status == 401 and error.code == "upstream_auth_failed"
    assert "'sa-key'" in error.message and "invalid_grant: Invalid JWT Signature." in error.message
    assert "eyJ" not in error.message  # no assertion
    mock.enqueue(Refuse(401, "invalid_client", f"secret {SECRET} is wrong"))
    grant = EntraGrant(mock.base_url + "/tenant-1/oauth2/v2.0/token", "app-id", SECRET, "s")
    error = _failure(OAuthTokenSource(grant, "entra-key", Clock()))
    assert error.status == 401 and SECRET not in error.message and "***" in error.message


def test_a_wrong_secret_is_refused_and_the_next_refresh_tries_again(mock: MockIdentity) -> None:
    scope = "https://cognitiveservices.azure.com/.default"
    wrong = EntraGrant(mock.base_url + "/tenant-1/oauth2/v2.0/token", "app-id", "nope", scope)
    error = _failure(OAuthTokenSource(wrong, "entra-key", Clock()))
    assert error.status == 401 and "AADSTS7000215" in error.message
    right = EntraGrant(wrong.url, "app-id", SECRET, scope)
    source = OAuthTokenSource(right, "entra-key", Clock())
    mock.enqueue(Refuse(503, "temporarily_unavailable", "busy"))
    assert _failure(source).status == 502

    async def work(transport: PyreqwestTransport) -> str:
        await source.refresh(transport, PROFILE)
        return source.token

    assert mock.accepts(_run(work))


def test_an_unreachable_identity_service_is_a_502() -> None:
    grant = EntraGrant(f"http://127.0.0.1:{free_port()}/t/oauth2/v2.0/token", "a", SECRET, "s")
    error = _failure(OAuthTokenSource(grant, "entra-key", Clock()))
    assert error.status == 502 and error.code == "upstream_auth_unavailable"
    assert "'entra-key'" in error.message and SECRET not in error.message
    with pytest.raises(RuntimeError, match="before refresh"):
        _ = OAuthTokenSource(grant, "entra-key").token


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("not json", "is not JSON"),
        ("[]", "must be a JSON object"),
        ('{"type": "authorized_user"}', "only service_account"),
        ('{"client_email": "a@b"}', "needs client_email and private_key"),
        ('{"client_email": "a@b", "private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA"}', "PEM"),
    ],
)
def test_bad_service_account_json_is_a_config_error_naming_the_key(raw: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as caught:
        service_account_grant(raw, "vertex-prod")
    assert "'vertex-prod'" in str(caught.value)
