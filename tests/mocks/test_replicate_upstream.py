"""The Replicate mock must speak the real wire: the official `replicate` SDK is the judge.

Gateway tests trust this mock as "the upstream"; raw urllib covers what the SDK hides (the
`Prefer: wait` header, problem+json bodies, `retry-after`), and our own dialect must read what
the mock sends.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from cloverleaf.formats.replicate import ReplicateDialect
from tests.formats.fixtures import merge_text, to_json
from tests.mocks.replicate_upstream import Error, Failed, MockReplicate, NoStream, Text

TOKEN = "r8_test_token"
MODEL = "meta/meta-llama-3-70b-instruct"
VERSION = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server() -> Iterator[MockReplicate]:
    with MockReplicate() as mock:
        yield mock


@pytest.fixture
def mock(server: MockReplicate) -> MockReplicate:
    server.reset()
    server.stream_base = None
    return server


@pytest.fixture
def client(mock: MockReplicate) -> Iterator[Client]:
    sdk = Client(api_token=TOKEN, base_url=mock.base_url)
    sdk.poll_interval = 0.01
    yield sdk
    sdk._client.close()  # the SDK has no close of its own; its httpx client holds sockets


def _text(prediction: Prediction) -> str:
    assert isinstance(prediction.output, list)
    return "".join(prediction.output)


def _post(
    mock: MockReplicate, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, Any, Any]:
    request = urllib.request.Request(mock.base_url + path, data=orjson.dumps(body), method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, response.headers, orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, orjson.loads(error.read())


def test_sdk_create_with_wait_is_answered_finished(mock: MockReplicate, client: Client) -> None:
    prediction = client.models.predictions.create(
        model=MODEL, input={"prompt": "hi there", "max_tokens": 8}, wait=True
    )
    assert prediction.status == "succeeded" and _text(prediction) == "echo: hi there"
    assert prediction.metrics == {
        "input_token_count": 2,
        "output_token_count": 3,
        "predict_time": 0.1,
    }
    seen = mock.last_request
    assert seen.path == f"/v1/models/{MODEL}/predictions" and seen.headers["prefer"] == "wait"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    core = ReplicateDialect().decode_response(orjson.dumps(prediction.dict()))
    assert core.message.text() == "echo: hi there" and core.usage.total_tokens == 5


def test_sdk_polls_starting_processing_succeeded(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(Text("slow answer", polls=2))
    prediction = client.models.predictions.create(model=MODEL, input={"prompt": "x"})
    assert (prediction.status, prediction.output) == ("starting", None)
    assert prediction.urls is not None and prediction.urls["get"].startswith(mock.base_url)
    prediction.wait()
    assert prediction.status == "succeeded" and _text(prediction) == "slow answer"
    gets = [r for r in mock.requests if r.method == "GET"]
    assert len(gets) == 3 and gets[0].path == f"/v1/predictions/{prediction.id}"


def test_wait_can_be_ignored_by_script(mock: MockReplicate) -> None:
    mock.enqueue(Text("later", wait=False))
    headers = {"authorization": f"Bearer {TOKEN}", "prefer": "wait"}
    status, _, answer = _post(
        mock, f"/v1/models/{MODEL}/predictions", {"input": {"prompt": "x"}}, headers
    )
    assert (status, answer["status"], answer["output"]) == (201, "starting", None)


def test_a_held_create_is_left_by_a_client_that_stops_waiting(mock: MockReplicate) -> None:
    """`hold` models the wait window an unfinished prediction keeps the create open for."""
    mock.enqueue(Text("later", wait=False, hold=60))
    headers = {"authorization": f"Bearer {TOKEN}", "prefer": "wait"}
    request = urllib.request.Request(
        mock.base_url + f"/v1/models/{MODEL}/predictions",
        data=orjson.dumps({"input": {"prompt": "x"}}),
        headers=headers,
        method="POST",
    )
    with pytest.raises(TimeoutError):
        _OPENER.open(request, timeout=0.3)
    assert mock.wait_for_disconnect(5)
    assert len(mock.requests) == 1


def test_sdk_versioned_and_deployment_paths(mock: MockReplicate, client: Client) -> None:
    versioned = client.predictions.create(version=VERSION, input={"prompt": "v"}, wait=True)
    assert versioned.version == VERSION and _text(versioned) == "echo: v"
    assert (
        mock.last_request.path == "/v1/predictions" and mock.last_request.json["version"] == VERSION
    )
    deployed = client.deployments.predictions.create(
        "acme/my-llm", input={"prompt": "d"}, wait=True
    )
    assert _text(deployed) == "echo: d"
    assert mock.last_request.path == "/v1/deployments/acme/my-llm/predictions"


def test_sdk_stream_and_our_decoder(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(Text("two lines\nof text"), Text("two lines\nof text"))
    events = list(client.stream(MODEL, input={"prompt": "x"}))
    assert "".join(str(e) for e in events) == "two lines\nof text"
    assert (
        events[-1].event.value == "done"
        and mock.last_request.headers["accept"] == "text/event-stream"
    )
    created = client.models.predictions.create(model=MODEL, input={"prompt": "x"}, stream=True)
    assert created.urls is not None
    with _OPENER.open(
        urllib.request.Request(
            created.urls["stream"], headers={"authorization": f"Bearer {TOKEN}"}
        ),
        timeout=5,
    ) as response:
        raw = response.read()
    decoder = ReplicateDialect().stream_decoder()
    decoded = to_json(merge_text([*decoder.feed(raw), *decoder.close()]))
    assert [e["type"] for e in decoded] == ["StreamStart", "TextDelta", "StreamFinish"]
    assert decoded[1]["text"] == "two lines\nof text"
    assert mock.status_of(created.id) == "succeeded"


def test_sdk_sees_failed_predictions(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(Failed("CUDA out of memory", wait=False), Failed("boom", text="partial"))
    prediction = client.models.predictions.create(model=MODEL, input={"prompt": "x"})
    prediction.wait()
    assert (prediction.status, prediction.error) == ("failed", "CUDA out of memory")
    with pytest.raises(RuntimeError, match="boom"):
        list(client.stream(MODEL, input={"prompt": "x"}))


def test_sdk_cancel(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(Text("never", polls=5))
    prediction = client.models.predictions.create(model=MODEL, input={"prompt": "x"})
    prediction.cancel()
    prediction.reload()
    assert prediction.status == "canceled"
    assert mock.requests[1].path == f"/v1/predictions/{prediction.id}/cancel"


def test_models_without_streaming_have_no_stream_url(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(NoStream("plain"))
    prediction = client.models.predictions.create(model=MODEL, input={"prompt": "x"}, stream=True)
    assert prediction.urls is not None and "stream" not in prediction.urls


def test_sdk_reads_problem_json(mock: MockReplicate, client: Client) -> None:
    mock.enqueue(
        Error(402, "Insufficient credit", "You have insufficient credit to run this model.")
    )
    with pytest.raises(ReplicateError) as caught:
        client.models.predictions.create(model=MODEL, input={"prompt": "x"})
    assert (caught.value.status, caught.value.title) == (402, "Insufficient credit")
    with pytest.raises(ReplicateError) as invalid:
        client.models.predictions.create(model=MODEL, input={"nothing": 1})
    assert (
        invalid.value.status == 422 and invalid.value.detail == "- input.prompt: prompt is required"
    )
    with pytest.raises(ReplicateError) as missing:
        client.predictions.get("doesnotexist")
    assert missing.value.status == 404


def test_rate_limit_and_auth_raw(mock: MockReplicate) -> None:
    mock.enqueue(Error(429, "Request was throttled.", "Request was throttled.", retry_after="3"))
    auth = {"authorization": f"Bearer {TOKEN}"}
    status, headers, body = _post(
        mock, f"/v1/models/{MODEL}/predictions", {"input": {"prompt": "x"}}, auth
    )
    assert (status, headers["retry-after"], headers["content-type"]) == (
        429,
        "3",
        "application/problem+json",
    )
    error = ReplicateDialect().parse_error(status, orjson.dumps(body), "replicate")
    assert (error.status, error.message) == (429, "Request was throttled.")
    status, _, body = _post(mock, "/v1/predictions", {"input": {"prompt": "x"}}, {})
    assert (status, body["title"]) == (401, "Unauthenticated")
    status, _, body = _post(mock, "/v1/predictions", {"input": {"prompt": "x"}}, auth)
    assert (status, body["invalid_fields"][0]["field"]) == (422, "version")
