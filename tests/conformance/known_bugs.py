"""Gateway bugs this suite found and that are not fixed yet, as strict xfails.

Strict: once a bug is fixed its cases pass, the xfail turns into a failure, and the row here
must be deleted. Keys are (case, provider or "*", stream or None for both modes).
"""

from __future__ import annotations

KNOWN_BUGS: dict[tuple[str, str, bool | None], str] = {
    ("disconnect", "*", False): (
        "PyreqwestTransport.send: cancelling a pending upstream call does not abort the "
        "request, so a client that leaves before the first upstream byte keeps the upstream "
        "connection open until the provider answers or the request timeout fires"
    ),
    ("reasoning", "cloudflare-run", None): (
        "cloudflare_run encode_request drops reasoning_effort silently instead of refusing it "
        "with a 400 (the adapter declares no REASONING)"
    ),
    ("error_4xx", "cloudflare", None): (
        "openai_chat upstream_error does not read Cloudflare's v4 envelope "
        '{"errors":[{"code","message"}]}: the client gets "upstream returned HTTP 400"'
    ),
    ("error_5xx", "cloudflare", None): (
        "openai_chat upstream_error does not read Cloudflare's v4 envelope: the upstream's "
        "message is lost from the 502"
    ),
}


def known_bug(case: str, provider: str, stream: bool) -> str | None:
    for (name, who, mode), reason in KNOWN_BUGS.items():
        if name == case and who in ("*", provider) and mode in (None, stream):
            return reason
    return None
