"""The figures managers read, from the facts of hall days (pure: no I/O, no clock).

Definitions (the README repeats them)
-------------------------------------
- **arrival**: a ticket issued (an appointment: when it checked in); **wait** = first call −
  arrival; **walk** = start − call (the citizen reaching the counter); **service** = end − start
  (or − call, when the clerk pressed 办结 without 开始办理) less the time away suspended (挂起).
- **outcome** of a ticket: served (办结), no-show (过号, not reinstated), cancelled (the citizen
  left, at the desk), expired (still open when the day ended: walked away), waiting (the day is
  not over). A transfer (一票到底) is not an outcome: the ticket goes on to its next counter.
- **wait figures** are over the tickets that were called; mean, p50, p90, p95 and max, in
  minutes. A percentile is the nearest-rank one: the value at rank ⌈p·n⌉ of the sorted waits.
- **service level**: the share of arrivals called within the hall's target (``[stats]
  service_level_minutes``, default 15), given twice: over **all arrivals** (the ones who left
  count as not served in time: nobody can hide them) and over **served** tickets only (what
  most products report). A ticket still waiting and not yet past the target is left out of
  both until it is.
- **by counter, kind, clerk**: a ticket belongs to the counter (its kind then, the clerk signed
  in then) that served it; one never served, to the counter that first called it.
- **counters**: open time (the counter open, or finishing a citizen after pausing), busy time
  (a citizen at the counter, from the call to done, suspended time not counted),
  **utilisation** = busy ÷ open, idle time while a ticket it could serve waited, pause time by
  reason.
- **estimate accuracy**: what a ticket was told at issue (minutes) against its wait; error =
  told − waited: mean absolute error, bias (the mean error: negative, the hall told too
  little), the share within ±5 minutes; by hour of arrival and by how many were ahead.
- **counter mix** (DB31/T 862 4.3.3.5): open counter-hours by kind, and the share of served
  tickets served at no-difference counters.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from queueing.stats.facts import DayFacts, TicketFact

__all__ = [
    "AHEAD_BANDS",
    "DIMENSIONS",
    "CounterFigures",
    "EstimateFigures",
    "MixFigures",
    "Names",
    "TicketFigures",
    "counter_figures",
    "estimate_figures",
    "mix_figures",
    "nearest_rank",
    "ticket_figures",
]

DIMENSIONS: Final = (
    "hall",
    "day",
    "week",
    "month",
    "year",
    "hour",
    "weekday",
    "weekday_hour",  # "1-09": Monday 9:00–10:00 (the heatmap)
    "item",
    "group",
    "domain",
    "priority",
    "channel",
    "counter",
    "kind",
    "clerk",
)
COUNTER_DIMENSIONS: Final = ("hall", "day", "week", "month", "year", "counter", "kind", "clerk")
AHEAD_BANDS: Final = ((0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, 10**9))
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_PRIORITIES = {"green": "绿色通道", "appointment": "预约", "walk_in": "现场取号"}
_CHANNELS = {"kiosk": "取号机", "desk": "服务台", "appointment": "预约签到"}
_KINDS = {
    "no_difference": "无差别综合窗口",
    "domain": "分领域综合窗口",
    "cross_province": "跨省通办窗口",
    "pickup": "出件窗口",
}


class Names(msgspec.Struct, frozen=True):
    """What the keys are called, for the tables people read."""

    halls: dict[str, str] = msgspec.field(default_factory=dict)
    items: dict[str, str] = msgspec.field(default_factory=dict)
    item_domain: dict[str, str] = msgspec.field(default_factory=dict)  # item -> its domain's code
    groups: dict[str, str] = msgspec.field(default_factory=dict)
    domains: dict[str, str] = msgspec.field(default_factory=dict)
    counters: dict[str, str] = msgspec.field(default_factory=dict)  # "hall/3" -> 3号 …
    clerks: dict[str, str] = msgspec.field(default_factory=dict)  # username -> name


class TicketFigures(msgspec.Struct, kw_only=True):
    key: str
    label: str
    arrivals: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    expired: int = 0
    waiting: int = 0
    called: int = 0
    wait_mean: float | None = None  # minutes
    wait_p50: float | None = None
    wait_p90: float | None = None
    wait_p95: float | None = None
    wait_max: float | None = None
    walk_mean: float | None = None
    service_mean: float | None = None
    service_p90: float | None = None
    within_target: int = 0  # called within the target
    decided: int = 0  # arrivals whose service level is known (not still waiting under the target)
    service_level: float | None = None  # within_target ÷ decided arrivals
    service_level_served: float | None = None  # served within the target ÷ served
    recalls: int = 0
    transfers: int = 0
    reinstated: int = 0


class CounterFigures(msgspec.Struct, kw_only=True):
    key: str
    label: str
    open_hours: float = 0.0
    busy_hours: float = 0.0
    utilisation: float | None = None  # busy ÷ open
    idle_waiting_hours: float = 0.0
    paused_hours: dict[str, float] = msgspec.field(default_factory=dict)
    served: int = 0


class EstimateFigures(msgspec.Struct, kw_only=True):
    key: str
    label: str
    tickets: int = 0
    quoted_mean: float | None = None  # minutes told
    actual_mean: float | None = None  # minutes waited
    mean_absolute_error: float | None = None
    bias: float | None = None  # told − waited, on average
    within_5: float | None = None  # share told within ±5 minutes of the wait


class MixFigures(msgspec.Struct, kw_only=True):
    key: str  # the period
    label: str
    open_hours: dict[str, float] = msgspec.field(default_factory=dict)  # by counter kind
    served: int = 0
    served_no_difference: int = 0
    share_no_difference: float | None = None


def nearest_rank(ordered: list[float], p: float) -> float:
    """The p-th percentile (0 < p ≤ 1) of sorted values: the value at rank ⌈p·n⌉."""
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def _minutes(value: float) -> float:
    return round(value / 60, 2)


def _mean(values: list[float]) -> float | None:
    return _minutes(sum(values) / len(values)) if values else None


class _Tickets:
    __slots__ = (
        "counts",
        "decided",
        "recalls",
        "reinstated",
        "served_within",
        "services",
        "transfers",
        "waits",
        "walks",
        "within",
    )

    def __init__(self) -> None:
        self.counts = {"arrivals": 0, "served": 0, "no_show": 0, "cancelled": 0, "expired": 0, "waiting": 0}
        self.waits: list[float] = []
        self.walks: list[float] = []
        self.services: list[float] = []
        self.within = self.decided = self.served_within = 0
        self.recalls = self.transfers = self.reinstated = 0

    def figures(self, key: str, label: str) -> TicketFigures:
        waits = sorted(self.waits)
        services = sorted(self.services)
        served = self.counts["served"]
        return TicketFigures(
            key=key,
            label=label,
            **self.counts,
            called=len(waits),
            wait_mean=_mean(waits),
            wait_p50=_minutes(nearest_rank(waits, 0.5)) if waits else None,
            wait_p90=_minutes(nearest_rank(waits, 0.9)) if waits else None,
            wait_p95=_minutes(nearest_rank(waits, 0.95)) if waits else None,
            wait_max=_minutes(waits[-1]) if waits else None,
            walk_mean=_mean(self.walks),
            service_mean=_mean(services),
            service_p90=_minutes(nearest_rank(services, 0.9)) if services else None,
            within_target=self.within,
            decided=self.decided,
            service_level=round(self.within / self.decided, 4) if self.decided else None,
            service_level_served=round(self.served_within / served, 4) if served else None,
            recalls=self.recalls,
            transfers=self.transfers,
            reinstated=self.reinstated,
        )


class _Ticket:
    """One ticket's figures, worked out once for every dimension it is counted under."""

    __slots__ = ("decided", "fact", "keys", "served", "service", "wait", "walk", "within")

    def __init__(self, hall: str, fact: TicketFact, day: dt.date, zone: ZoneInfo, until: float, target: float) -> None:
        self.fact = fact
        self.wait = fact.wait()
        served = fact.served_visit()
        self.served = served is not None and fact.outcome == "served"
        self.service = self.walk = None
        if self.served and served is not None and served.ended is not None:
            began = served.started if served.started is not None else served.called
            self.service = max(served.ended - began - served.suspended, 0.0)
            if served.started is not None:
                self.walk = served.started - served.called
        self.within = self.wait is not None and self.wait <= target
        # still waiting and not yet past the target: undecided
        self.decided = not (self.wait is None and fact.outcome == "waiting" and until - fact.arrived <= target)
        local = dt.datetime.fromtimestamp(fact.arrived, zone)
        at = served or (fact.visits[0] if fact.visits else None)
        iso = day.isocalendar()
        self.keys = {
            "hall": hall,
            "day": day.isoformat(),
            "week": f"{iso.year}-W{iso.week:02d}",
            "month": f"{day.year}-{day.month:02d}",
            "year": str(day.year),
            "hour": f"{local.hour:02d}",
            "weekday": str(local.isoweekday()),
            "weekday_hour": f"{local.isoweekday()}-{local.hour:02d}",
            "item": fact.item,
            "group": fact.group,
            "priority": fact.priority,
            "channel": fact.channel,
            "counter": f"{hall}/{at.counter}" if at else "",
            "kind": at.kind if at else "",
            "clerk": (at.clerk or "") if at else "",
        }


def ticket_figures(
    days: Iterable[DayFacts], zones: dict[str, ZoneInfo], names: Names, target_minutes: float, by: Iterable[str]
) -> tuple[TicketFigures, dict[str, list[TicketFigures]]]:
    """The figures of all the tickets of ``days``, and by each dimension of ``by``."""
    dimensions = [d for d in by if d in DIMENSIONS]
    total = _Tickets()
    groups: dict[str, dict[str, _Tickets]] = {d: {} for d in dimensions}
    target = target_minutes * 60
    for facts in days:
        zone = zones[facts.hall]
        for fact in facts.tickets:
            ticket = _Ticket(facts.hall, fact, facts.day, zone, facts.until, target)
            ticket.keys["domain"] = names.item_domain.get(fact.item, "")
            _count(total, ticket)
            for dimension in dimensions:
                key = ticket.keys[dimension]
                group = groups[dimension].get(key)
                if group is None:
                    group = groups[dimension][key] = _Tickets()
                _count(group, ticket)
    return total.figures("", "全部 all"), {
        d: [g.figures(k, _label(d, k, names)) for k, g in sorted(groups[d].items(), key=lambda kv: _order(d, kv[0]))]
        for d in dimensions
    }


def _count(into: _Tickets, ticket: _Ticket) -> None:
    fact = ticket.fact
    into.counts["arrivals"] += 1
    into.counts[fact.outcome] += 1
    if ticket.wait is not None:
        into.waits.append(ticket.wait)
    if ticket.walk is not None:
        into.walks.append(ticket.walk)
    if ticket.service is not None:
        into.services.append(ticket.service)
    if ticket.decided:
        into.decided += 1
        if ticket.within:
            into.within += 1
    if ticket.served and ticket.within:
        into.served_within += 1
    into.recalls += sum(v.recalls for v in fact.visits)
    into.transfers += fact.transfers
    into.reinstated += fact.reinstated


def counter_figures(days: Iterable[DayFacts], names: Names, by: Iterable[str]) -> dict[str, list[CounterFigures]]:
    """Open, busy, idle-while-waited-for and paused time of the counters, by each dimension
    of ``by`` (hall, day, week, month, year, counter, kind, clerk)."""
    dimensions = [d for d in by if d in COUNTER_DIMENSIONS]
    groups: dict[str, dict[str, CounterFigures]] = {d: {} for d in dimensions}

    def into(dimension: str, key: str) -> CounterFigures:
        found = groups[dimension].get(key)
        if found is None:
            found = groups[dimension][key] = CounterFigures(key=key, label=_label(dimension, key, names))
        return found

    for facts in days:
        day = facts.day
        iso = day.isocalendar()
        periods = {
            "hall": facts.hall,
            "day": day.isoformat(),
            "week": f"{iso.year}-W{iso.week:02d}",
            "month": f"{day.year}-{day.month:02d}",
            "year": str(day.year),
        }
        served_by: dict[tuple[int, str], int] = {}
        for fact in facts.tickets:
            visit = fact.served_visit() if fact.outcome == "served" else None
            if visit is not None:
                served_by[(visit.counter, visit.clerk)] = served_by.get((visit.counter, visit.clerk), 0) + 1
                if "kind" in groups:
                    into("kind", visit.kind).served += 1
        for counter in facts.counters:
            served = sum(n for (c, _), n in served_by.items() if c == counter.counter)
            shares = [(periods[d], d) for d in dimensions if d in periods]
            shares += [(f"{facts.hall}/{counter.counter}", "counter")] if "counter" in groups else []
            for key, dimension in shares:
                _add_counter(
                    into(dimension, key), counter.open, counter.busy, counter.idle_waiting, counter.paused, served
                )
            if "kind" in groups:
                for kind, open_seconds in counter.open_by_kind.items():
                    busy_s, idle_s = counter.busy_by_kind.get(kind, 0.0), counter.idle_by_kind.get(kind, 0.0)
                    _add_counter(into("kind", kind), open_seconds, busy_s, idle_s, {}, 0)
            if "clerk" in groups:
                for clerk, open_seconds in counter.open_by_clerk.items():
                    _add_counter(into("clerk", clerk), open_seconds, counter.busy_by_clerk.get(clerk, 0.0), 0.0, {}, 0)
                for (c, clerk), n in served_by.items():
                    if c == counter.counter:
                        into("clerk", clerk).served += n
    result = {}
    for dimension in dimensions:
        rows = []
        for _key, figures in sorted(groups[dimension].items(), key=lambda kv: _order(dimension, kv[0])):
            figures.utilisation = round(figures.busy_hours / figures.open_hours, 4) if figures.open_hours else None
            figures.open_hours = round(figures.open_hours / 3600, 3)
            figures.busy_hours = round(figures.busy_hours / 3600, 3)
            figures.idle_waiting_hours = round(figures.idle_waiting_hours / 3600, 3)
            figures.paused_hours = {r: round(s / 3600, 3) for r, s in sorted(figures.paused_hours.items())}
            rows.append(figures)
        result[dimension] = rows
    return result


def _order(dimension: str, key: str) -> tuple:
    """Counters by hall and number (3 before 10), anything else by its key."""
    if dimension == "counter":
        hall, _, number = key.rpartition("/")
        return (hall, int(number) if number.isdigit() else 0, key)
    return (key,)


def _add_counter(
    figures: CounterFigures, open_s: float, busy_s: float, idle_s: float, paused: dict[str, float], served: int
) -> None:
    # accumulated in seconds; turned into hours once, at the end
    figures.open_hours += open_s
    figures.busy_hours += busy_s
    figures.idle_waiting_hours += idle_s
    for reason, spent in paused.items():
        figures.paused_hours[reason] = figures.paused_hours.get(reason, 0.0) + spent
    figures.served += served


def band_of(ahead: int) -> str:
    for low, high in AHEAD_BANDS:
        if low <= ahead <= high:
            return f"{low}" if low == high else (f"{low}-{high}" if high < 10**9 else f"{low}+")
    return ""


def estimate_figures(days: Iterable[DayFacts], zones: dict[str, ZoneInfo]) -> dict[str, list[EstimateFigures]]:
    """How wrong the estimates told at issue were, by hour of arrival and by people ahead."""
    groups: dict[str, dict[str, list[tuple[float, float]]]] = {"hour": {}, "ahead": {}, "all": {}}
    for facts in days:
        zone = zones[facts.hall]
        for fact in facts.tickets:
            wait = fact.wait()
            if fact.quoted_minutes is None or wait is None:
                continue
            pair = (float(fact.quoted_minutes), wait / 60)
            hour = f"{dt.datetime.fromtimestamp(fact.arrived, zone).hour:02d}"
            groups["hour"].setdefault(hour, []).append(pair)
            groups["ahead"].setdefault(band_of(fact.quoted_ahead or 0), []).append(pair)
            groups["all"].setdefault("", []).append(pair)
    order = {band_of(low): i for i, (low, _) in enumerate(AHEAD_BANDS)}
    result = {}
    for dimension, found in groups.items():
        keys = sorted(found, key=lambda k: order.get(k, 0)) if dimension == "ahead" else sorted(found)
        result[dimension] = [_estimate(k, _estimate_label(dimension, k), found[k]) for k in keys]
    return result


def _estimate_label(dimension: str, key: str) -> str:
    if dimension == "hour":
        return f"{key}时"
    if dimension == "ahead":
        return f"前面{key}人"
    return "全部 all"


def _estimate(key: str, label: str, pairs: list[tuple[float, float]]) -> EstimateFigures:
    n = len(pairs)
    errors = [told - waited for told, waited in pairs]
    return EstimateFigures(
        key=key,
        label=label,
        tickets=n,
        quoted_mean=round(sum(t for t, _ in pairs) / n, 2),
        actual_mean=round(sum(w for _, w in pairs) / n, 2),
        mean_absolute_error=round(sum(abs(e) for e in errors) / n, 2),
        bias=round(sum(errors) / n, 2),
        within_5=round(sum(1 for e in errors if abs(e) <= 5) / n, 4),
    )


def mix_figures(days: Iterable[DayFacts], period: str = "day") -> list[MixFigures]:
    """Open counter-hours by kind and the share served at no-difference counters, per period
    (day, week, month or year)."""
    found: dict[str, MixFigures] = {}
    for facts in days:
        day = facts.day
        iso = day.isocalendar()
        key = {
            "day": day.isoformat(),
            "week": f"{iso.year}-W{iso.week:02d}",
            "month": f"{day.year}-{day.month:02d}",
            "year": str(day.year),
        }[period]
        mix = found.get(key)
        if mix is None:
            mix = found[key] = MixFigures(key=key, label=key)
        for counter in facts.counters:
            for kind, spent in counter.open_by_kind.items():
                mix.open_hours[kind] = mix.open_hours.get(kind, 0.0) + spent
        for fact in facts.tickets:
            visit = fact.served_visit() if fact.outcome == "served" else None
            if visit is not None:
                mix.served += 1
                mix.served_no_difference += visit.kind == "no_difference"
    rows = []
    for key in sorted(found):
        mix = found[key]
        mix.open_hours = {k: round(v / 3600, 3) for k, v in sorted(mix.open_hours.items())}
        mix.share_no_difference = round(mix.served_no_difference / mix.served, 4) if mix.served else None
        rows.append(mix)
    return rows


def _label(dimension: str, key: str, names: Names) -> str:
    if key == "":
        return "—"
    if dimension == "hall":
        return names.halls.get(key, key)
    if dimension == "hour":
        return f"{key}:00–{int(key) + 1:02d}:00"
    if dimension == "weekday":
        return _WEEKDAYS[int(key) - 1]
    if dimension == "weekday_hour":
        weekday, hour = key.split("-")
        return f"{_WEEKDAYS[int(weekday) - 1]} {hour}时"
    if dimension == "item":
        return names.items.get(key, key)
    if dimension == "group":
        return names.groups.get(key, key)
    if dimension == "domain":
        return names.domains.get(key, key)
    if dimension == "priority":
        return _PRIORITIES.get(key, key)
    if dimension == "channel":
        return _CHANNELS.get(key, key)
    if dimension == "counter":
        return names.counters.get(key, key)
    if dimension == "kind":
        return _KINDS.get(key, key)
    if dimension == "clerk":
        return names.clerks.get(key, key)
    return key
