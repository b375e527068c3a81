"""SigV4 signing proven against botocore's own signer, with botocore's clock frozen.

Lives beside the Bedrock dialect tests because Bedrock is the only SigV4 provider; the signer
itself is `cloverleaf.providers.aws_sigv4`.
"""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.serialize import create_serializer
from botocore.session import get_session

from cloverleaf.formats.bedrock_converse.dialect import converse_path
from cloverleaf.providers.aws_sigv4 import amz_date, parse_authorization, sign, verify

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//session+token=="
NOW = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"
BODY = b'{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":64}}'
MODELS = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-1-8b-instruct-v1:0",
]


def botocore_authorization(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    headers: dict[str, str],
    body: bytes,
    token: str | None,
) -> tuple[str, dict[str, str]]:
    """What botocore's SigV4Auth sends for the same request at the frozen time."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, headers=dict(headers), data=body)
    botocore.auth.SigV4Auth(Credentials(AKID, SECRET, token), "bedrock", "us-east-1").add_auth(
        request
    )
    return request.headers["Authorization"], dict(request.headers.items())


def ours(url: str, headers: dict[str, str], body: bytes, token: str | None) -> dict[str, str]:
    added = sign(
        "POST",
        url,
        headers,
        body,
        access_key=AKID,
        secret_key=SECRET,
        session_token=token,
        region="us-east-1",
        now=NOW,
    )
    return dict(added)


def test_the_documented_test_vector() -> None:
    url = HOST + converse_path(MODELS[0], stream=False)
    added = ours(url, {"Content-Type": "application/json"}, BODY, None)
    assert added == {
        "X-Amz-Date": "20250115T120000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
        "Signature=b7e826ad1ae7f99f0248255cc7bbcddd9d1fcfa4aa9a84a9670417d17c659773",
    }


@pytest.mark.parametrize("token", [None, TOKEN], ids=["long_term", "session"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_identical_to_botocore(
    monkeypatch: pytest.MonkeyPatch, model: str, token: str | None, stream: bool
) -> None:
    url = HOST + converse_path(model, stream)
    assert "%3A" in url and ":" not in url.removeprefix("https:")
    headers = {"Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"}
    expected, sent = botocore_authorization(monkeypatch, url, headers, BODY, token)
    added = ours(url, headers, BODY, token)
    assert added["Authorization"] == expected
    assert added["X-Amz-Date"] == sent["X-Amz-Date"]
    assert added.get("X-Amz-Security-Token") == sent.get("X-Amz-Security-Token") == token


def test_identical_to_botocore_for_a_local_endpoint_and_awkward_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Port in Host, a query string, whitespace runs, unsigned hop-by-hop headers, no body."""
    url = "http://127.0.0.1:8123/model/amazon.nova-pro-v1%3A0/converse?b=2&a=1"
    headers = {
        "Content-Type": " application/json ",
        "X-Custom": "a   b\tc",
        "User-Agent": "cloverleaf/0.1",
        "Connection": "keep-alive",
    }
    expected, _ = botocore_authorization(monkeypatch, url, headers, b"", None)
    assert ours(url, headers, b"", None)["Authorization"] == expected
    assert "user-agent" not in expected and "connection" not in expected


@pytest.mark.parametrize("model", MODELS)
def test_converse_path_is_the_path_botocore_sends(model: str) -> None:
    service = get_session().get_service_model("bedrock-runtime")
    serializer = create_serializer(service.metadata["protocol"])
    for operation, stream in (("Converse", False), ("ConverseStream", True)):
        params = {"modelId": model, "messages": []}
        request = serializer.serialize_to_request(params, service.operation_model(operation))
        assert converse_path(model, stream) == request["url_path"]


def test_verify_accepts_what_botocore_signed_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "http://127.0.0.1:8123" + converse_path(MODELS[0], False)
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1:8123"}
    _, sent = botocore_authorization(monkeypatch, url, headers, BODY, TOKEN)
    received = {k.lower(): v for k, v in sent.items()}
    assert verify("POST", url, received, BODY, secret_key=SECRET)
    assert not verify("POST", url, received, BODY + b" ", secret_key=SECRET)
    assert not verify("POST", url, received, BODY, secret_key=SECRET + "x")
    assert not verify("POST", url.replace("%3A", ":"), received, BODY, secret_key=SECRET)
    stale = {**received, "x-amz-date": "20250115T120001Z"}
    assert not verify("POST", url, stale, BODY, secret_key=SECRET)


def test_parse_authorization() -> None:
    header = ours(HOST + "/", {}, b"", None)["Authorization"]
    auth = parse_authorization(header)
    assert auth is not None
    assert (auth.access_key, auth.date, auth.region, auth.service) == (
        AKID,
        "20250115",
        "us-east-1",
        "bedrock",
    )
    assert auth.signed_headers == ("host", "x-amz-date")
    assert parse_authorization("Bearer abc") is None


def test_the_clock_may_be_naive_utc_or_any_timezone() -> None:
    assert amz_date(datetime(2025, 1, 15, 12, 0, 0)) == "20250115T120000Z"
    paris = timezone(timedelta(hours=1))
    assert amz_date(datetime(2025, 1, 15, 13, 0, 0, tzinfo=paris)) == "20250115T120000Z"
