"""The admin credential for management routes (API.md §3).

A request needs `Authorization: Bearer <credential>`, where the credential is
`CLOVERLEAF_ADMIN_KEY` (compared in constant time) or, with `ENABLE_AUTH=true`, a JWT from the
OIDC issuer; both work side by side. With neither configured, management is open to loopback
clients only; the server refuses a non-loopback bind in that case, so this is never the only
line of defence.
"""

from __future__ import annotations

import hmac

from cloverleaf.config.server import is_loopback
from cloverleaf.core.errors import GatewayError
from cloverleaf.server.asgi import HttpRequest
from cloverleaf.server.oidc import OidcVerifier

_CHALLENGE = (("www-authenticate", 'Bearer realm="cloverleaf-admin"'),)


def bearer_token(request: HttpRequest) -> bytes | None:
    """The credential of an `Authorization: Bearer ...` header, if there is one."""
    header = request.headers.get(b"authorization", b"")
    scheme, _, token = header.partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


class AdminAuth:
    def __init__(self, admin_key: str | None, oidc: OidcVerifier | None = None) -> None:
        self._key = admin_key.encode() if admin_key else None
        self._oidc = oidc

    async def check(self, request: HttpRequest) -> GatewayError | None:
        """None when the request may proceed; otherwise the 401/403/503 to answer with."""
        if self._key is None and self._oidc is None:
            client = request.scope.get("client")
            if client is not None and is_loopback(str(client[0])):
                return None
            return GatewayError(
                403,
                "management is open to localhost only while CLOVERLEAF_ADMIN_KEY is not set",
                type="permission_denied",
                code="admin_local_only",
            )
        token = bearer_token(request)
        if token is None:
            wanted = "admin key" if self._oidc is None else "admin key or OIDC token"
            return GatewayError(
                401,
                f"management routes need Authorization: Bearer <{wanted}>",
                type="authentication_error",
                code="admin_key_required",
                headers=_CHALLENGE,
            )
        if self._key is not None and hmac.compare_digest(token, self._key):
            return None
        if self._oidc is not None and (self._key is None or token.count(b".") == 2):
            try:
                await self._oidc.verify(token.decode("ascii", "replace"))
            except GatewayError as error:
                return error
            return None
        return GatewayError(
            401,
            "the admin key is not valid"
            if self._oidc is None
            else "the bearer token is neither the admin key nor a JWT",
            type="authentication_error",
            code="invalid_admin_key",
            headers=_CHALLENGE,
        )
