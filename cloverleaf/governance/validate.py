"""Checks of governance request bodies, before anything is stored: every rule here is a 400
with a message naming the field. Bodies are parsed with exact decimals (`parse_float=Decimal`),
so a dollar amount is never a float."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from cloverleaf.core.errors import GatewayError, bad_request

_DURATION = re.compile(r"^([1-9][0-9]{0,5})(s|m|h|d|w|M|Y)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400}
_YEAR_S = 365 * 86400
_UNIT_S["Y"] = _YEAR_S
#: budgets reset no faster than this (counters need time to settle) and no slower than a year
BUDGET_MIN_S = 30
RATE_LIMIT_MIN_S = 1
CALENDAR_UNITS = frozenset("dwMY")


def fail(message: str, param: str) -> GatewayError:
    return bad_request(message, param=param)


def duration_seconds(text: Any, param: str, minimum_s: int = BUDGET_MIN_S) -> int:
    """`30s`, `5m`, `1h`, `1d`, `1w`, `1M` (30 days for bounds), `1Y`; within
    `minimum_s`…1Y."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise fail(f"{param} must be a duration like 30s, 5m, 1h, 1d, 1w, 1M or 1Y", param)
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds < minimum_s or seconds > _YEAR_S:
        raise fail(f"{param} must be between {minimum_s}s and 1Y, got {text}", param)
    return seconds


def opt_str(body: Mapping[str, Any], name: str, param: str | None = None) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise fail(f"{param or name} must be a string", param or name)
    return value


def req_str(body: Mapping[str, Any], name: str, param: str | None = None) -> str:
    value = opt_str(body, name, param)
    if value is None or not value.strip():
        raise fail(f"{param or name} is required", param or name)
    return value


def opt_bool(body: Mapping[str, Any], name: str, param: str | None = None) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise fail(f"{param or name} must be true or false", param or name)
    return value


def opt_object(body: Mapping[str, Any], name: str, param: str | None = None) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise fail(f"{param or name} must be an object", param or name)
    return value


def str_list(body: Mapping[str, Any], name: str, param: str | None = None) -> tuple[str, ...]:
    value = body.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{param or name} must be a list of strings", param or name)
    return tuple(value)


def opt_count(body: Mapping[str, Any], name: str, param: str) -> int | None:
    """A non-negative whole number (a limit), or absent."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(f"{param} must be a non-negative integer", param)
    return value


def number(value: Any, param: str, *, minimum: Decimal = Decimal(0)) -> Decimal:
    """An exact, finite number ≥ `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise fail(f"{param} must be a number", param)
    exact = Decimal(value)
    if not exact.is_finite() or exact < minimum:
        raise fail(f"{param} must be a number ≥ {minimum}", param)
    return exact


@dataclass(frozen=True, slots=True)
class BudgetFields:
    """A budget as given (create: all required fields; update: any subset)."""

    max_limit: Decimal | None = None
    reset_duration: str | None = None
    calendar_aligned: bool | None = None

    def over(self, base: BudgetFields | None) -> BudgetFields:
        """These fields on top of `base` (an update merged into the stored budget)."""
        if base is None:
            return self
        return BudgetFields(
            self.max_limit if self.max_limit is not None else base.max_limit,
            self.reset_duration or base.reset_duration,
            self.calendar_aligned if self.calendar_aligned is not None else base.calendar_aligned,
        )


def budget_fields(raw: Any, param: str) -> BudgetFields | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail(f"{param} must be an object", param)
    limit = raw.get("max_limit")
    return BudgetFields(
        number(limit, f"{param}.max_limit") if limit is not None else None,
        opt_str(raw, "reset_duration", f"{param}.reset_duration"),
        opt_bool(raw, "calendar_aligned", f"{param}.calendar_aligned"),
    )


def complete_budget(fields: BudgetFields, param: str) -> BudgetFields:
    """A budget that can be stored: limit and duration set, calendar alignment only on whole
    days, weeks, months or years."""
    if fields.max_limit is None:
        raise fail(f"{param}.max_limit is required", f"{param}.max_limit")
    if fields.reset_duration is None:
        raise fail(f"{param}.reset_duration is required", f"{param}.reset_duration")
    duration_seconds(fields.reset_duration, f"{param}.reset_duration")
    if fields.calendar_aligned and fields.reset_duration[-1] not in CALENDAR_UNITS:
        raise fail(
            f"{param}.calendar_aligned needs a reset_duration in days, weeks, months or years "
            f"(d, w, M, Y), not {fields.reset_duration}",
            f"{param}.calendar_aligned",
        )
    return replace(fields, calendar_aligned=bool(fields.calendar_aligned))


@dataclass(frozen=True, slots=True)
class RateLimitFields:
    token_max_limit: int | None = None
    token_reset_duration: str | None = None
    request_max_limit: int | None = None
    request_reset_duration: str | None = None

    def over(self, base: RateLimitFields | None) -> RateLimitFields:
        if base is None:
            return self
        return RateLimitFields(
            *(
                mine if mine is not None else theirs
                for mine, theirs in zip(_rl_values(self), _rl_values(base), strict=True)
            )
        )


def _rl_values(fields: RateLimitFields) -> tuple[Any, ...]:
    return (
        fields.token_max_limit,
        fields.token_reset_duration,
        fields.request_max_limit,
        fields.request_reset_duration,
    )


def rate_limit_fields(raw: Any, param: str) -> RateLimitFields | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail(f"{param} must be an object", param)
    return RateLimitFields(
        opt_count(raw, "token_max_limit", f"{param}.token_max_limit"),
        opt_str(raw, "token_reset_duration", f"{param}.token_reset_duration"),
        opt_count(raw, "request_max_limit", f"{param}.request_max_limit"),
        opt_str(raw, "request_reset_duration", f"{param}.request_reset_duration"),
    )


def complete_rate_limit(fields: RateLimitFields, param: str) -> RateLimitFields:
    """Each limit comes with its reset duration; at least one limit is set."""
    pairs = (
        ("token", fields.token_max_limit, fields.token_reset_duration),
        ("request", fields.request_max_limit, fields.request_reset_duration),
    )
    for kind, limit, duration in pairs:
        if (limit is None) != (duration is None):
            raise fail(
                f"{param}.{kind}_max_limit and {param}.{kind}_reset_duration go together",
                f"{param}.{kind}_reset_duration",
            )
        if duration is not None:
            duration_seconds(duration, f"{param}.{kind}_reset_duration", RATE_LIMIT_MIN_S)
    if fields.token_max_limit is None and fields.request_max_limit is None:
        raise fail(f"{param} needs token_max_limit or request_max_limit", param)
    return fields


def list_of_objects(body: Mapping[str, Any], name: str) -> list[dict[str, Any]] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail(f"{name} must be a list of objects", name)
    return value


@dataclass(frozen=True, slots=True)
class ProviderConfigFields:
    id: int | None
    provider: str
    weight: float | None
    allowed_models: tuple[str, ...]
    key_ids: tuple[str, ...]
    budget: BudgetFields | None
    rate_limit: RateLimitFields | None


def provider_configs(body: Mapping[str, Any]) -> list[ProviderConfigFields] | None:
    raw = list_of_objects(body, "provider_configs")
    if raw is None:
        return None
    parsed: list[ProviderConfigFields] = []
    for index, item in enumerate(raw):
        at = f"provider_configs[{index}]"
        weight = item.get("weight")
        config_id = item.get("id")
        if config_id is not None and (
            isinstance(config_id, bool) or not isinstance(config_id, int)
        ):
            raise fail(f"{at}.id must be an integer", f"{at}.id")
        parsed.append(
            ProviderConfigFields(
                id=config_id,
                provider=req_str(item, "provider", f"{at}.provider"),
                weight=float(number(weight, f"{at}.weight")) if weight is not None else None,
                allowed_models=str_list(item, "allowed_models", f"{at}.allowed_models"),
                key_ids=str_list(item, "key_ids", f"{at}.key_ids"),
                budget=budget_fields(item.get("budget"), f"{at}.budget"),
                rate_limit=rate_limit_fields(item.get("rate_limit"), f"{at}.rate_limit"),
            )
        )
    providers = [config.provider for config in parsed]
    if len(set(providers)) != len(providers):
        raise fail("provider_configs name a provider more than once", "provider_configs")
    return parsed


def mcp_configs(body: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]] | None:
    raw = list_of_objects(body, "mcp_configs")
    if raw is None:
        return None
    return [
        (
            req_str(item, "mcp_client_name", f"mcp_configs[{i}].mcp_client_name"),
            str_list(item, "tools_to_execute", f"mcp_configs[{i}].tools_to_execute"),
        )
        for i, item in enumerate(raw)
    ]
