"""The LLM Proxy project a request was admitted with, reachable from the routing layer without
threading it through every call: a context variable, set by the dispatcher for requests that
present a project token. Its upstream key replaces the provider's for `openai` targets."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

#: the provider a project's upstream key is for (LLM Proxy proxies OpenAI)
PROJECT_PROVIDER = "openai"


@dataclass(frozen=True, slots=True)
class ProjectGrant:
    """What an accepted token gives the request: the key to call OpenAI with (never shown)."""

    token_id: str
    project_id: str
    upstream_key: str = field(repr=False)

    @property
    def key_id(self) -> str:
        """The upstream key's id in records and logs: names the project, never the secret."""
        return f"llm-proxy:{self.project_id}"


GRANT: ContextVar[ProjectGrant | None] = ContextVar("cloverleaf_project_grant", default=None)
