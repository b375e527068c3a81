"""Run the real gateway as a subprocess on a loopback port, as a user would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

#: variables from the developer's shell that must not leak provider config into a test
_SCRUBBED_SUFFIXES = ("_API_KEY", "_API_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(_SCRUBBED_SUFFIXES)}
    for name in (
        "SERVER_HOST",
        "SERVER_PORT",
        "CLOVERLEAF_CONFIG",
        "CLOVERLEAF_ADMIN_KEY",
        # a developer's config store must never receive test data
        "CLOVERLEAF_DATABASE_URL",
        "CLOVERLEAF_MASTER_KEY",
        "CLOVERLEAF_REDIS_URL",
        "CLOVERLEAF_DATA_DIR",
        "CLOVERLEAF_MODEL_CATALOGUE",
        # a developer's OIDC setup would lock the tests out of their own gateway
        "ENABLE_AUTH",
        "OIDC_ISSUER_URL",
        "OIDC_CLIENT_ID",
    ):
        env.pop(name, None)
    env.update(extra or {})
    return env


class GatewayProcess:
    def __init__(
        self,
        workdir: Path,
        config: dict[str, Any] | None = None,
        *,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        config_name: str = "config.json",
        scheme: str = "http",
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.scheme = scheme
        self.base_url = f"{scheme}://127.0.0.1:{self.port}"
        self.log_path = workdir / f"gateway-{self.port}.log"
        command = [sys.executable, "-m", "cloverleaf", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(workdir / "data")]
        if config is not None:
            path = workdir / config_name
            path.write_text(json.dumps(config))
            command += ["--config", str(path)]
        self._command = command + (args or [])
        self._env = clean_env(env)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> GatewayProcess:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self._command, env=self._env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.logs()}")
            if self._healthy():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gateway did not become healthy:\n{self.logs()}")

    def _healthy(self) -> bool:
        if self.scheme != "http":
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False
        try:
            with urllib.request.urlopen(self.base_url + "/health", timeout=0.5) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self, timeout_s: float = 15.0) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
