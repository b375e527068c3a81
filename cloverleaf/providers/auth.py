"""Turn an upstream credential into request headers, by the provider's auth style."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cloverleaf.core.errors import GatewayError
from cloverleaf.providers.aws_sigv4 import sign
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

Headers = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    access_key: str
    secret_key: str
    region: str
    session_token: str | None = None

    def __repr__(self) -> str:  # never the keys
        return f"AwsCredentials(region={self.region!r})"


@dataclass(frozen=True, slots=True)
class Credential:
    """What one upstream key authenticates with: a secret, or AWS credentials to sign with.

    `bearer`: the secret is an OAuth access token (Vertex, Entra ID), which always goes in
    `Authorization: Bearer`, whatever header the provider's static keys use (Azure's `api-key`).
    """

    name: str
    secret: str
    aws: AwsCredentials | None = None
    bearer: bool = False

    def __repr__(self) -> str:  # never the secret
        return f"Credential(name={self.name!r}, bearer={self.bearer})"


def auth_headers(
    spec: ProviderSpec,
    credential: Credential,
    *,
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
) -> Headers:
    """The provider's fixed headers plus the credential where it wants it.

    `headers` are the other headers that will be sent: request signing covers them. A keyless
    call sends no credential at all.
    """
    out = list(spec.default_headers)
    if spec.auth is AuthStyle.SIGV4:
        aws = credential.aws
        if aws is None:
            raise GatewayError(
                500,
                f"key {credential.name!r} of provider {spec.name} has no bedrock_key_config "
                "access_key/secret_key",
                type="server_error",
                code="provider_misconfigured",
            )
        return out + sign(
            method,
            url,
            [*headers, *out],
            body,
            access_key=aws.access_key,
            secret_key=aws.secret_key,
            session_token=aws.session_token,
            region=aws.region,
            now=datetime.now(UTC),
        )
    if not credential.secret:
        return out
    if credential.bearer or spec.auth is AuthStyle.BEARER:
        out.append(("authorization", f"Bearer {credential.secret}"))
    else:
        out.append((spec.auth.value, credential.secret))
    return out
