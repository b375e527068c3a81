"""The byte-level removal of the gateway's `provider` form field from a file upload: the other
parts, the file's bytes above all, must come out exactly as they went in."""

from __future__ import annotations

import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.pipeline.batch_api_wire import take_form_field

TYPE = "multipart/form-data; boundary=xyz"
PURPOSE = b'--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
PROVIDER = b'--xyz\r\nContent-Disposition: form-data; name="provider"\r\n\r\nazure\r\n'
# a file whose content mentions the field, and ends in CRLFs of its own
FILE = (
    b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
    b'Content-Type: application/jsonl\r\n\r\n{"x": "name=\\"provider\\""}\r\n\r\n\r\n'
)
END = b"--xyz--\r\n"


@pytest.mark.parametrize(
    "parts",
    [
        (PROVIDER, PURPOSE, FILE),
        (PURPOSE, PROVIDER, FILE),
        (PURPOSE, FILE, PROVIDER),
    ],
)
def test_the_field_comes_out_and_nothing_else_changes(parts: tuple[bytes, ...]) -> None:
    body = b"".join(parts) + END
    value, rest = take_form_field(TYPE, body, "provider")
    assert value == "azure"
    assert rest == b"".join(p for p in parts if p != PROVIDER) + END


def test_a_preamble_and_a_quoted_boundary() -> None:
    body = b"preamble\r\n" + PURPOSE + PROVIDER + END
    value, rest = take_form_field('multipart/form-data; boundary="xyz"', body, "provider")
    assert (value, rest) == ("azure", b"preamble\r\n" + PURPOSE + END)


def test_no_such_field_leaves_the_body_alone() -> None:
    body = PURPOSE + FILE + END
    assert take_form_field(TYPE, body, "provider") == (None, body)
    assert take_form_field(TYPE, body, "purpos") == (None, body)


def test_a_body_it_cannot_read_is_a_400() -> None:
    with pytest.raises(GatewayError) as no_boundary:
        take_form_field("multipart/form-data", PROVIDER + END, "provider")
    assert no_boundary.value.status == 400
    with pytest.raises(GatewayError):
        take_form_field(TYPE, PROVIDER, "provider")  # never closed
