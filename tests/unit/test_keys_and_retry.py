"""Key choice (weights, allow/deny lists, aliases) and backoff timing."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cloverleaf.config.providers import KeyConfig
from cloverleaf.config.secrets import EnvValue
from cloverleaf.routing.keys import KeyPicker, UpstreamKey
from cloverleaf.routing.retry import backoff_seconds, retry_after_seconds


def _key(name: str, weight: float = 1.0, **extra: object) -> UpstreamKey:
    config = KeyConfig.model_validate(
        {"name": name, "value": f"sk-{name}", "weight": weight, **extra}
    )
    return UpstreamKey.from_config(config, fallback_id=name)


def test_weights_shape_the_distribution() -> None:
    keys = [_key("a", 3), _key("b", 1), _key("zero", 0)]
    rng = random.Random(42)
    picker = KeyPicker(keys)
    counts = Counter(picker.choose("m", rng).name for _ in range(8000))  # type: ignore[union-attr]
    assert counts["zero"] == 0
    assert 0.72 < counts["a"] / 8000 < 0.78


def test_allowlist_and_blacklist() -> None:
    only_mini = _key("mini", models=["gpt-4o-mini"])
    no_mini = _key("big", blacklisted_models=["gpt-4o-mini"])
    rng = random.Random(1)
    both = KeyPicker([only_mini, no_mini])
    assert both.choose("gpt-4o-mini", rng) is only_mini
    assert both.choose("gpt-4o", rng) is no_mini
    assert KeyPicker([only_mini]).choose("gpt-4o", rng) is None


def test_aliases_map_to_the_provider_id_and_count_for_allowlists() -> None:
    key = _key("k", aliases={"fast": "llama-3.1-8b"}, models=["llama-3.1-8b"])
    assert key.upstream_model("fast") == "llama-3.1-8b"
    assert key.allows("fast")
    assert key.upstream_model("other") == "other"


def test_env_reference_resolves_and_never_prints() -> None:
    value = EnvValue.model_validate("env.MY_KEY", context={"env": {"MY_KEY": "sk-very-secret-1"}})
    assert value.value == "sk-very-secret-1"
    assert value.env_var == "MY_KEY" and value.from_env
    assert "very-secret" not in repr(value) and "very-secret" not in str(value)


def test_backoff_grows_and_stays_within_bounds() -> None:
    rng = random.Random(0)
    for attempt in range(8):
        wait = backoff_seconds(attempt, 100, 2000, rng)
        assert 0.1 <= wait <= min(2.0, 0.1 * 2**attempt)


@pytest.mark.parametrize(
    ("after", "after_ms", "expected"),
    [
        ("3", None, 3.0),
        (None, "250", 0.25),
        ("7", "1500", 1.5),
        ("soon", None, None),
        (None, None, None),
    ],
)
def test_retry_after_forms(after: str | None, after_ms: str | None, expected: float | None) -> None:
    assert retry_after_seconds(after, after_ms) == expected


def test_retry_after_http_date() -> None:
    wait = retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", None)
    assert wait == 0.0  # a date in the past means "now"
