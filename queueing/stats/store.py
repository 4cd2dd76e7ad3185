"""The facts of hall days, from the record: folded once, kept in ``stats_day``, checked on reading.

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

from config.database import read_connection, write_transaction
from queueing import store
from queueing.events import DayStarted, Recorded
from queueing.policy import HallRules
from queueing.stats.facts import FACTS_VERSION, DayFacts, fold_day
from queueing.stats.models import StatsDayRow

__all__ = ["FactsStore"]

log = logging.getLogger("hall.stats")
_days: sa.Table = StatsDayRow.__table__  # type: ignore[attr-defined]
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(DayFacts)


class FactsStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def days(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> list[DayFacts]:
        """The facts of every hall day in [since, until] that has events, in day order."""
        return list(self.each_day(rules, since, until, now))

    def each_day(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> Iterator[DayFacts]:
        """The same, a day at a time (an export of months holds one day in memory), a month of
        days read per transaction."""
        start = since
        while start <= until:
            end = min(until, start + dt.timedelta(days=30))
            yield from self._days(rules, start, end, now)
            start = end + dt.timedelta(days=1)

    def _days(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> list[DayFacts]:
        hall = rules.hall
        folded: list[DayFacts] = []
        result: list[DayFacts] = []
        with read_connection(self.engine) as conn, conn.begin():
            inventory = store.day_inventory(conn, hall, since, until)
            kept = {
                row.day: row
                for row in conn.execute(
                    sa.select(_days.c.day, _days.c.last_seq, _days.c.events, _days.c.closed, _days.c.data).where(
                        _days.c.hall == hall,
                        _days.c.day >= since,
                        _days.c.day <= until,
                        _days.c.version == FACTS_VERSION,
                    )
                )
            }
            for day in sorted(inventory):
                last_seq, count = inventory[day]
                row = kept.get(day)
                if row is not None and row.closed and (row.last_seq, row.events) == (last_seq, count):
                    result.append(_decoder.decode(row.data))
                    continue
                facts = self._fold(conn, rules, day, now)
                result.append(facts)
                if facts.closed:
                    folded.append(facts)
        if folded:
            self._keep(hall, folded, now)
        return result

    def _fold(self, conn: sa.Connection, rules: HallRules, day: dt.date, now: dt.datetime) -> DayFacts:
        hall = rules.hall
        events = [Recorded(e.seq, e.event) for e in store.events(conn, hall, since=day, until=day)]
        after = store.first_event_after(conn, hall, day)
        next_day = after.event if after is not None and isinstance(after.event, DayStarted) else None
        return fold_day(rules, day, store.counters_at(conn, hall, day), events, next_day, until=now)

    def _keep(self, hall: str, days: list[DayFacts], now: dt.datetime) -> None:
        try:
            with write_transaction(self.engine) as conn, conn.begin():
                for facts in days:
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
