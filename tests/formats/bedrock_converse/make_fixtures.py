"""Write each fixture case's `stream.eventstream`: the ConverseStream bytes the tests decode.

Binary fixtures are generated, never hand-edited. A case's `stream.json` (a list of
`[":event-type", payload]` pairs or `{"exception": name, "payload": {...}}` entries) is framed as
written; without it the stream is synthesised from the case's `converse_response.json` the way
Bedrock streams the same answer. A test checks the committed files match this script's output.

    python -m tests.formats.bedrock_converse.make_fixtures
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from cloverleaf.formats.bedrock_converse.eventstream import exception_frame
from tests.formats.bedrock_converse.synth import frame, stream_bytes, stream_events

FIXTURES = Path(__file__).parent / "fixtures"
STREAM_FILE = "stream.eventstream"


def build(case: Path) -> bytes | None:
    """The stream bytes for one case folder, or None when it has no stream."""
    script = case / "stream.json"
    if script.exists():
        return b"".join(_entry(entry) for entry in orjson.loads(script.read_bytes()))
    response = case / "converse_response.json"
    if response.exists():
        return stream_bytes(stream_events(orjson.loads(response.read_bytes())))
    return None


def _entry(entry: Any) -> bytes:
    if isinstance(entry, dict):
        return exception_frame(entry["exception"], orjson.dumps(entry["payload"]))
    name, payload = entry
    return frame(name, payload)


def main() -> None:
    for case in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        data = build(case)
        if data is not None:
            (case / STREAM_FILE).write_bytes(data)
            print(f"{case.name}/{STREAM_FILE}: {len(data)} bytes")


if __name__ == "__main__":
    main()
