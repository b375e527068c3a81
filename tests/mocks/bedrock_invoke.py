"""The Bedrock mock with InvokeModel for embedding models (Titan, Cohere), SigV4 checked like
Converse; answers carry Bedrock's `x-amzn-bedrock-input-token-count` header."""

from __future__ import annotations

import re
from urllib.parse import unquote

import orjson

from tests.mocks.bedrock_upstream import CONTENT_JSON, Error, MockBedrock, RecordedRequest
from tests.mocks.bedrock_upstream import _error as send_error
from tests.mocks.bedrock_upstream import _send as send_body
from tests.mocks.embeddings_wire import bedrock_invoke
from tests.mocks.images_wire import bedrock_image
from tests.mocks.server_thread import Receive, Send

_INVOKE = re.compile(r"/model/([^/]+)/invoke")


class MockBedrockRuntime(MockBedrock):
    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        invoke = _INVOKE.fullmatch(request.raw_path)
        if request.method != "POST" or invoke is None:
            return await super()._route(request, receive, send)
        if problem := self._check_signature(request):
            return await send_error(send, problem)
        model = unquote(invoke[1])
        if any(marker in model for marker in ("titan-image", "nova-canvas", "stability.")):
            status, image = bedrock_image(model, request.json)
            if isinstance(image, str):
                return await send_error(send, Error(status, "ValidationException", image))
            return await send_body(send, 200, orjson.dumps(image), CONTENT_JSON)
        status, answer, tokens = bedrock_invoke(model, request.json)
        if isinstance(answer, str):
            return await send_error(send, Error(status, "ValidationException", answer))
        count = (b"x-amzn-bedrock-input-token-count", b"%d" % tokens)
        await send_body(send, 200, orjson.dumps(answer), CONTENT_JSON, count)
