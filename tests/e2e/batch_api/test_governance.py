"""Virtual keys on Files/Batches calls: the key must be allowed the provider, a call counts one
request against the key's rate limit, a budget does not block it (nothing is reserved: a
batch's cost is unknown until it has run), and every call is one request-log row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.batch_api.conftest import BATCH_KEY, Upstreams, config
from tests.gateway_process import GatewayProcess
from tests.mocks.files_wire import FILES
from tests.storage.request_log_helpers import opened, rows_by_id


@pytest.fixture
def governed(
    mocks: Upstreams, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, Path]]:
    """Its own gateway: once a virtual key exists, every client must present one."""
    workdir: Path = tmp_path_factory.mktemp("batch_api_governed")
    with GatewayProcess(workdir, config(mocks)) as process:
        yield process, workdir


def _virtual_key(http: httpx.Client, configs: list[dict[str, Any]], **extra: Any) -> str:
    body = {"name": f"vk-{uuid.uuid4().hex[:8]}", "provider_configs": configs, **extra}
    made = http.post("/api/governance/virtual-keys", json=body)
    assert made.status_code == 200, made.text
    value: str = made.json()["virtual_key"]["value"]
    return value


def test_virtual_keys_on_files_and_batches(
    governed: tuple[GatewayProcess, Path], upstreams: Upstreams
) -> None:
    process, workdir = governed
    with httpx.Client(base_url=process.base_url, timeout=10) as http:
        azure_only = _virtual_key(http, [{"provider": "azure"}])
        pinned = _virtual_key(http, [{"provider": "openai", "key_ids": ["oai-main"]}])
        limit = {"request_max_limit": 2, "request_reset_duration": "1h"}
        twice = _virtual_key(http, [{"provider": "openai"}], rate_limit=limit)
        budget = {"max_limit": 0.000001, "reset_duration": "1d"}
        spent = _virtual_key(http, [{"provider": "openai"}], budget=budget)

        def get(path: str, key: str | None, request_id: str) -> httpx.Response:
            headers = {"x-request-id": request_id}
            if key is not None:
                headers["x-bf-vk"] = key
            return http.get(path, headers=headers)

        assert get("/v1/files", None, "bt-none").status_code == 401
        refused = get("/v1/files", azure_only, "bt-refused")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "provider_not_allowed"
        assert get("/v1/files?provider=azure", azure_only, "bt-azure").status_code == 200
        no_key = get("/v1/batches", pinned, "bt-pinned")
        assert no_key.status_code == 400
        assert no_key.json()["error"]["code"] == "no_batch_api_key"
        assert "among the keys this virtual key may use" in no_key.json()["error"]["message"]
        assert get("/v1/files", twice, "bt-1").status_code == 200
        assert get("/v1/batches", twice, "bt-2").status_code == 200
        limited = get("/v1/files", twice, "bt-3")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        # the budget is far below any priced call, and nothing is reserved against it
        assert get("/v1/batches", spent, "bt-budget").status_code == 200
    calls = FILES.calls
    assert [(c.path, c.api_key) for c in calls if c.api_key == BATCH_KEY] == [
        ("/v1/files", BATCH_KEY),
        ("/v1/batches", BATCH_KEY),
        ("/v1/batches", BATCH_KEY),
    ]
    assert len(calls) == 4  # and the azure listing
    process.stop()
    rows = asyncio.run(_log_rows(workdir / "data"))
    logged = {i: (r["provider"], r["status"]) for i, r in rows.items() if i.startswith("bt-")}
    assert logged == {
        "bt-azure": ("azure", 200),
        "bt-1": ("openai", 200),
        "bt-2": ("openai", 200),
        "bt-budget": ("openai", 200),
    }
    assert all(rows[i]["client_key_id"] for i in logged)


async def _log_rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    async with opened(None, data_dir, migrated=False) as engine:
        return await rows_by_id(engine)
