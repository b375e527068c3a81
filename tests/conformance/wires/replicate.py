"""Replicate's predictions wire: a create body `{"input": {"prompt", "system_prompt"}, "stream"?}`,
then polls (`GET urls.get`) or an event stream (`GET urls.stream`), and a cancel.

Only creates are requests in the suite's sense: the follow-up calls are how one answer is
fetched, so `bodies()` and `request_count()` read creates only. History travels as one prompt
transcript (`User: ...` / `Assistant: ...` blocks, formats/replicate/prompt.py), which `turns`
reads back. A whole answer that takes long is a create held open by `Prefer: wait` (as the
real API holds it, up to 60 s): a client that leaves meanwhile must see that create closed. A
streamed one must see its stream closed and its prediction cancelled.
"""

from __future__ import annotations

import re

from tests.conformance.wires.base import JSON, Image, ToolResult, Turn, UsageSeen, Wire
from tests.mocks import replicate_upstream as mock
from tests.mocks.scripted import RecordedRequest

_LABELS = {"User": "user", "Assistant": "assistant"}
_BLOCK = re.compile(r"(User|Assistant): (.*)", re.DOTALL)
#: the words of an answer that never ends in time: streamed slowly, or polled for forever
_ENDLESS = " ".join(["word"] * 2000)


def _is_create(request: RecordedRequest) -> bool:
    if request.method != "POST":
        return False
    return request.path == "/v1/predictions" or bool(mock.CREATE.match(request.path))


class ReplicateWire(Wire):
    image_urls = False
    _hung_stream = False

    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        raise AssertionError("replicate's prompt-in, text-out models have no tool calls")

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        raise AssertionError("replicate's models have no separate reasoning output")

    def usage(self, text: str, stream: bool) -> UsageSeen:
        raise AssertionError("replicate declares no usage (its streams carry none)")

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, "Conformance", message))

    def hang(self, stream: bool) -> None:
        self._hung_stream = stream
        if stream:
            self.mock.enqueue(mock.Text(_ENDLESS, interval=0.05))
        else:
            self.mock.enqueue(mock.Text(_ENDLESS, wait=False, polls=10**6, hold=60))

    # -- reading ------------------------------------------------------------------------------
    def _creates(self) -> list[RecordedRequest]:
        return [r for r in self.mock.requests if _is_create(r)]

    def bodies(self) -> list[JSON]:
        return [r.json for r in self._creates()]

    def request_count(self) -> int:
        return len(self._creates())

    def wait_for_disconnect(self, timeout: float) -> bool:
        closed = bool(self.mock.wait_for_disconnect(timeout))
        return closed and (not self._hung_stream or bool(self.mock.wait_for_cancel(timeout)))

    def reset(self) -> None:
        super().reset()
        self._hung_stream = False

    def streamed(self, index: int) -> bool:
        return self.bodies()[index].get("stream") is True

    def system(self, body: JSON) -> str:
        return str(body["input"].get("system_prompt") or "")

    def turns(self, body: JSON) -> list[Turn]:
        prompt = str(body["input"]["prompt"])
        blocks = [_BLOCK.fullmatch(block) for block in prompt.split("\n\n")]
        if not all(blocks):  # a lone user message is the prompt verbatim
            return [("user", prompt)]
        return [(_LABELS[m[1]], m[2]) for m in blocks if m is not None]

    def images(self, body: JSON) -> list[Image]:
        return []  # the prompt input cannot carry one (the gateway refuses images)

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        return []

    def tool_results(self, body: JSON) -> list[ToolResult]:
        return []

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        return None

    def reasoning(self, body: JSON) -> object:
        return None
