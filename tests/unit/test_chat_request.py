"""What the gateway forwards: the client's own bytes unless something must change."""

from __future__ import annotations

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.request import BodyRewrite, parse_chat_request, upstream_body

RAW = b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"seed":7}'


def test_unchanged_body_is_forwarded_as_the_same_bytes() -> None:
    chat = parse_chat_request(RAW)
    assert upstream_body(chat, BodyRewrite(model="gpt-4o")) is RAW


def test_model_rewrite_keeps_every_other_field() -> None:
    chat = parse_chat_request(RAW)
    out = orjson.loads(upstream_body(chat, BodyRewrite(model="gpt-4o-2024-08-06")))
    assert out == {**orjson.loads(RAW), "model": "gpt-4o-2024-08-06"}


def test_stream_usage_is_added_and_gateway_fields_removed() -> None:
    raw = b'{"model":"m","stream":true,"stream_options":{"x":1},"fallbacks":["a/b"],"messages":[{"role":"user","content":"x"}]}'
    chat = parse_chat_request(raw)
    assert chat.fallbacks == ("a/b",) and chat.stream and not chat.wants_stream_usage
    out = orjson.loads(upstream_body(chat, BodyRewrite(model="m", add_stream_usage=True)))
    assert out["stream_options"] == {"x": 1, "include_usage": True}
    assert "fallbacks" not in out


def test_provider_quirks_rename_drop_and_clean_history() -> None:
    raw = orjson.dumps(
        {
            "model": "m",
            "seed": 1,
            "service_tier": "auto",
            "messages": [{"role": "assistant", "content": "a", "reasoning_content": "r"}],
        }
    )
    rewrite = BodyRewrite(
        model="m",
        renamed=(("seed", "random_seed"),),
        dropped=frozenset({"service_tier"}),
        dropped_message_fields=frozenset({"reasoning_content"}),
    )
    out = orjson.loads(upstream_body(parse_chat_request(raw), rewrite))
    assert out == {
        "model": "m",
        "random_seed": 1,
        "messages": [{"role": "assistant", "content": "a"}],
    }


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1,2]", "JSON object"),
        (b'{"messages":[{"role":"user","content":"x"}]}', "model is required"),
        (b'{"model":"m","messages":[]}', "messages must be a non-empty array"),
        (b'{"model":"m","messages":[{}],"stream":"yes"}', "stream must be a boolean"),
        (b'{"model":"m","messages":[{}],"fallbacks":[1]}', "fallback"),
    ],
)
def test_bad_requests_name_the_problem(raw: bytes, fragment: str) -> None:
    with pytest.raises(GatewayError) as caught:
        parse_chat_request(raw)
    assert caught.value.status == 400
    assert fragment in caught.value.message
