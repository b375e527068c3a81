"""Model ids, refusals, failed predictions, errors, and encoder → decoder round trips."""

from __future__ import annotations

import itertools
from dataclasses import replace

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    ResponseFormat,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    Tool,
    ToolChoice,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.replicate import ModelRef, ReplicateDialect, parse_model, prediction_path
from tests.formats.fixtures import decode_split, every_split, merge_text, to_json

DIALECT: ChatDialect = ReplicateDialect()
MODEL = "meta/meta-llama-3-70b-instruct"
VERSION = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
USER = (Message("user", (TextPart("hi"),)),)


@pytest.mark.parametrize(
    ("model", "ref", "path"),
    [
        (
            MODEL,
            ModelRef("model", "meta", "meta-llama-3-70b-instruct"),
            f"/models/{MODEL}/predictions",
        ),
        (
            f"meta/llama-2:{VERSION}",
            ModelRef("version", "meta", "llama-2", VERSION),
            "/predictions",
        ),
        (VERSION, ModelRef("version", version=VERSION), "/predictions"),
        (
            "deployments/acme/my-llm",
            ModelRef("deployment", "acme", "my-llm"),
            "/deployments/acme/my-llm/predictions",
        ),
    ],
)
def test_model_ids_name_their_endpoint(model: str, ref: ModelRef, path: str) -> None:
    assert parse_model(model) == ref
    assert prediction_path(model, stream=True) == prediction_path(model, stream=False) == path


@pytest.mark.parametrize(
    "model", ["llama", "a/b/c", "/name", "owner/", "deployments/acme/x:v1", "owner/name:", "a b/c"]
)
def test_unroutable_model_ids_are_400_naming_model(model: str) -> None:
    with pytest.raises(GatewayError) as caught:
        prediction_path(model, stream=False)
    assert (caught.value.status, caught.value.param) == (400, "model")


WEATHER = Tool("get_weather", "Weather", {"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"tools": (WEATHER,)}, "tools"),
        ({"tools": (WEATHER,), "tool_choice": ToolChoice("required")}, "tool_choice"),
        ({"tool_choice": ToolChoice("function", "get_weather")}, "tool_choice"),
        ({"response_format": ResponseFormat("json_schema", {"type": "object"})}, "response_format"),
        ({"response_format": ResponseFormat("json_object")}, "response_format"),
        ({"stop": ("a,b",)}, "stop"),
        ({"reasoning": Reasoning(effort="high")}, "reasoning_effort"),
        ({"reasoning": Reasoning(budget_tokens=4096)}, "reasoning_effort"),
        (
            {"messages": (Message("user", (TextPart("see"), ImagePart(url="https://x/i.png"))),)},
            "messages[0].content[1]",
        ),
    ],
)
def test_what_cannot_be_honoured_is_refused_naming_the_parameter(
    change: dict[str, object], param: str
) -> None:
    request = replace(ChatRequest(MODEL, USER), **change)  # type: ignore[arg-type]
    with pytest.raises(GatewayError) as caught:
        DIALECT.encode_request(request, MODEL)
    assert (caught.value.status, caught.value.param) == (400, param)


def test_uncallable_tools_are_dropped_and_text_formats_and_no_reasoning_pass() -> None:
    request = ChatRequest(
        MODEL,
        USER,
        tools=(WEATHER,),
        tool_choice=ToolChoice("none"),
        response_format=ResponseFormat("text"),
        reasoning=Reasoning(effort="none"),
    )
    assert DIALECT.encode_request(request, MODEL) == {"input": {"prompt": "hi"}}


def _prediction(**fields: object) -> bytes:
    return orjson.dumps({"id": "p1", "model": MODEL, "status": "succeeded", **fields})


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"status": "failed", "error": "CUDA out of memory"},
            "prediction_failed",
            "CUDA out of memory",
        ),
        ({"status": "failed", "error": None}, "prediction_failed", "the prediction failed"),
        (
            {"status": "canceled"},
            "prediction_canceled",
            "the prediction was canceled before it finished",
        ),
        (
            {"status": "processing"},
            "prediction_unfinished",
            "the prediction has not finished (status 'processing')",
        ),
    ],
)
def test_unsuccessful_predictions_are_502(
    fields: dict[str, object], code: str, message: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_response(_prediction(**fields))
    assert (caught.value.status, caught.value.code, caught.value.message) == (502, code, message)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_unreadable_prediction_is_502(body: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_response(body)
    assert caught.value.status == 502


def test_non_text_output_is_kept_as_json_text_and_missing_metrics_are_zero() -> None:
    core = DIALECT.decode_response(_prediction(output=[{"label": "cat"}]))
    assert core.message.text() == '[{"label":"cat"}]'
    assert core.usage == Usage() and core.finish_reason is FinishReason.STOP
    assert DIALECT.decode_response(_prediction(output=None)).message.content == ()


def test_problem_json_errors() -> None:
    body = orjson.dumps(
        {
            "title": "Input validation failed",
            "detail": "- input.prompt: Invalid type. Expected: string, given: integer",
            "status": 422,
            "invalid_fields": [{"type": "type", "field": "input.prompt", "description": "x"}],
        }
    )
    error = DIALECT.parse_error(422, body, "replicate")
    assert error.message == (
        "Input validation failed: - input.prompt: Invalid type. Expected: string, given: integer"
    )
    assert (error.status, error.param, error.provider) == (422, "input.prompt", "replicate")
    limited = DIALECT.parse_error(
        429,
        b'{"title":"Request was throttled.","detail":"Request was throttled.","status":429}',
        "r",
    )
    assert (limited.message, limited.type) == ("Request was throttled.", "rate_limit_error")
    assert DIALECT.parse_error(404, b'{"detail":"Not found."}', "r").message == "Not found."


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"Bad Gateway", "Bad Gateway"), (b"", "upstream returned HTTP 502"),
     (b'{"error":{"message":"proxy says no"}}', "proxy says no")],
)  # fmt: skip
def test_other_error_bodies_still_read(body: bytes, message: str) -> None:
    assert DIALECT.parse_error(502, body, "replicate").message == message


def _decode_all(stream: bytes, cuts: list[int]) -> tuple[list[StreamEvent], GatewayError | None]:
    decoder = DIALECT.stream_decoder()
    events: list[StreamEvent] = []
    bounds = [0, *cuts, len(stream)]
    try:
        for start, end in itertools.pairwise(bounds):
            events.extend(decoder.feed(stream[start:end]))
        events.extend(decoder.close())
    except GatewayError as error:
        return events, error
    return events, None


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (b'event: error\nid: 2\ndata: {"detail":"CUDA out of memory"}\n\n', "prediction_failed"),
        (b'event: done\nid: 2\ndata: {"reason":"canceled"}\n\n', "prediction_canceled"),
        (b"", "stream_truncated"),
    ],
)
def test_stream_failures_after_text_at_every_byte_boundary(tail: bytes, code: str) -> None:
    stream = b"event: output\nid: 1\ndata: partial answer\n\n" + tail
    for cuts in every_split(stream):
        events, error = _decode_all(stream, cuts)
        assert error is not None and (error.status, error.code) == (502, code), cuts
        assert to_json(merge_text(events)) == to_json(
            [StreamStart("", ""), TextDelta("partial answer")]
        ), cuts
    events, error = _decode_all(stream, [])
    if code == "prediction_failed":
        assert error is not None and error.message == "CUDA out of memory"


def test_empty_stream_is_an_error() -> None:
    events, error = _decode_all(b"", [])
    assert events == [] and error is not None and error.code == "stream_truncated"


# -- client side: what a Replicate client would send and read ---------------------------------


def test_create_body_round_trips_through_the_client_side() -> None:
    request = ChatRequest(
        MODEL,
        (Message("system", (TextPart("Be brief."),)), *USER),
        stream=True,
        max_tokens=9,
        temperature=0.5,
        top_k=3,
        stop=("END", "STOP"),
        seed=1,
    )
    back = DIALECT.decode_request(DIALECT.encode_request(request, VERSION))
    assert back == replace(request, model=VERSION)
    own = replace(back, extra={"prompt_template": "{prompt}"}, source="replicate")
    assert DIALECT.encode_request(own, MODEL)["input"]["prompt_template"] == "{prompt}"


@pytest.mark.parametrize("body", [{}, {"input": []}, {"input": {"prompt": 3}}])
def test_malformed_create_bodies_are_400(body: dict[str, object]) -> None:
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_request(body)
    assert caught.value.status == 400 and caught.value.param in ("input", "input.prompt")


def test_response_round_trip() -> None:
    response = ChatResponse(
        "p9", MODEL, Message("assistant", (TextPart("hello"),)), FinishReason.STOP, Usage(3, 1, 4)
    )
    assert DIALECT.decode_response(DIALECT.encode_response(response)) == response


def test_stream_encoder_output_decodes_back_at_every_byte_boundary() -> None:
    encoder = DIALECT.stream_encoder(ChatRequest(MODEL, USER, stream=True))
    events: list[StreamEvent] = [
        StreamStart("p", MODEL),
        TextDelta("line one\nline two"),
        TextDelta("\r\n"),
        TextDelta(" spaced"),
        UsageReport(Usage(1, 2, 3)),
        StreamFinish(FinishReason.STOP),
    ]
    stream = b"".join(encoder.encode(e) for e in events) + encoder.close()
    assert stream.startswith(b"event: output\nid: 1\ndata: line one\ndata: line two\n\n")
    for cuts in every_split(stream):
        decoded = to_json(merge_text(decode_split(DIALECT.stream_decoder, stream, cuts)))
        assert decoded == to_json(
            [
                StreamStart("", ""),
                TextDelta("line one\nline two\n spaced"),
                StreamFinish(FinishReason.STOP),
            ]
        ), cuts
    failed = encoder.error(GatewayError(500, "boom"))
    with pytest.raises(GatewayError, match="boom"):
        DIALECT.stream_decoder().feed(failed)


def test_rendered_errors_read_back() -> None:
    rendered = DIALECT.render_error(GatewayError(429, "slow down"))
    assert orjson.loads(rendered) == {
        "title": "Too Many Requests",
        "detail": "slow down",
        "status": 429,
    }
    error = DIALECT.parse_error(429, rendered, "replicate")
    assert error.message == "Too Many Requests: slow down"
