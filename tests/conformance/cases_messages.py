"""Conversation content: plain text, a system prompt, history, and images by URL and inline."""

from __future__ import annotations

from cloverleaf.providers.chat_adapters import Capability
from tests.conformance.case import PNG_BASE64, Case, Run, user, with_image
from tests.conformance.wires.base import Image
from tests.e2e.dialects.clients import QUESTION


def text(run: Run) -> None:
    run.wire.text("Hello from upstream, friend.")
    answer = run.ask(messages=user(QUESTION))
    assert run.wire.turns(run.only_request()) == [("user", QUESTION)]
    assert answer.text == "Hello from upstream, friend."
    assert answer.finish_reason == "stop"


def system(run: Run) -> None:
    run.wire.text("Arr, greetings.")
    messages = [{"role": "system", "content": "Answer like a pirate."}, *user("Greet me")]
    answer = run.ask(messages=messages)
    body = run.only_request()
    assert run.wire.system(body) == "Answer like a pirate."
    assert run.wire.turns(body) == [("user", "Greet me")]
    assert answer.text == "Arr, greetings."


HISTORY = [
    ("user", "My name is Ada."),
    ("assistant", "Nice to meet you, Ada."),
    ("user", "What is my name?"),
]


def multi_turn(run: Run) -> None:
    run.wire.text("Your name is Ada.")
    answer = run.ask(messages=[{"role": role, "content": text} for role, text in HISTORY])
    assert run.wire.turns(run.only_request()) == HISTORY
    assert answer.text == "Your name is Ada."


IMAGE_URL = "https://example.com/cat.png"


def image_url(run: Run) -> None:
    """Where the upstream cannot take a URL, the gateway must say so rather than drop it."""
    if not run.wire.image_urls:
        run.refused("messages[0].content[1]", messages=with_image(IMAGE_URL))
        return
    run.wire.text("A cat.")
    answer = run.ask(messages=with_image(IMAGE_URL))
    body = run.only_request()
    assert run.wire.images(body) == [Image(url=IMAGE_URL)]
    assert run.wire.turns(body) == [("user", "What is this?")]
    assert answer.text == "A cat."


def image_base64(run: Run) -> None:
    run.wire.text("A single pixel.")
    answer = run.ask(messages=with_image(f"data:image/png;base64,{PNG_BASE64}"))
    [image] = run.wire.images(run.only_request())
    assert image.url is None and image.data == PNG_BASE64
    assert image.media_type in ("image/png", None)  # Ollama's wire carries no media type
    assert answer.text == "A single pixel."


CASES = (
    Case("text", text),
    Case("system", system, Capability.SYSTEM),
    Case("multi_turn", multi_turn),
    Case("image_url", image_url, Capability.IMAGES),
    Case("image_base64", image_base64, Capability.IMAGES),
)
