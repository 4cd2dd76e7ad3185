"""How many citizens a day will bring, item by item and half hour by half hour (pure).

A day's forecast is the mean, per item and half hour, of the **same weekday** over recent
weeks (``weeks``, default 6), using only days the hall was open with the same opening hours
as the day forecast (a closed date, a 调休 working weekend or a day of extended hours is
neither forecast from ordinary days nor used for them). A day of unusual hours, with too
few like it, falls back to the recent open days of the same hours whatever their weekday.
Appointments are apart: the walk-ins (and desk tickets) are forecast from the record, and
the appointments already booked for the day are added, each counted at the share of
booked appointments that checked in on the basis days.

``accuracy`` forecasts each of the last past days from the weeks before it and compares
with what came: the weighted absolute percentage error over items and half hours (WAPE:
Σ|forecast − actual| ÷ Σ actual) and the error of the day's total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import msgspec
import numpy as np

from queueing.policy import OpeningHours

__all__ = ["Accuracy", "DayCounts", "Forecast", "ItemForecast", "accuracy", "forecast"]

SLOTS = 48  # half hours in a day


class DayCounts(msgspec.Struct):
    """What one past day brought: per item, tickets per half hour (walk-ins and desk tickets
    apart from appointment check-ins), and the appointments booked for it."""

    day: dt.date
    walk_in: dict[str, list[int]]  # item -> 48 counts
    checked_in: dict[str, list[int]] = msgspec.field(default_factory=dict)
    booked: int = 0  # appointments booked for the day (any item)


class ItemForecast(msgspec.Struct, frozen=True):
    item: str
    walk_in: list[float]  # expected per half hour, 48 of them from midnight
    appointments: list[float]  # booked × the check-in share
    total: float


class Forecast(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    open: bool
    spans: list[tuple[int, int]]  # the day's opening hours, minutes after midnight
    basis: list[dt.date]  # the days it is the mean of
    check_in_share: float | None  # booked appointments that came, on the basis days
    items: list[ItemForecast]
    total: float
    notes: list[str] = msgspec.field(default_factory=list)


class PastDay(msgspec.Struct, frozen=True):
    day: dt.date
    forecast: float
    actual: int
    wape: float | None  # Σ|forecast − actual| ÷ Σ actual, over items × half hours


class Accuracy(msgspec.Struct, frozen=True):
    days: list[PastDay]
    wape: float | None  # over all those days
    total_error: float | None  # mean of (forecast − actual) ÷ actual, day totals


def _basis(day: dt.date, hours: OpeningHours, known: Sequence[dt.date], weeks: int) -> tuple[list[dt.date], str]:
    spans = hours.spans_on(day)
    alike = [d for d in known if d < day and hours.spans_on(d) == spans]
    same_weekday = [d for d in alike if d.weekday() == day.weekday() and (day - d).days <= 7 * weeks]
    if len(same_weekday) >= 2:
        return sorted(same_weekday), ""
    recent = sorted(alike)[-weeks:]
    return recent, (
        f"fewer than two {day:%A}s with these hours in the last {weeks} weeks: "
        f"the mean of the last {len(recent)} open days with the same hours"
    )


def forecast(
    day: dt.date,
    hours: OpeningHours,
    history: Sequence[DayCounts],
    booked: Mapping[str, Sequence[int]] | None = None,
    *,
    weeks: int = 6,
) -> Forecast:
    """The forecast of ``day`` from ``history`` (past days' counts) and the appointments
    ``booked`` for it (item -> 48 counts per half hour of their slots)."""
    spans = hours.spans_on(day)
    if not spans:
        return Forecast(day=day, open=False, spans=[], basis=[], check_in_share=None, items=[], total=0.0,
                        notes=["the hall is closed that day"])  # fmt: skip
    by_day = {d.day: d for d in history}
    basis, note = _basis(day, hours, sorted(by_day), weeks)
    notes = [note] if note else []
    if not basis:
        notes.append("no past day like it in the record: nothing to forecast from")
    items = sorted({item for d in basis for item in by_day[d].walk_in} | set(booked or {}))
    came = sum(sum(sum(v) for v in by_day[d].checked_in.values()) for d in basis)
    was_booked = sum(by_day[d].booked for d in basis)
    share = min(1.0, came / was_booked) if was_booked else None
    result, total = [], 0.0
    for item in items:
        walk = np.zeros(SLOTS)
        for d in basis:
            walk += np.asarray(by_day[d].walk_in.get(item, [0] * SLOTS), dtype=float)
        walk = walk / len(basis) if basis else walk
        appointments = np.asarray((booked or {}).get(item, [0] * SLOTS), dtype=float) * (
            share if share is not None else 1.0
        )
        item_total = float(walk.sum() + appointments.sum())
        total += item_total
        result.append(
            ItemForecast(
                item=item,
                walk_in=[round(x, 3) for x in walk.tolist()],
                appointments=[round(x, 3) for x in appointments.tolist()],
                total=round(item_total, 2),
            )
        )
    return Forecast(
        day=day,
        open=True,
        spans=list(spans),
        basis=basis,
        check_in_share=share,
        items=result,
        total=round(total, 2),
        notes=notes,
    )


def accuracy(hours: OpeningHours, history: Sequence[DayCounts], *, last: int = 4, weeks: int = 6) -> Accuracy:
    """How the forecast did on the ``last`` past open days of ``history``, each forecast from
    the days before it (its own booked appointments, as they came, standing in for the booking)."""
    ordered = sorted(history, key=lambda d: d.day)
    checked = []
    for past in [d for d in ordered if hours.spans_on(d.day)][-last:]:
        before = [d for d in ordered if d.day < past.day]
        predicted = forecast(past.day, hours, before, past.checked_in, weeks=weeks)
        if not predicted.basis:
            continue
        error, actual_total, forecast_total = 0.0, 0, 0.0
        for item in sorted(set(past.walk_in) | set(past.checked_in) | {i.item for i in predicted.items}):
            actual = np.asarray(past.walk_in.get(item, [0] * SLOTS)) + np.asarray(
                past.checked_in.get(item, [0] * SLOTS)
            )
            mine = next((i for i in predicted.items if i.item == item), None)
            guess = (np.asarray(mine.walk_in) + np.asarray(mine.appointments)) if mine else np.zeros(SLOTS)
            error += float(np.abs(guess - actual).sum())
            actual_total += int(actual.sum())
            forecast_total += float(guess.sum())
        checked.append(PastDay(day=past.day, forecast=round(forecast_total, 1), actual=actual_total,
                               wape=round(error / actual_total, 4) if actual_total else None))  # fmt: skip
    actual_sum = sum(d.actual for d in checked)
    errors = [(d.forecast - d.actual) / d.actual for d in checked if d.actual]
    wape = None
    if actual_sum:
        wape = round(sum((d.wape or 0.0) * d.actual for d in checked) / actual_sum, 4)
    return Accuracy(days=checked, wape=wape, total_error=round(sum(errors) / len(errors), 4) if errors else None)
