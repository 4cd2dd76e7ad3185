"""A hall day's tickets as columns: what is kept of each day, and what the figures are read from.

``DayTable.of(facts)`` turns the facts of a day (``facts.py``) into one column per figure
(arrival, wait, walk, service … as float64; outcome, recalls … as int32; item, group,
counter, clerk … as codes into the day's own word lists) plus the day's counters. It is what
``stats_day`` keeps (msgpack, the arrays as bytes): reading a month back is a few
``frombuffer`` calls, and the figures (``figures.py``) are computed over all the days'
columns at once with numpy, whatever the number of tickets.

``Columns.of(tables)`` joins days (of one hall or several) into one set of arrays, with
every word list merged, so a group-by is a ``bincount``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import msgspec
import numpy as np

from queueing.stats.facts import FACTS_VERSION, CounterDay, DayFacts

__all__ = ["FLOATS", "INTS", "OUTCOMES", "WORDS", "Columns", "DayTable", "Sorted"]

OUTCOMES = ("served", "no_show", "cancelled", "expired", "waiting")
# Seconds since the epoch (arrived, slot, first_called, started, ended) or seconds (wait …);
# NaN: none. ``started`` and ``service`` are of the visit that served the ticket.
FLOATS = ("arrived", "slot", "first_called", "started", "ended", "wait", "walk", "service", "quoted_minutes")
# -1: none. ``counter``: the counter that served the ticket (else the first that called it).
INTS = ("outcome", "served", "recalls", "transfers", "reinstated", "quoted_ahead", "hour", "weekday", "counter")
# Words, coded per day: the ticket's item …; ``kind`` and ``clerk`` of the counter above.
WORDS = ("item", "group", "priority", "channel", "kind", "clerk", "number")


class DayTable(msgspec.Struct, array_like=True):
    """One hall day, as kept: its tickets column by column, and its counters."""

    hall: str
    day: dt.date
    closed: bool
    until: float
    last_seq: int
    events: int
    size: int  # tickets
    floats: bytes  # float64, len(FLOATS) × size, row by row
    ints: bytes  # int32, len(INTS) × size
    words: dict[str, list[str]]  # each WORDS column's distinct values
    codes: bytes  # int32, len(WORDS) × size: indexes into ``words``
    counters: list[CounterDay]
    version: int = FACTS_VERSION

    @classmethod
    def of(cls, facts: DayFacts, zone: ZoneInfo) -> DayTable:
        n = len(facts.tickets)
        floats = np.full((len(FLOATS), n), np.nan)
        ints = np.full((len(INTS), n), -1, dtype=np.int32)
        codes = np.zeros((len(WORDS), n), dtype=np.int32)
        words: dict[str, dict[str, int]] = {w: {} for w in WORDS}
        outcome_code = {o: k for k, o in enumerate(OUTCOMES)}

        def code(column: str, value: str) -> int:
            found = words[column]
            return found.setdefault(value, len(found))

        for i, t in enumerate(facts.tickets):
            served = t.served_visit()
            is_served = served is not None and t.outcome == "served"
            at = served or (t.visits[0] if t.visits else None)
            local = dt.datetime.fromtimestamp(t.arrived, zone)
            floats[0, i] = t.arrived
            if t.slot is not None:
                floats[1, i] = t.slot
            if t.first_called is not None:
                floats[2, i] = t.first_called
                floats[5, i] = t.first_called - t.arrived
            if is_served and served is not None:
                if served.started is not None:
                    floats[3, i] = served.started
                if served.ended is not None:
                    began = served.started if served.started is not None else served.called
                    floats[7, i] = max(served.ended - began - served.suspended, 0.0)
                    if served.started is not None:
                        floats[6, i] = served.started - served.called
            if t.ended is not None:
                floats[4, i] = t.ended
            if t.quoted_minutes is not None:
                floats[8, i] = t.quoted_minutes
            ints[0, i] = outcome_code[t.outcome]
            ints[1, i] = int(is_served)
            ints[2, i] = sum(v.recalls for v in t.visits)
            ints[3, i] = t.transfers
            ints[4, i] = t.reinstated
            if t.quoted_ahead is not None:
                ints[5, i] = t.quoted_ahead
            ints[6, i] = local.hour
            ints[7, i] = local.isoweekday()
            if at is not None:
                ints[8, i] = at.counter
            codes[0, i] = code("item", t.item)
            codes[1, i] = code("group", t.group)
            codes[2, i] = code("priority", t.priority)
            codes[3, i] = code("channel", t.channel)
            codes[4, i] = code("kind", at.kind if at else "")
            codes[5, i] = code("clerk", (at.clerk or "") if at else "")
            codes[6, i] = code("number", t.number)
        return cls(
            hall=facts.hall,
            day=facts.day,
            closed=facts.closed,
            until=facts.until,
            last_seq=facts.last_seq,
            events=facts.events,
            size=n,
            floats=floats.tobytes(),
            ints=ints.tobytes(),
            words={w: list(found) for w, found in words.items()},
            codes=codes.tobytes(),
            counters=facts.counters,
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.size
        return (
            np.frombuffer(self.floats, dtype=np.float64).reshape(len(FLOATS), n),
            np.frombuffer(self.ints, dtype=np.int32).reshape(len(INTS), n),
            np.frombuffer(self.codes, dtype=np.int32).reshape(len(WORDS), n),
        )


class Sorted:
    """One measure's values (seconds; NaN: none), sorted once: ``order`` takes the tickets
    that have it (``have``) into value order."""

    def __init__(self, values: np.ndarray) -> None:
        self.have = ~np.isnan(values)
        kept = values[self.have]
        self.order = np.argsort(kept, kind="stable")
        self.values = kept[self.order]


class Columns:
    """The tickets of many hall days, one array per column; ``words[w]`` the merged word list
    of each WORDS column and ``code[w]`` each ticket's index into it."""

    def __init__(
        self,
        tables: Sequence[DayTable],
        floats: dict[str, np.ndarray],
        ints: dict[str, np.ndarray],
        codes: dict[str, np.ndarray],
        words: dict[str, list[str]],
        table_of: np.ndarray,
    ) -> None:
        self.tables = list(tables)
        self.size = len(table_of)
        self.float = floats
        self.int = ints
        self.code = codes
        self.words = words
        self.table_of = table_of  # each ticket's index into ``tables``
        self._sorted: dict[str, Sorted] | None = None

    @classmethod
    def _stacked(
        cls,
        tables: Sequence[DayTable],
        floats: np.ndarray,
        ints: np.ndarray,
        codes: np.ndarray,
        words: dict[str, list[str]],
        table_of: np.ndarray,
    ) -> Columns:
        return cls(
            tables,
            {name: floats[k] for k, name in enumerate(FLOATS)},
            {name: ints[k] for k, name in enumerate(INTS)},
            {name: codes[k] for k, name in enumerate(WORDS)},
            words,
            table_of,
        )

    @classmethod
    def of(cls, tables: Sequence[DayTable], numbers: bool = False) -> Columns:
        """Join ``tables``; the ticket numbers' words only if asked (exports)."""
        merged: dict[str, dict[str, int]] = {w: {} for w in WORDS}
        floats, ints, codes, owners = [], [], [], []
        for index, table in enumerate(tables):
            f, i, c = table.arrays()
            floats.append(f)
            ints.append(i)
            mapped = np.empty_like(c)
            for k, column in enumerate(WORDS):
                if column == "number" and not numbers:
                    mapped[k] = 0
                    continue
                found = merged[column]
                lookup = np.array([found.setdefault(w, len(found)) for w in table.words[column]], dtype=np.int32)
                mapped[k] = lookup[c[k]] if len(lookup) else c[k]
            codes.append(mapped)
            owners.append(np.full(table.size, index, dtype=np.int32))
        if not tables:
            return cls._stacked(
                [],
                np.zeros((len(FLOATS), 0)),
                np.zeros((len(INTS), 0), dtype=np.int32),
                np.zeros((len(WORDS), 0), dtype=np.int32),
                {w: [] for w in WORDS},
                np.zeros(0, dtype=np.int32),
            )
        return cls._stacked(
            tables,
            np.concatenate(floats, axis=1),
            np.concatenate(ints, axis=1),
            np.concatenate(codes, axis=1),
            {w: list(found) for w, found in merged.items()},
            np.concatenate(owners),
        )

    def sorted(self) -> dict[str, Sorted]:
        """The wait, walk and service columns, each sorted once (for every grouping), kept."""
        if self._sorted is None:
            self._sorted = {name: Sorted(self.float[name]) for name in ("wait", "walk", "service")}
        return self._sorted

    def until_of(self) -> np.ndarray:
        """Each ticket's day's ``until`` (the facts run to it)."""
        return np.array([t.until for t in self.tables], dtype=np.float64)[self.table_of]

    def per_table(self, values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """A column of one word per day (``values[k]`` for ``tables[k]``): codes and words."""
        found: dict[str, int] = {}
        lookup = np.array([found.setdefault(v, len(found)) for v in values], dtype=np.int32)
        return (lookup[self.table_of] if len(lookup) else self.table_of.copy()), list(found)
