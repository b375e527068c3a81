"""Where a forwarded legacy completion goes: `/completions` under the OpenAI family's prefix,
Azure's deployment path with its pinned api-version, a custom provider's path override."""

from __future__ import annotations

import json
from pathlib import Path

from cloverleaf.config.load import load_config
from cloverleaf.pipeline.completions import completions_url, forwards
from cloverleaf.providers.registry import BUILTIN
from cloverleaf.routing.table import RoutingTable, build_table


def _table(tmp_path: Path) -> RoutingTable:
    providers = {
        "openai": {"keys": [{"value": "sk"}], "network_config": {"base_url": "http://o.test"}},
        "azure": {
            "keys": [
                {
                    "value": "az",
                    "aliases": {"gpt-35-turbo-instruct": "my instruct"},
                    "azure_key_config": {"endpoint": "http://a.test", "api_version": "2024-06-01"},
                }
            ]
        },
        "acme": {
            "custom_provider_config": {
                "base_provider_type": "openai",
                "request_path_overrides": {"text_completion": "/engine/complete"},
            },
            "keys": [{"value": "sk"}],
            "network_config": {"base_url": "http://acme.test"},
        },
        "anthropic": {"keys": [{"value": "sk"}]},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"providers": providers}))
    return build_table(load_config(path, {}, BUILTIN))


def test_urls(tmp_path: Path) -> None:
    table = _table(tmp_path)
    for name, model, want in [
        ("openai/gpt-3.5-turbo-instruct", "gpt-3.5-turbo-instruct", "http://o.test/v1/completions"),
        (
            "azure/gpt-35-turbo-instruct",
            "my instruct",
            "http://a.test/openai/deployments/my%20instruct/completions?api-version=2024-06-01",
        ),
        ("acme/x", "x", "http://acme.test/engine/complete"),
    ]:
        target = table.resolve(name)
        key = target.route.keys[0]
        assert forwards(target)
        assert completions_url(target.route, key, model, stream=False) == want


def test_other_dialects_are_translated(tmp_path: Path) -> None:
    assert not forwards(_table(tmp_path).resolve("anthropic/claude-sonnet-4-5"))
