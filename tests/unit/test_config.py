"""Config loading: Bifrost shape, env references, the env-var convention, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cloverleaf.config.load import ConfigError, load_config
from cloverleaf.config.server import ServerSettings, parse_duration, settings_from_env
from cloverleaf.providers.registry import BUILTIN, UnknownProviderError
from cloverleaf.routing.table import build_table


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_file_with_every_key_value_form(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.yaml",
        """
providers:
  openai:
    keys:
      - {name: literal, value: sk-literal, weight: 2}
      - {name: prefixed, value: env.K1}
      - {name: object, value: {env_var: K2, from_env: true}}
    network_config: {base_url: "http://127.0.0.1:9/", max_retries: 2}
""",
    )
    config = load_config(path, {"K1": "sk-one", "K2": "sk-two"}, BUILTIN)
    keys = config.providers["openai"].keys
    assert [k.value.value for k in keys] == ["sk-literal", "sk-one", "sk-two"]
    assert keys[1].value.env_var == "K1" and keys[2].value.from_env
    assert config.providers["openai"].network_config.base_url == "http://127.0.0.1:9"


def test_env_convention_adds_providers_and_urls() -> None:
    env = {"GROQ_API_KEY": "gsk-1", "VLLM_API_URL": "http://127.0.0.1:8000/v1"}
    config = load_config(None, env, BUILTIN)
    assert config.providers["groq"].keys[0].value.value == "gsk-1"
    table = build_table(config)
    vllm = table.routes["vllm"]
    assert vllm.keys[0].secret == ""  # keyless
    assert (
        vllm.url(vllm.keys[0], "/chat/completions") == "http://127.0.0.1:8000/v1/chat/completions"
    )


def test_base_url_with_or_without_the_api_prefix() -> None:
    for url in ("https://api.groq.com", "https://api.groq.com/openai/v1"):
        config = load_config(None, {"GROQ_API_KEY": "k", "GROQ_API_URL": url}, BUILTIN)
        route = build_table(config).routes["groq"]
        assert route.url(route.keys[0], "/chat/completions") == (
            "https://api.groq.com/openai/v1/chat/completions"
        )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '{"providers": {"openai": {"keys": [{"value": "x", "weight": -1}]}}}',
            "providers.openai.keys.0.weight",
        ),
        ('{"providers": {"openai": {"keys": [{"value": "env.NOPE"}]}}}', "NOPE is not set"),
        ('{"providers": {"openai": {"network_config": {"base_url": "ftp://x"}}}}', "base_url"),
        ('{"providers": {"openai": {"netwrk_config": {}}}}', "netwrk_config"),
        (
            '{"providers": {"openai": {"proxy_config": {"type": "carrier-pigeon"}}}}',
            "proxy_config.type",
        ),
        ('{"providers": [1]}', "providers"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, "c.json", text), {}, BUILTIN)
    assert fragment in str(caught.value)


def test_unknown_provider_and_custom_provider(tmp_path: Path) -> None:
    bad = load_config(_write(tmp_path, "a.json", '{"providers": {"acme": {}}}'), {}, BUILTIN)
    with pytest.raises(UnknownProviderError, match="acme"):
        build_table(bad)
    custom = load_config(
        _write(
            tmp_path,
            "b.json",
            '{"providers": {"acme": {"custom_provider_config": {"base_provider_type": "openai",'
            ' "is_key_less": true}, "network_config": {"base_url": "http://127.0.0.1:1"}}}}',
        ),
        {},
        BUILTIN,
    )
    route = build_table(custom).routes["acme"]
    assert route.spec.keyless and route.base_url == "http://127.0.0.1:1"


def test_check_config_cli(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.json", '{"providers": {"openai": {"keys": [{"value": "k"}]}}}')
    bad = _write(tmp_path, "bad.json", '{"providers": {"openai": {"keys": [{"weight": "heavy"}]}}}')
    ok = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "check-config", str(good)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "openai" in ok.stdout
    fail = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "check-config", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fail.returncode != 0
    assert "providers.openai.keys.0.weight" in fail.stderr
    version = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "version"], capture_output=True, text=True, check=False
    )
    assert version.stdout.startswith("cloverleaf ")


def test_durations_and_server_env() -> None:
    assert parse_duration("1m30s", "X") == 90.0
    assert parse_duration("500ms", "X") == 0.5
    assert parse_duration("12", "X") == 12.0
    with pytest.raises(ConfigError, match="SERVER_READ_TIMEOUT"):
        parse_duration("soon", "SERVER_READ_TIMEOUT")
    settings = settings_from_env({"SERVER_PORT": "9999", "SERVER_IDLE_TIMEOUT": "5s"}, port=None)
    assert settings.port == 9999 and settings.idle_timeout_s == 5.0
    assert settings_from_env({"SERVER_PORT": "1"}, port=2).port == 2


def test_non_loopback_bind_needs_an_admin_key() -> None:
    with pytest.raises(ConfigError, match="CLOVERLEAF_ADMIN_KEY"):
        ServerSettings(host="0.0.0.0").check_bind()
    ServerSettings(host="0.0.0.0", admin_key="a-long-admin-key").check_bind()
    ServerSettings(host="::1").check_bind()
