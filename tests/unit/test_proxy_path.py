"""The pass-through's path confinement: real OpenAI paths pass as they are, escapes are a 400."""

from __future__ import annotations

import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.pipeline.proxy_path import confined_path, confined_query


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"/v1/files", "files"),
        (b"/v1/fine_tuning/jobs/ftjob-abc/events", "fine_tuning/jobs/ftjob-abc/events"),
        (b"/v1/models/ft:gpt-4o-mini:org:custom:id", "models/ft:gpt-4o-mini:org:custom:id"),
        (b"/v1/models/ft%3Agpt-4o", "models/ft:gpt-4o"),
        (b"/v1/files/file-1.jsonl", "files/file-1.jsonl"),
        (b"/v1/threads/thread_1/runs/run_1/submit_tool_outputs", None),
    ],
)
def test_openai_paths_pass(raw: bytes, expected: str | None) -> None:
    assert confined_path(raw) == (expected or raw.decode()[len("/v1/") :])


@pytest.mark.parametrize(
    "raw",
    [
        b"/v1/..",
        b"/v1/a/%2E%2e/b",
        b"/v1/a%2Fb",
        b"/v1/%25252e",
        b"/v1/a%5Cb",
        b"/v1/%ff",
        b"/v1/a b",
        b"/v1/a%7f",
        b"/v1/http:",
        b"/v2/files",
        b"/v1/" + b"a" * 3000,
    ],
)
def test_escapes_are_refused(raw: bytes) -> None:
    with pytest.raises(GatewayError) as caught:
        confined_path(raw)
    assert caught.value.status == 400 and caught.value.code == "invalid_path"


def test_query_passes_encoded_and_refuses_what_could_split_it() -> None:
    assert confined_query(b"limit=2&after=a%20b") == "limit=2&after=a%20b"
    for bad in (b"a=1 2", b"a=\r\n", b"a=1#x", b"a=\xff"):
        with pytest.raises(GatewayError):
            confined_query(bad)
