"""Chat history → Replicate's `prompt` and `system_prompt` strings.

Replicate's LLMs take one prompt string and wrap it in their own chat template as a single user
turn (the meta-llama-3 models apply `prompt_template` themselves), so history cannot travel as
turns. LiteLLM renders history with per-model templates (`[INST]` tokens), which wraps twice on
models that template the prompt themselves; Cloverleaf renders one plain transcript for every
model instead, deterministic and readable by any instruction-tuned model:

- system messages go to `system_prompt`, joined by a blank line, never into the prompt;
- a lone user message is the prompt, verbatim;
- anything longer is a transcript of `User: <text>`, `Assistant: <text>` and
  `Tool result (<name>): <text>` blocks separated by blank lines; an assistant's tool calls
  read `Assistant called <name>(<arguments>)`. No trailing `Assistant:` cue is added: the
  model's template already opens its turn after the prompt.

Reasoning parts are left out (a model's earlier thinking is not context it needs); image parts
are refused, since the `prompt` input cannot carry them.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloverleaf.core.chat import ImagePart, Message
from cloverleaf.core.errors import bad_request

_LABELS = {"user": "User", "assistant": "Assistant"}


@dataclass(frozen=True, slots=True)
class Prompt:
    prompt: str
    system_prompt: str | None


def render(messages: tuple[Message, ...]) -> Prompt:
    _refuse_images(messages)
    system = [m.text() for m in messages if m.role == "system"]
    turns = [m for m in messages if m.role != "system"]
    if len(turns) == 1 and turns[0].role == "user":
        prompt = turns[0].text()
    else:
        prompt = "\n\n".join(block for m in turns for block in _blocks(m))
    return Prompt(prompt, "\n\n".join(system) if system else None)


def _blocks(message: Message) -> list[str]:
    if message.role == "tool":
        return [f"Tool result ({message.name or message.tool_call_id or 'tool'}): {message.text()}"]
    label = _LABELS[message.role]
    blocks = [f"{label}: {message.text()}"] if message.text() or not message.tool_calls else []
    blocks += [f"{label} called {c.name}({c.arguments})" for c in message.tool_calls]
    return blocks


def _refuse_images(messages: tuple[Message, ...]) -> None:
    for index, message in enumerate(messages):
        for position, part in enumerate(message.content):
            if isinstance(part, ImagePart):
                where = f"messages[{index}].content[{position}]"
                raise bad_request(
                    f"{where}: replicate's prompt input cannot carry images", param=where
                )
