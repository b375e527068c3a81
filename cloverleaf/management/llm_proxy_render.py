"""Seed 003's answer shapes. A project's upstream key is shown redacted at most; errors carry
both seed 003 error shapes at once (`Error`: code, message; `ErrorResponse`: error, code)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.management.governance_render import when
from cloverleaf.management.render import redact_secret
from cloverleaf.storage.llm_proxy_repository import Project, ProjectToken, RevokeCounts

#: seed 003's `expires_at` is a required date-time; a token that never expires (created with
#: `expires_in_days: 0`) reports the last representable instant rather than breaking the schema
NEVER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_CODES = {400: "invalid_request", 401: "unauthorized", 404: "not_found", 500: "internal_error"}


def render_project(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "api_key": redact_secret(project.api_key),
        "is_active": project.is_active,
        "created_at": when(project.created_at),
        "updated_at": when(project.updated_at),
    }


def render_token(token: ProjectToken) -> dict[str, Any]:
    """Seed 003 shows the token value in every answer (and names tokens by it); `id` is ours,
    a second handle that is not a credential."""
    return {
        "id": token.id,
        "token": token.value,
        "project_id": token.project_id,
        "expires_at": when(token.expires_at or NEVER),
        "is_active": token.is_active,
        "request_count": token.request_count,
        "max_requests": token.max_requests,
        "created_at": when(token.created_at),
        "last_used_at": when(token.last_used_at) if token.last_used_at else None,
    }


def render_revoke(counts: RevokeCounts) -> dict[str, int]:
    return {
        "revoked_count": counts.revoked,
        "already_revoked_count": counts.already_revoked,
        "total_tokens": counts.total,
        "failed_count": 0,
    }


def render_error(error: GatewayError) -> bytes:
    code = error.code or _CODES.get(error.status, "error")
    return orjson.dumps({"error": error.message, "code": code, "message": error.message})
