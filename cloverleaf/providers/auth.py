"""Turn an upstream key into request headers, by the provider's auth style."""

from __future__ import annotations

from cloverleaf.providers.spec import AuthStyle, ProviderSpec


def auth_headers(spec: ProviderSpec, secret: str) -> list[tuple[str, str]]:
    """The provider's fixed headers plus the key where it wants it; a keyless call sends none."""
    headers = list(spec.default_headers)
    if not secret:
        return headers
    if spec.auth is AuthStyle.BEARER:
        headers.append(("authorization", f"Bearer {secret}"))
    else:
        headers.append((spec.auth.value, secret))
    return headers
