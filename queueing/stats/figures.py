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

import msgspec
import numpy as np

from queueing.stats.table import OUTCOMES, Columns, Sorted

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
    "keys_of",
    "mix_figures",
    "nearest_rank",
    "served_by_clerk",
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


def _week(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


_PERIODS: Final = {
    "day": lambda day: day.isoformat(),
    "week": _week,
    "month": lambda day: f"{day.year}-{day.month:02d}",
    "year": lambda day: str(day.year),
}


def keys_of(columns: Columns, dimension: str, names: Names) -> tuple[np.ndarray, list[str]]:
    """Each ticket's key under ``dimension``, as codes into the returned keys."""
    if dimension == "hall":
        return columns.per_table([t.hall for t in columns.tables])
    if dimension in _PERIODS:
        return columns.per_table([_PERIODS[dimension](t.day) for t in columns.tables])
    if dimension == "hour":
        return columns.int["hour"], [f"{h:02d}" for h in range(24)]
    if dimension == "weekday":
        return columns.int["weekday"], [str(w) for w in range(8)]
    if dimension == "weekday_hour":
        keys = [f"{w}-{h:02d}" for w in range(8) for h in range(24)]
        return columns.int["weekday"] * 24 + columns.int["hour"], keys
    if dimension == "domain":
        found: dict[str, int] = {}
        items = columns.words["item"]
        lookup = np.array([found.setdefault(names.item_domain.get(i, ""), len(found)) for i in items], dtype=np.int32)
        return (lookup[columns.code["item"]] if len(lookup) else columns.code["item"]), list(found)
    if dimension == "counter":
        counters = columns.int["counter"].astype(np.int64) + 1  # -1 (none) → 0
        halls, hall_words = columns.per_table([t.hall for t in columns.tables])
        width = int(counters.max(initial=0)) + 1
        found, codes = np.unique(halls.astype(np.int64) * width + counters, return_inverse=True)
        keys = [f"{hall_words[key // width]}/{key % width - 1}" if key % width else "" for key in found.tolist()]
        return codes.reshape(-1), keys
    return columns.code[dimension], columns.words[dimension]


class _Figures:
    """The ticket figures of every group of one dimension, computed column-wise."""

    def __init__(self, columns: Columns, groups: np.ndarray, k: int, target: float) -> None:
        f, i = columns.float, columns.int
        self.k = k
        self.groups = groups
        count = lambda mask=None, weights=None: np.bincount(  # noqa: E731
            groups if mask is None else groups[mask], weights=weights, minlength=k
        )
        self.arrivals = count()
        self.outcomes = np.bincount(groups * len(OUTCOMES) + i["outcome"], minlength=k * len(OUTCOMES)).reshape(
            k, len(OUTCOMES)
        )
        wait = f["wait"]
        called = ~np.isnan(wait)
        within = called & (np.nan_to_num(wait, nan=np.inf) <= target)
        # still waiting and not yet past the target: undecided
        undecided = ~called & (i["outcome"] == OUTCOMES.index("waiting"))
        undecided &= (columns.until_of() - f["arrived"]) <= target
        decided = ~undecided
        served = i["served"] == 1
        self.decided = count(decided)
        self.within = count(decided & within)
        self.served_within = count(served & within)
        self.recalls = count(weights=i["recalls"])
        self.transfers = count(weights=i["transfers"])
        self.reinstated = count(weights=i["reinstated"])
        measures = columns.sorted()
        self.wait = _Spread(measures["wait"], groups, k)
        self.walk = _Spread(measures["walk"], groups, k)
        self.service = _Spread(measures["service"], groups, k)

    def figures(self, g: int, key: str, label: str) -> TicketFigures:
        served = int(self.outcomes[g, 0])
        decided = int(self.decided[g])
        wait, service = self.wait, self.service
        return TicketFigures(
            key=key,
            label=label,
            arrivals=int(self.arrivals[g]),
            **{o: int(self.outcomes[g, k]) for k, o in enumerate(OUTCOMES)},
            called=int(wait.n[g]),
            wait_mean=wait.mean(g),
            wait_p50=wait.rank(g, 0.5),
            wait_p90=wait.rank(g, 0.9),
            wait_p95=wait.rank(g, 0.95),
            wait_max=wait.rank(g, 1.0),
            walk_mean=self.walk.mean(g),
            service_mean=service.mean(g),
            service_p90=service.rank(g, 0.9),
            within_target=int(self.within[g]),
            decided=decided,
            service_level=round(int(self.within[g]) / decided, 4) if decided else None,
            service_level_served=round(int(self.served_within[g]) / served, 4) if served else None,
            recalls=int(self.recalls[g]),
            transfers=int(self.transfers[g]),
            reinstated=int(self.reinstated[g]),
        )


class _Spread:
    """One measure per group: how many, the mean, nearest-rank percentiles."""

    def __init__(self, measure: Sorted, groups: np.ndarray, k: int) -> None:
        where = groups[measure.have][measure.order]  # each sorted value's group
        self.n = np.bincount(where, minlength=k)
        self.sum = np.bincount(where, weights=measure.values, minlength=k)
        # Grouped, each group still in value order (a stable sort by group: radix sort on
        # small integers): every group's sorted values, one after the other.
        small = where.astype(np.int16) if k < 2**15 else where
        self.sorted = measure.values[np.argsort(small, kind="stable")]
        self.start = np.concatenate(([0], np.cumsum(self.n)[:-1])) if k else np.zeros(0, dtype=np.int64)

    def mean(self, g: int) -> float | None:
        n = int(self.n[g])
        return _minutes(float(self.sum[g]) / n) if n else None

    def rank(self, g: int, p: float) -> float | None:
        n = int(self.n[g])
        if not n:
            return None
        return _minutes(float(self.sorted[int(self.start[g]) + max(math.ceil(p * n), 1) - 1]))


def ticket_figures(
    columns: Columns, names: Names, target_minutes: float, by: Iterable[str]
) -> tuple[TicketFigures, dict[str, list[TicketFigures]]]:
    """The figures of all the tickets of ``columns``, and by each dimension of ``by``."""
    target = target_minutes * 60
    total = _Figures(columns, np.zeros(columns.size, dtype=np.int64), 1, target).figures(0, "", "全部 all")
    result = {}
    for dimension in (d for d in by if d in DIMENSIONS):
        codes, keys = keys_of(columns, dimension, names)
        figures = _Figures(columns, codes.astype(np.int64), len(keys), target)
        present = [g for g in range(len(keys)) if figures.arrivals[g]]
        present.sort(key=lambda g: _order(dimension, keys[g]))
        result[dimension] = [figures.figures(g, keys[g], _label(dimension, keys[g], names)) for g in present]
    return total, result


def served_by_clerk(columns: Columns) -> dict[tuple[str, str], tuple[int, float | None]]:
    """For each (hall, clerk): tickets served and their mean service (minutes), as the
    ``clerk`` figures count them (the clerk signed in where the ticket was served)."""
    halls, hall_words = columns.per_table([t.hall for t in columns.tables])
    clerks = columns.words["clerk"]
    served = columns.int["served"] == 1
    keys = halls.astype(np.int64) * max(len(clerks), 1) + columns.code["clerk"]
    k = len(hall_words) * max(len(clerks), 1)
    count = np.bincount(keys[served], minlength=k)
    spread = _Spread(columns.sorted()["service"], keys, k)
    result = {}
    for key in np.flatnonzero(count).tolist():
        hall, clerk = hall_words[key // max(len(clerks), 1)], clerks[key % max(len(clerks), 1)]
        if clerk:
            result[(hall, clerk)] = (int(count[key]), spread.mean(key))
    return result


def counter_figures(columns: Columns, names: Names, by: Iterable[str]) -> dict[str, list[CounterFigures]]:
    """Open, busy, idle-while-waited-for and paused time of the counters, by each dimension
    of ``by`` (hall, day, week, month, year, counter, kind, clerk)."""
    dimensions = [d for d in by if d in COUNTER_DIMENSIONS]
    groups: dict[str, dict[str, CounterFigures]] = {d: {} for d in dimensions}

    def into(dimension: str, key: str) -> CounterFigures:
        found = groups[dimension].get(key)
        if found is None:
            found = groups[dimension][key] = CounterFigures(key=key, label=_label(dimension, key, names))
        return found

    # Tickets served, by day, counter and clerk (and by kind), counted column-wise.
    served = columns.int["served"] == 1
    clerks, kinds = columns.words["clerk"], columns.words["kind"]
    counters = columns.int["counter"][served].astype(np.int64) + 1  # -1 (none) → 0
    width_clerk = max(len(clerks), 1)
    width_counter = int(counters.max(initial=0)) + 1
    keys = (columns.table_of[served].astype(np.int64) * width_counter + counters) * width_clerk
    keys += columns.code["clerk"][served]
    found, counts = np.unique(keys, return_counts=True)
    served_by: dict[int, dict[tuple[int, str], int]] = {}
    for key, n in zip(found.tolist(), counts.tolist(), strict=True):
        table, rest = divmod(key, width_counter * width_clerk)
        counter, clerk = divmod(rest, width_clerk)
        served_by.setdefault(table, {})[(counter - 1, clerks[clerk])] = n
    if "kind" in groups:
        by_kind = np.bincount(columns.code["kind"][served], minlength=len(kinds))
        for k, n in enumerate(by_kind.tolist()):
            if n:
                into("kind", kinds[k]).served += n
    for index, table in enumerate(columns.tables):
        periods = {"hall": table.hall, **{p: key(table.day) for p, key in _PERIODS.items()}}
        day_served = served_by.get(index, {})
        for counter in table.counters:
            mine = sum(n for (c, _), n in day_served.items() if c == counter.counter)
            shares = [(periods[d], d) for d in dimensions if d in periods]
            shares += [(f"{table.hall}/{counter.counter}", "counter")] if "counter" in groups else []
            for key, dimension in shares:
                spent = (counter.open, counter.busy, counter.idle_waiting)
                _add_counter(into(dimension, key), *spent, counter.paused, mine)
            if "kind" in groups:
                for kind, open_seconds in counter.open_by_kind.items():
                    busy_s, idle_s = counter.busy_by_kind.get(kind, 0.0), counter.idle_by_kind.get(kind, 0.0)
                    _add_counter(into("kind", kind), open_seconds, busy_s, idle_s, {}, 0)
            if "clerk" in groups:
                for clerk, open_seconds in counter.open_by_clerk.items():
                    _add_counter(into("clerk", clerk), open_seconds, counter.busy_by_clerk.get(clerk, 0.0), 0.0, {}, 0)
                for (c, clerk), n in day_served.items():
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


def estimate_figures(columns: Columns) -> dict[str, list[EstimateFigures]]:
    """How wrong the estimates told at issue were, by hour of arrival and by people ahead."""
    told = columns.float["quoted_minutes"]
    waited = columns.float["wait"] / 60
    have = ~np.isnan(told) & ~np.isnan(waited)
    told, waited = told[have], waited[have]
    ahead = np.maximum(columns.int["quoted_ahead"][have], 0)
    band_index = np.zeros(len(ahead), dtype=np.int64)
    for k, (low, _high) in enumerate(AHEAD_BANDS):
        band_index[ahead >= low] = k
    bands = [band_of(low) for low, _ in AHEAD_BANDS]
    hours = columns.int["hour"][have]
    result = {}
    for dimension, codes, keys in (
        ("hour", hours, [f"{h:02d}" for h in range(24)]),
        ("ahead", band_index, bands),
        ("all", np.zeros(len(told), dtype=np.int64), [""]),
    ):
        rows = []
        for g, key in enumerate(keys):
            mask = codes == g
            n = int(mask.sum())
            if n:
                rows.append(_estimate(key, _estimate_label(dimension, key), told[mask], waited[mask]))
        result[dimension] = rows
    return result


def _estimate_label(dimension: str, key: str) -> str:
    if dimension == "hour":
        return f"{key}时"
    if dimension == "ahead":
        return f"前面{key}人"
    return "全部 all"


def _estimate(key: str, label: str, told: np.ndarray, waited: np.ndarray) -> EstimateFigures:
    n = len(told)
    errors = told - waited
    return EstimateFigures(
        key=key,
        label=label,
        tickets=n,
        quoted_mean=round(float(told.sum()) / n, 2),
        actual_mean=round(float(waited.sum()) / n, 2),
        mean_absolute_error=round(float(np.abs(errors).sum()) / n, 2),
        bias=round(float(errors.sum()) / n, 2),
        within_5=round(int((np.abs(errors) <= 5).sum()) / n, 4),
    )


def mix_figures(columns: Columns, period: str = "day") -> list[MixFigures]:
    """Open counter-hours by kind and the share served at no-difference counters, per period
    (day, week, month or year)."""
    found: dict[str, MixFigures] = {}
    served = columns.int["served"] == 1
    kinds = columns.words["kind"]
    no_difference = kinds.index("no_difference") if "no_difference" in kinds else -1
    per_table = np.bincount(columns.table_of[served], minlength=len(columns.tables))
    per_table_nd = np.bincount(
        columns.table_of[served & (columns.code["kind"] == no_difference)], minlength=len(columns.tables)
    )
    for index, table in enumerate(columns.tables):
        key = _PERIODS[period](table.day)
        mix = found.get(key)
        if mix is None:
            mix = found[key] = MixFigures(key=key, label=key)
        for counter in table.counters:
            for kind, spent in counter.open_by_kind.items():
                mix.open_hours[kind] = mix.open_hours.get(kind, 0.0) + spent
        mix.served += int(per_table[index])
        mix.served_no_difference += int(per_table_nd[index])
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
