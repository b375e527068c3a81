"""The admin credential for management routes (API.md §3).

With `CLOVERLEAF_ADMIN_KEY` set, a request needs `Authorization: Bearer <key>` (compared in
constant time). Without it, management is open to loopback clients only; the server refuses a
non-loopback bind in that case, so this is never the only line of defence.
"""

from __future__ import annotations

import hmac

from cloverleaf.config.server import is_loopback
from cloverleaf.core.errors import GatewayError
from cloverleaf.server.asgi import HttpRequest

_CHALLENGE = (("www-authenticate", 'Bearer realm="cloverleaf-admin"'),)


class AdminAuth:
    def __init__(self, admin_key: str | None) -> None:
        self._key = admin_key.encode() if admin_key else None

    def check(self, request: HttpRequest) -> GatewayError | None:
        """None when the request may proceed; otherwise the 401/403 to answer with."""
        if self._key is None:
            client = request.scope.get("client")
            if client is not None and is_loopback(str(client[0])):
                return None
            return GatewayError(
                403,
                "management is open to localhost only while CLOVERLEAF_ADMIN_KEY is not set",
                type="permission_denied",
                code="admin_local_only",
            )
        header = request.headers.get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            return GatewayError(
                401,
                "management routes need Authorization: Bearer <admin key>",
                type="authentication_error",
                code="admin_key_required",
                headers=_CHALLENGE,
            )
        if not hmac.compare_digest(token.strip(), self._key):
            return GatewayError(
                401,
                "the admin key is not valid",
                type="authentication_error",
                code="invalid_admin_key",
                headers=_CHALLENGE,
            )
        return None
