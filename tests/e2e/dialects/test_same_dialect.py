"""Same dialect in and out: the client's own fields reach the provider untouched."""

from __future__ import annotations

import json
import urllib.request

from tests.e2e.dialects.upstreams import Upstream
from tests.gateway_process import GatewayProcess


def _post(url: str, body: dict[str, object], headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, response.read()


def test_anthropic_prompt_cache_markers_reach_anthropic(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["anthropic"].mock
    mock.reset()
    system = [{"type": "text", "text": "long policy", "cache_control": {"type": "ephemeral"}}]
    body = {
        "model": "anthropic/claude-mock",
        "max_tokens": 50,
        "system": system,
        "metadata": {"user_id": "u-1"},
        "messages": [{"role": "user", "content": "hello"}],
    }
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    status, answer = _post(gateway.base_url + "/v1/messages", body, headers)
    assert status == 200 and json.loads(answer)["content"][0]["text"] == "echo: hello"
    sent = mock.requests[-1].json
    assert sent == {**body, "model": "claude-mock"}  # everything else exactly as the client sent it


def test_gemini_fields_reach_gemini_without_url_fields(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["gemini"].mock
    mock.reset()
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    }
    url = gateway.base_url + "/v1beta/models/gemini/gemini-2.5-flash:generateContent"
    status, answer = _post(url, body, {"content-type": "application/json"})
    assert status == 200
    assert json.loads(answer)["candidates"][0]["content"]["parts"][0]["text"] == "echo: hello"
    assert mock.requests[-1].json == body
    assert mock.requests[-1].path.endswith("/models/gemini-2.5-flash:generateContent")
