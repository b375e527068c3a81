"""Gateway bugs this suite found and that are not fixed yet, as strict xfails.

Strict: once a bug is fixed its cases pass, the xfail turns into a failure, and the row here
must be deleted. Keys are (case, provider or "*", stream or None for both modes).
"""

from __future__ import annotations

KNOWN_BUGS: dict[tuple[str, str, bool | None], str] = {
    ("disconnect", "*", False): (
        "PyreqwestTransport.send: cancelling a pending upstream call does not abort the "
        "request, so a client that leaves before the first upstream byte keeps the upstream "
        "connection open until the provider answers or the request timeout fires. The cause is "
        "in pyreqwest 0.15.1 (RuntimeHandle::spawn_handled): on cancel it drops the tokio "
        "JoinHandle of the spawned request instead of aborting it, and no API reaches the task"
    ),
}


def known_bug(case: str, provider: str, stream: bool) -> str | None:
    for (name, who, mode), reason in KNOWN_BUGS.items():
        if name == case and who in ("*", provider) and mode in (None, stream):
            return reason
    return None
