"""One error type for the whole request path, rendered later in the client's dialect."""

from __future__ import annotations

from collections.abc import Sequence


class GatewayError(Exception):
    """A failure the client should see: HTTP status plus OpenAI-style fields.

    Every layer raises this instead of letting a stack trace reach a client; the server renders it
    in the dialect of the route (OpenAI, Anthropic, Bifrost, ...).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = tuple(headers)
        self.provider = provider
        #: the model the client asked for, when known (Bifrost's `extra_fields.model_requested`)
        self.model: str | None = None

    def __repr__(self) -> str:
        return f"GatewayError({self.status}, {self.message!r}, code={self.code!r})"


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> GatewayError:
    return GatewayError(400, message, param=param, code=code)


def not_found(message: str, *, code: str = "model_not_found") -> GatewayError:
    return GatewayError(404, message, code=code)


def overloaded(message: str, *, retry_after_s: int = 1) -> GatewayError:
    """429 answered at once when a bounded queue is full, so memory never grows without bound."""
    return GatewayError(
        429,
        message,
        type="rate_limit_error",
        code="gateway_overloaded",
        headers=(("retry-after", str(retry_after_s)),),
    )
