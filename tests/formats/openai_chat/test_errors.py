"""Upstream error bodies the OpenAI-compatible family reads: Cloudflare's v4 envelope on its
`/v1` surface must give the client the upstream's words, whatever the status."""

from __future__ import annotations

import orjson
import pytest

from cloverleaf.formats.openai_chat.errors import render_error, upstream_error


def _envelope(*errors: object) -> bytes:
    return orjson.dumps({"result": None, "success": False, "errors": list(errors), "messages": []})


@pytest.mark.parametrize(
    ("status", "type_"),
    [(400, "invalid_request_error"), (429, "rate_limit_error"), (500, "server_error")],
)
def test_cloudflare_envelope_gives_the_first_errors_message_and_code(
    status: int, type_: str
) -> None:
    body = _envelope({"code": 7000, "message": "No route"}, {"code": 1, "message": "second"})
    error = upstream_error(status, body, "cloudflare")
    assert (error.status, error.message, error.code, error.type) == (
        status,
        "No route",
        "7000",
        type_,
    )
    rendered = orjson.loads(render_error(error))["error"]
    assert rendered == {"message": "No route", "type": type_, "param": None, "code": "7000"}


def test_an_envelope_error_that_is_plain_text_is_the_message() -> None:
    error = upstream_error(502, _envelope("capacity exceeded"), "cloudflare")
    assert (error.message, error.code) == ("capacity exceeded", None)


def test_an_empty_errors_list_falls_back_to_the_status() -> None:
    error = upstream_error(503, _envelope(), "cloudflare")
    assert error.message == "upstream returned HTTP 503" and error.type == "server_error"


def test_openai_error_object_still_wins_over_an_errors_list() -> None:
    body = orjson.dumps({"error": {"message": "openai words"}, "errors": [{"message": "other"}]})
    assert upstream_error(400, body, "p").message == "openai words"
