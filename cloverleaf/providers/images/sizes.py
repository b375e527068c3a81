"""OpenAI's `size` ("1024x1792", "auto") as the pixel sizes or aspect ratios other wires take."""

from __future__ import annotations

import math

from cloverleaf.core.errors import bad_request


def dimensions(size: str | None) -> tuple[int, int] | None:
    """(width, height), or None for no size or "auto"; a 400 naming `size` for anything else."""
    if size is None or size == "auto":
        return None
    width, sep, height = size.partition("x")
    if sep and width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return int(width), int(height)
    raise bad_request(
        f"size must be WIDTHxHEIGHT (e.g. 1024x1024) or auto, not {size!r}", param="size"
    )


def aspect_ratio(size: str | None, offered: tuple[str, ...]) -> str | None:
    """The ratio among `offered` ("16:9", ...) nearest the size's, on a log scale so that
    landscape and portrait are treated alike; None when no size was asked for."""
    found = dimensions(size)
    if found is None:
        return None
    wanted = math.log(found[0] / found[1])

    def distance(ratio: str) -> float:
        width, _, height = ratio.partition(":")
        return abs(math.log(int(width) / int(height)) - wanted)

    return min(offered, key=distance)
