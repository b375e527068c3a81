"""TLS on both sides and upstream proxies: the network_config and proxy_config knobs."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import MockOpenAI
from tests.tls import Pki, make_pki

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "over tls"}]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_upstream(pki: Pki) -> Iterator[MockOpenAI]:
    with MockOpenAI(tls=(str(pki.server_cert), str(pki.server_key))) as mock:
        yield mock


def _config(base_url: str, **network: Any) -> dict[str, Any]:
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-tls"}],
                "network_config": {"base_url": base_url, **network},
            }
        }
    }


def _ask(gateway: GatewayProcess, **client: Any) -> openai.types.chat.ChatCompletion:
    with openai.OpenAI(
        base_url=gateway.base_url + "/v1", api_key="x", max_retries=0, **client
    ) as sdk:
        return sdk.chat.completions.create(model="openai/gpt-4o", messages=USER)


def test_upstream_with_a_private_ca(tls_upstream: MockOpenAI, pki: Pki, tmp_path: Path) -> None:
    untrusted = _config(tls_upstream.base_url)
    with (
        GatewayProcess(tmp_path, untrusted) as gateway,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        _ask(gateway)
    assert caught.value.status_code == 502  # the certificate is not trusted

    trusted = _config(tls_upstream.base_url, ca_cert_pem=pki.ca_cert.read_text())
    with GatewayProcess(tmp_path, trusted) as gateway:
        assert _ask(gateway).choices[0].message.content == "echo: over tls"

    skip_verify = _config(tls_upstream.base_url, insecure_skip_verify=True)
    with GatewayProcess(tmp_path, skip_verify) as gateway:
        assert _ask(gateway).choices[0].message.content == "echo: over tls"


def test_gateway_serves_https(upstream: MockOpenAI, pki: Pki, tmp_path: Path) -> None:
    env = {"SERVER_TLS_CERT_PATH": str(pki.server_cert), "SERVER_TLS_KEY_PATH": str(pki.server_key)}
    with GatewayProcess(tmp_path, _config(upstream.base_url), env=env, scheme="https") as gateway:
        import httpx2  # the openai SDK's own HTTP client

        with httpx2.Client(verify=ssl.create_default_context(cafile=pki.ca_cert)) as http:
            answer = _ask(gateway, http_client=http)
    assert answer.choices[0].message.content == "echo: over tls"


class ForwardProxy:
    """A minimal HTTP forward proxy (absolute-form requests) that counts what it relays."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        server.close()
        loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, _, rest = head.partition(b"\r\n")
        method, target, version = request_line.split(b" ")
        self.requests.append(request_line)
        host_port = target.split(b"//", 1)[1].split(b"/", 1)[0].decode()
        path = b"/" + target.split(b"//", 1)[1].split(b"/", 1)[1]
        host, port = host_port.split(":")
        length = next(
            (
                int(line.split(b":")[1])
                for line in rest.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        body = await reader.readexactly(length)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        headers = b"\r\n".join(
            line for line in rest.split(b"\r\n") if line and not line.lower().startswith(b"proxy-")
        )
        up_writer.write(
            b"%s %s %s\r\n%s\r\nconnection: close\r\n\r\n%s"
            % (method, path, version, headers, body)
        )
        await up_writer.drain()
        writer.write(await up_reader.read())
        await writer.drain()
        up_writer.close()
        writer.close()


def test_requests_go_through_an_http_proxy(upstream: MockOpenAI, tmp_path: Path) -> None:
    with ForwardProxy() as proxy:
        config = _config(upstream.base_url)
        config["providers"]["openai"]["proxy_config"] = {
            "type": "http",
            "url": f"http://127.0.0.1:{proxy.port}",
        }
        with GatewayProcess(tmp_path, config) as gateway:
            assert _ask(gateway).choices[0].message.content == "echo: over tls"
    assert any(b"/v1/chat/completions" in line for line in proxy.requests)
    assert upstream.last_request.headers["authorization"] == "Bearer sk-tls"


class Socks5Proxy(ForwardProxy):
    """A minimal SOCKS5 (no auth, CONNECT) relay that records where it connected."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        writer.write(b"\x05\x00")  # no authentication
        _, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = ".".join(str(b) for b in await reader.readexactly(4))
        else:
            length = (await reader.readexactly(1))[0]
            host = (await reader.readexactly(length)).decode()
        port = int.from_bytes(await reader.readexactly(2), "big")
        assert version == 5 and command == 1
        self.requests.append(f"{host}:{port}".encode())
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big"))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()

        await asyncio.gather(
            pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True
        )


def test_requests_go_through_a_socks5_proxy(upstream: MockOpenAI, tmp_path: Path) -> None:
    with Socks5Proxy() as proxy:
        config = _config(upstream.base_url)
        config["providers"]["openai"]["proxy_config"] = {
            "type": "socks5",
            "url": f"127.0.0.1:{proxy.port}",
        }
        with GatewayProcess(tmp_path, config) as gateway:
            assert _ask(gateway).choices[0].message.content == "echo: over tls"
    assert proxy.requests and set(proxy.requests) == {f"127.0.0.1:{upstream.port}".encode()}
