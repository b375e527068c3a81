"""When and how long to wait before trying an upstream again."""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime
from time import time

#: statuses worth another attempt: rate limited, or the upstream itself failed
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
#: never wait longer than this for a Retry-After, however large the upstream's value
MAX_RETRY_AFTER_S = 60.0


def backoff_seconds(attempt: int, initial_ms: int, max_ms: int, rng: random.Random) -> float:
    """Exponential backoff with jitter, between `initial` and `max` (both milliseconds).

    attempt 0 is the wait before the first retry. The jitter spreads retries from many clients
    so they do not hit a recovering upstream in lockstep.
    """
    ceiling = min(max_ms, initial_ms * (2**attempt))
    low = min(initial_ms, ceiling)
    return rng.uniform(low, ceiling) / 1000.0


def retry_after_seconds(retry_after: str | None, retry_after_ms: str | None) -> float | None:
    """The upstream's own wait hint: `retry-after-ms`, then `retry-after` (seconds or HTTP date)."""
    if retry_after_ms:
        try:
            return max(0.0, float(retry_after_ms) / 1000.0)
        except ValueError:
            pass
    if not retry_after:
        return None
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time())
    except (TypeError, ValueError):
        return None
