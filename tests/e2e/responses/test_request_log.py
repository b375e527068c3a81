"""Every Responses call is one request-log row of type `responses` with the usage the client
was told, forwarded or translated, whole or streamed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
from openai.types.responses import Response

from tests.e2e.responses.conftest import Mocks
from tests.gateway_process import GatewayProcess
from tests.management.backends import backend_env
from tests.storage.request_log_helpers import opened, rows_by_id


def _ask(sdk: openai.OpenAI, request_id: str, model: str, stream: bool) -> Response:
    headers = {"X-Request-ID": request_id}
    if not stream:
        return sdk.responses.create(model=model, input="log me", extra_headers=headers)
    with sdk.responses.stream(model=model, input="log me", extra_headers=headers) as events:
        return events.get_final_response()


def test_rows_carry_the_responses_type_and_usage(
    mocks: Mocks, upstreams: Mocks, tmp_path: Path
) -> None:
    config = {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, "max_retries": 0},
            },
            "anthropic": {
                "keys": [{"value": "sk-ant"}],
                "network_config": {"base_url": mocks.anthropic.base_url, "max_retries": 0},
            },
        }
    }
    told = {}
    with backend_env("sqlite") as env:
        gateway = GatewayProcess(tmp_path, config, env=env)
        with gateway, openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="sk") as sdk:
            for provider, model in (("openai", "gpt-4o-mini"), ("anthropic", "claude-mock")):
                for stream in (False, True):
                    request_id = f"responses-{provider}-{stream}"
                    answer = _ask(sdk, request_id, f"{provider}/{model}", stream)
                    assert answer.usage is not None
                    told[request_id] = (provider, model, stream, answer.usage)
        rows = asyncio.run(_rows(env.get("CLOVERLEAF_DATABASE_URL"), tmp_path / "data"))
    for request_id, (provider, model, stream, usage) in told.items():
        row = rows[request_id]
        assert row["request_type"] == "responses"
        assert (row["provider"], row["model"], row["stream"]) == (provider, model, stream)
        assert (row["prompt_tokens"], row["completion_tokens"]) == (
            usage.input_tokens,
            usage.output_tokens,
        )


async def _rows(url: str | None, data_dir: Path) -> dict[str, dict[str, object]]:
    async with opened(url, data_dir, migrated=False) as engine:
        return await rows_by_id(engine)
