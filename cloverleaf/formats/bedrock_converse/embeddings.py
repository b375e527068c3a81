"""Amazon Titan Text Embeddings on Bedrock's InvokeModel (`amazon.titan-embed-text-v2:0`): one
text per call, `{"inputText", "dimensions", "normalize"}` in, `{"embedding",
"inputTextTokenCount"}` out. (Cohere's models on Bedrock use formats/cohere/embeddings.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    input_usage,
    unreadable_answer,
)


def invoke_path(model: str) -> str:
    """The model id encoded as botocore encodes a URI label (the Converse paths do the same)."""
    return f"/model/{quote(model, safe='')}/invoke"


def encode_titan(request: EmbeddingRequest, text: str) -> dict[str, Any]:
    body: dict[str, Any] = {"inputText": text}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    return body


def decode_titan(bodies: list[bytes]) -> EmbeddingResponse:
    """One answer per text, in order; usage is the sum of their token counts."""
    vectors = []
    tokens = 0
    for body in bodies:
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise unreadable_answer("not JSON") from None
        values = data.get("embedding") if isinstance(data, dict) else None
        if not isinstance(values, list) or not all(isinstance(x, int | float) for x in values):
            raise unreadable_answer("no embedding")
        vectors.append(tuple(float(x) for x in values))
        count = data.get("inputTextTokenCount")
        tokens += int(count) if isinstance(count, int | float) else 0
    return EmbeddingResponse(tuple(vectors), input_usage(tokens))
