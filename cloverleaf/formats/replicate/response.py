"""Predictions ⇄ core responses. Only a `succeeded` prediction is an answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from cloverleaf.core.chat import ChatResponse, FinishReason, Message, TextPart
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage

TERMINAL = frozenset({"succeeded", "failed", "canceled"})


def load_prediction(body: bytes) -> dict[str, Any]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise GatewayError(
            502, "the upstream answered with an unreadable prediction", type="server_error"
        )
    return data


def prediction_error(prediction: dict[str, Any]) -> GatewayError | None:
    """The error a finished-but-unsuccessful (or unfinished) prediction stands for."""
    status = prediction.get("status")
    if status == "succeeded":
        return None
    if status == "failed":
        detail = prediction.get("error")
        message = detail if isinstance(detail, str) and detail else "the prediction failed"
        return GatewayError(502, message, type="server_error", code="prediction_failed")
    if status == "canceled":
        return GatewayError(
            502,
            "the prediction was canceled before it finished",
            type="server_error",
            code="prediction_canceled",
        )
    return GatewayError(
        502,
        f"the prediction has not finished (status {status!r})",
        type="server_error",
        code="prediction_unfinished",
    )


def output_text(output: Any) -> str:
    """LLM output is an array of text fragments; a plain string is accepted too. Anything
    else (a JSON-producing model) is passed on as JSON text rather than lost."""
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(piece, str) for piece in output):
        return "".join(output)
    return orjson.dumps(output).decode()


def response_to_core(body: bytes) -> ChatResponse:
    prediction = load_prediction(body)
    error = prediction_error(prediction)
    if error is not None:
        raise error
    text = output_text(prediction.get("output"))
    metrics = prediction.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    prompt, completion = (
        _int(metrics.get("input_token_count")),
        _int(metrics.get("output_token_count")),
    )
    return ChatResponse(
        id=_str(prediction.get("id")),
        model=_str(prediction.get("model")),
        message=Message("assistant", (TextPart(text),) if text else ()),
        finish_reason=_finish(prediction.get("input"), completion),
        usage=Usage(prompt, completion, prompt + completion),
        created=_epoch(prediction.get("created_at")),
    )


def _finish(inputs: Any, completion: int) -> FinishReason:
    """`length` when the output used every token the (echoed) input allowed: the prediction
    has no finish reason of its own, but it carries its input back."""
    if not isinstance(inputs, dict) or not completion:
        return FinishReason.STOP
    limit = _int(inputs.get("max_tokens")) or _int(inputs.get("max_new_tokens"))
    return FinishReason.LENGTH if limit and completion >= limit else FinishReason.STOP


def _epoch(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        return 0


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# -- client side -------------------------------------------------------------------------------


def response_from_core(response: ChatResponse) -> bytes:
    """A succeeded prediction holding the whole answer as one output fragment."""
    text = response.message.text()
    usage = response.usage
    prediction = {
        "id": response.id,
        "model": response.model,
        "status": "succeeded",
        "output": [text] if text else [],
        "error": None,
        "metrics": {
            "input_token_count": usage.prompt_tokens,
            "output_token_count": usage.completion_tokens,
        },
    }
    return orjson.dumps(prediction)
