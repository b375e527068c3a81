"""Through the real gateway process: every chat request, streamed or not, is one request-log
row with its usage once the gateway has shut down, on each config-store backend."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.e2e.conftest import standard_config
from tests.gateway_process import GatewayProcess
from tests.management.backends import BACKENDS, backend_env
from tests.mocks.openai_upstream import MockOpenAI
from tests.storage.request_log_helpers import opened, rows_by_id

REQUESTS = 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_request_is_one_row_with_usage_after_shutdown(
    backend: str, upstream: MockOpenAI, tmp_path: Path
) -> None:
    with backend_env(backend) as env:
        gateway = GatewayProcess(tmp_path, standard_config(upstream.base_url), env=env)
        seen: dict[str, tuple[bool, int, int]] = {}
        with (
            gateway,
            openai.OpenAI(
                base_url=gateway.base_url + "/v1", api_key="sk-client", max_retries=0, timeout=10
            ) as client,
        ):
            for n in range(REQUESTS):
                request_id = f"log-{backend}-{n}"
                words = " ".join(["word"] * (n + 1))
                seen[request_id] = _chat(client, request_id, words, stream=n % 2 == 1)
        assert "Application shutdown complete" in gateway.logs()  # SIGTERM, drained, stopped
        rows = asyncio.run(_rows(env.get("CLOVERLEAF_DATABASE_URL"), tmp_path / "data"))
    assert set(rows) == set(seen)
    for request_id, (stream, prompt, completion) in seen.items():
        row = rows[request_id]
        assert (row["provider"], row["model"], row["status"]) == ("openai", "gpt-4o-mini", 200)
        assert row["stream"] is stream
        assert (row["prompt_tokens"], row["completion_tokens"]) == (prompt, completion)
        assert row["total_tokens"] == prompt + completion
        assert row["finished_at_ms"] > 0 and row["remote_ms"] >= 0


def _chat(
    client: openai.OpenAI, request_id: str, text: str, *, stream: bool
) -> tuple[bool, int, int]:
    """One request; the usage the client was told, to compare with the logged row."""
    messages: Any = [{"role": "user", "content": text}]
    headers = {"X-Request-ID": request_id}
    if not stream:
        answer = client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=messages, extra_headers=headers
        )
        assert answer.usage is not None
        return False, answer.usage.prompt_tokens, answer.usage.completion_tokens
    chunks = list(
        client.chat.completions.create(
            model="openai/gpt-4o-mini",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers,
        )
    )
    usage = chunks[-1].usage
    assert usage is not None
    return True, usage.prompt_tokens, usage.completion_tokens


async def _rows(url: str | None, data_dir: Path) -> dict[str, dict[str, Any]]:
    async with opened(url, data_dir, migrated=False) as engine:
        return await rows_by_id(engine)
