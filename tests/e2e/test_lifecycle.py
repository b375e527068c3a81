"""Process-level behaviour: config from env or YAML, graceful drain, refusing unsafe binds."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
import yaml
from openai.types.chat import ChatCompletionMessageParam

from tests.gateway_process import GatewayProcess, clean_env
from tests.mocks.openai_upstream import MockOpenAI, SlowStream
from tests.services import REDIS_URL, require_redis

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi from env"}]


def test_provider_from_environment_variables(upstream: MockOpenAI, tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-from-env", "OPENAI_API_URL": upstream.base_url + "/v1"}
    with (
        GatewayProcess(tmp_path, env=env) as gateway,
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="unused", max_retries=0) as client,
    ):
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert answer.choices[0].message.content == "echo: hi from env"
    assert upstream.last_request.headers["authorization"] == "Bearer sk-from-env"


def test_yaml_config_with_env_reference(upstream: MockOpenAI, tmp_path: Path) -> None:
    config = {
        "providers": {
            "openai": {
                "keys": [{"name": "k", "value": "env.MY_UPSTREAM_KEY"}],
                "network_config": {
                    "base_url": upstream.base_url,
                    "extra_headers": {"x-team": "blue"},
                },
            }
        }
    }
    path = tmp_path / "cloverleaf.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {"MY_UPSTREAM_KEY": "sk-yaml-env"}
    with (
        GatewayProcess(tmp_path, env=env, args=["--config", str(path)]) as gateway,
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="unused", max_retries=0) as client,
    ):
        client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert upstream.last_request.headers["authorization"] == "Bearer sk-yaml-env"
    assert upstream.last_request.headers["x-team"] == "blue"


def test_sigterm_drains_a_stream_in_flight(upstream: MockOpenAI, tmp_path: Path) -> None:
    upstream.enqueue(SlowStream(interval=0.05, chunks=30))
    config = {
        "providers": {
            "openai": {"keys": [{"value": "k"}], "network_config": {"base_url": upstream.base_url}}
        }
    }
    gateway = GatewayProcess(tmp_path, config).start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
        body = b'{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}'
        conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.readline().startswith(b"data: ")
        gateway.signal(signal.SIGTERM)
        rest = response.read()  # the stream runs to its natural end
        conn.close()
        assert rest.rstrip().endswith(b"data: [DONE]")
        assert rest.count(b"tick") >= 28
        with pytest.raises(OSError):  # no new connections while draining / after exit
            socket.create_connection(("127.0.0.1", gateway.port), timeout=1).close()
        # uvicorn re-raises the captured SIGTERM after a clean shutdown: "terminated by SIGTERM"
        assert gateway.process is not None and gateway.process.wait(10) == -signal.SIGTERM
        assert "Traceback" not in gateway.logs()
    finally:
        gateway.stop()


def test_non_loopback_bind_without_admin_key_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "CLOVERLEAF_ADMIN_KEY" in result.stderr


def test_bad_config_stops_startup_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"providers": {"openai": {"network_config": {"max_retries": "many"}}}}')
    result = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "serve", "--port", "1", "--config", str(path)],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "providers.openai.network_config.max_retries" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_workers_serve_requests(upstream: MockOpenAI, tmp_path: Path) -> None:
    require_redis()  # several workers need shared counters (in-memory ones are refused)
    env = {"CLOVERLEAF_REDIS_URL": REDIS_URL, "CLOVERLEAF_COUNTERS_PREFIX": f"t-{tmp_path.name}"}
    config = {
        "providers": {
            "openai": {"keys": [{"value": "k"}], "network_config": {"base_url": upstream.base_url}}
        }
    }
    with (
        GatewayProcess(tmp_path, config, env=env, args=["--workers", "2"]) as gateway,
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="unused", max_retries=0) as client,
    ):
        for _ in range(10):
            answer = client.chat.completions.create(model="openai/gpt-4o", messages=USER)
            assert answer.choices[0].message.content == "echo: hi from env"
        deadline = time.monotonic() + 15  # the second worker may finish starting a little later
        while gateway.logs().count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gateway.logs().count("Started server process") == 2
