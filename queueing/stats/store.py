"""The facts of hall days, from the record: folded once, kept in ``stats_day`` (as a ``DayTable``:
column by column), checked on reading.

A kept day is used only while the record still agrees with it (its day's last event and count
of events are what they were) and the day was over when it was folded; anything else is folded
again from the record (``queueing.store``, the one read path to it). So the figures are the
record's, in every process: a day another process added to is read again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.database import is_postgres, read_connection, write_transaction
from queueing import store
from queueing.events import DayStarted, Recorded
from queueing.policy import HallRules
from queueing.stats.facts import FACTS_VERSION, fold_day
from queueing.stats.models import StatsDayRow
from queueing.stats.table import DayTable

__all__ = ["FactsStore"]

log = logging.getLogger("hall.stats")
_days: sa.Table = StatsDayRow.__table__  # type: ignore[attr-defined]
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(DayTable)
_KEEP_BATCH = 4  # days kept per transaction


class FactsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def days(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> list[DayTable]:
        """The facts of every hall day in [since, until] that has events, in day order."""
        return list(self.each_day(rules, since, until, now))

    def each_day(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> Iterator[DayTable]:
        """The same, a day at a time (an export of months holds one day in memory), a month of
        days read per transaction."""
        start = since
        while start <= until:
            end = min(until, start + dt.timedelta(days=30))
            yield from self._days(rules, start, end, now)
            start = end + dt.timedelta(days=1)

    def _days(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> list[DayTable]:
        hall = rules.hall
        folded: list[DayTable] = []
        result: list[DayTable] = []
        with read_connection(self.engine) as conn, conn.begin():
            kept = {
                row.day: row
                for row in conn.execute(
                    sa.select(_days.c.day, _days.c.last_seq, _days.c.events, _days.c.closed, _days.c.data).where(
                        _days.c.hall == hall,
                        _days.c.day >= since,
                        _days.c.day <= until,
                        _days.c.version == FACTS_VERSION,
                        _days.c.closed,
                    )
                )
            }
            # The kept days that still hold exactly their day's events, one after the other
            # from ``since``: no need to count the record's events of those days.
            whole = _whole(conn, hall, since, until, kept)
            rest = since if not whole else max(whole) + dt.timedelta(days=1)
            inventory = {day: (kept[day].last_seq, kept[day].events) for day in whole}
            if rest <= until:
                inventory.update(store.day_inventory(conn, hall, rest, until))
            for day in sorted(inventory):
                last_seq, count = inventory[day]
                row = kept.get(day)
                if row is not None and (row.last_seq, row.events) == (last_seq, count):
                    result.append(_decoder.decode(row.data))
                    continue
                facts = self._fold(conn, rules, day, now)
                result.append(facts)
                if facts.closed:
                    folded.append(facts)
        if folded:
            self._keep(hall, folded, now)
        return result

    def _fold(self, conn: sa.Connection, rules: HallRules, day: dt.date, now: dt.datetime) -> DayTable:
        hall = rules.hall
        events = [Recorded(e.seq, e.event) for e in store.events(conn, hall, since=day, until=day)]
        after = store.first_event_after(conn, hall, day)
        next_day = after.event if after is not None and isinstance(after.event, DayStarted) else None
        facts = fold_day(rules, day, store.counters_at(conn, hall, day), events, next_day, until=now)
        return DayTable.of(facts, rules.zone)

    def _keep(self, hall: str, days: list[DayTable], now: dt.datetime) -> None:
        # A few days per transaction: on SQLite the halls' own writes wait for each one.
        for start in range(0, len(days), _KEEP_BATCH):
            try:
                with write_transaction(self.engine) as conn, conn.begin():
                    for facts in days[start : start + _KEEP_BATCH]:
                        conn.execute(_days.delete().where(_days.c.hall == hall, _days.c.day == facts.day))
                        conn.execute(
                            _days.insert().values(
                                hall=hall,
                                day=facts.day,
                                version=FACTS_VERSION,
                                last_seq=facts.last_seq,
                                events=facts.events,
                                closed=facts.closed,
                                computed_at=now,
                                data=_encoder.encode(facts),
                            )
                        )
            except sa.exc.IntegrityError:  # another process kept the same days meanwhile
                log.info("days kept by another process", extra={"hall": hall})
        if not is_postgres(self.engine):
            # Copy what was just written from the write-ahead log into the database now, here:
            # otherwise the next commit of a hall (a call-next) would pay for it.
            raw = self.engine.raw_connection()
            try:
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[attr-defined]
            finally:
                raw.close()


def _whole(
    conn: sa.Connection, hall: str, since: dt.date, until: dt.date, kept: dict[dt.date, sa.Row]
) -> list[dt.date]:
    """The kept days, from the first in [since, until] on, that the record still agrees with,
    chained without a gap: a hall's events are numbered without gaps and their days never go
    back, so a kept day holds exactly its day's events when the event before its first and
    the event after its last belong to other days, and no day with events lies between two
    kept days when one's last event is followed by the other's first. Checked by looking up
    those few events by key, not by counting a month of events."""
    days = sorted(kept)
    if not days:
        return []
    bounds: list[tuple[dt.date, int, int]] = []
    for day in days:
        row = kept[day]
        bounds.append((day, row.last_seq - row.events + 1, row.last_seq))
    wanted = {seq for _, first, last in bounds for seq in (first - 1, first, last, last + 1)}
    found = store.days_of(conn, hall, wanted)
    whole: list[dt.date] = []
    for index, (day, first, last) in enumerate(bounds):
        if found.get(first) != day or found.get(last) != day:
            break
        before = found.get(first - 1)
        if index == 0 and before is not None and before >= since:
            break  # a day with events before the first kept one, in the range
        if index > 0 and bounds[index - 1][2] != first - 1:
            break  # a day with events between the previous kept day and this one
        after = found.get(last + 1)
        if after is None or after <= day:
            break  # not closed after all
        whole.append(day)
    return whole
