"""Budgets and rate limits as objects: made from validated fields, updated in place, and the
calendar period a calendar-aligned budget resets at."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cloverleaf.governance.models import Budget, RateLimit
from cloverleaf.governance.validate import (
    BudgetFields,
    RateLimitFields,
    complete_budget,
    complete_rate_limit,
)


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    """Millisecond precision: what the database stores, so a round trip compares equal."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def period_start(moment: datetime, reset_duration: str) -> datetime:
    """Start of the UTC calendar period containing `moment`: midnight for `d`, Monday for `w`,
    the 1st for `M`, January 1st for `Y`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    unit = reset_duration[-1]
    if unit == "w":
        return day - timedelta(days=day.weekday())
    if unit == "M":
        return day.replace(day=1)
    if unit == "Y":
        return day.replace(month=1, day=1)
    return day


def budget_fields_of(budget: Budget) -> BudgetFields:
    return BudgetFields(budget.max_limit, budget.reset_duration, budget.calendar_aligned)


def save_budget(fields: BudgetFields, existing: Budget | None, param: str, at: datetime) -> Budget:
    """A new budget, or `existing` with `fields` applied. Turning calendar alignment on starts
    a fresh period: usage back to zero, last reset at the period's start."""
    base = budget_fields_of(existing) if existing is not None else None
    merged = complete_budget(fields.over(base), param)
    assert merged.max_limit is not None and merged.reset_duration is not None
    aligned = bool(merged.calendar_aligned)
    if existing is None:
        last_reset = period_start(at, merged.reset_duration) if aligned else at
        return Budget(
            new_id(),
            merged.max_limit,
            merged.reset_duration,
            aligned,
            Decimal(0),
            last_reset,
            at,
            at,
        )
    usage, last_reset = existing.current_usage, existing.last_reset
    if aligned and not existing.calendar_aligned:
        usage, last_reset = Decimal(0), period_start(at, merged.reset_duration)
    return Budget(
        existing.id,
        merged.max_limit,
        merged.reset_duration,
        aligned,
        usage,
        last_reset,
        existing.created_at,
        at,
    )


def save_rate_limit(
    fields: RateLimitFields, existing: RateLimit | None, param: str, at: datetime
) -> RateLimit:
    base = None
    if existing is not None:
        base = RateLimitFields(
            existing.token_max_limit,
            existing.token_reset_duration,
            existing.request_max_limit,
            existing.request_reset_duration,
        )
    merged = complete_rate_limit(fields.over(base), param)
    if existing is None:
        return RateLimit(
            new_id(),
            merged.token_max_limit,
            merged.token_reset_duration,
            merged.request_max_limit,
            merged.request_reset_duration,
            0,
            0,
            at,
            at,
            at,
            at,
        )
    return RateLimit(
        existing.id,
        merged.token_max_limit,
        merged.token_reset_duration,
        merged.request_max_limit,
        merged.request_reset_duration,
        existing.token_current_usage,
        existing.request_current_usage,
        existing.token_last_reset,
        existing.request_last_reset,
        existing.created_at,
        at,
    )
