"""Client credentials on inference routes: the virtual key a request presents, or why it is
refused. Only the in-memory snapshot is read; the stored hash is compared in constant
time (`GovernanceSnapshot.find_key`)."""

from __future__ import annotations

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.models import GovernanceSnapshot, VirtualKey


def unauthorized(message: str, code: str = "invalid_api_key") -> GatewayError:
    return GatewayError(401, message, type="authentication_error", code=code)


def find_virtual_key(
    snapshot: GovernanceSnapshot, candidates: list[str], required: bool
) -> VirtualKey | GatewayError | None:
    """The presented virtual key; a 401 when one is required and none is valid, or when the
    key found is inactive; None when keys are optional and none was presented."""
    for value in candidates:
        key = snapshot.find_key(value)
        if key is None:
            continue
        if not key.is_active:
            return unauthorized(f"virtual key {key.name!r} is inactive", "virtual_key_inactive")
        return key
    if not required:
        return None
    if not candidates:
        return unauthorized(
            "this gateway needs a client key: send it as Authorization: Bearer, x-api-key, "
            "x-goog-api-key, ?key= or x-bf-vk"
        )
    return unauthorized("invalid client key")
