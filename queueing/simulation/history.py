"""What the simulator takes from a hall's record (I/O: the database, through the statistics'
kept days and the one read path to the record).

- ``service_minutes``: each item's recorded counter time per citizen served (from the call
  to done: walking over and the service, time away suspended left out), for an
  ``empirical`` service time;
- ``recorded``: one day as ``replay.RecordedDay`` (its citizens, counters and waits);
- ``day_counts``: the same days' arrivals per item and half hour, for the forecast
  (``forecast.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy.engine import Engine

from config.database import read_connection
from queueing import store
from queueing.events import Recorded
from queueing.policy import HallRules
from queueing.simulation.forecast import SLOTS, DayCounts
from queueing.simulation.replay import RecordedDay, recorded_day
from queueing.simulation.scenario import ScenarioFile
from queueing.stats.store import FactsStore
from queueing.stats.table import FLOATS, WORDS, Columns, DayTable

__all__ = ["HISTORY_WEEKS", "History", "day_counts", "service_minutes"]

HISTORY_WEEKS = 8  # the record the empirical service times and the forecast read


class History:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.facts = FactsStore(engine)

    def days(self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime) -> list[DayTable]:
        return self.facts.days(rules, since, until, now)

    def service_minutes(
        self, rules: HallRules, since: dt.date, until: dt.date, now: dt.datetime
    ) -> dict[str, list[float]]:
        """Each item's recorded minutes at the counter per citizen served, over [since, until]."""
        return service_minutes(Columns.of(self.days(rules, since, until, now)))

    def scenario_services(self, rules: HallRules, scenario: ScenarioFile, now: dt.datetime) -> dict[str, list[float]]:
        """What a scenario's ``empirical`` service times draw from: the last ``HISTORY_WEEKS``
        of the record up to yesterday (nothing read when no demand asks for it)."""
        if not any(d.service.distribution == "empirical" for d in scenario.demand):
            return {}
        today = rules.hall_day(now)
        return self.service_minutes(rules, today - dt.timedelta(weeks=HISTORY_WEEKS), today - dt.timedelta(days=1), now)

    def recorded(self, rules: HallRules, day: dt.date) -> RecordedDay:
        with read_connection(self.engine) as conn, conn.begin():
            specs = store.counters_at(conn, rules.hall, day)
            events = [Recorded(e.seq, e.event) for e in store.events(conn, rules.hall, since=day, until=day)]
        return recorded_day(day, rules.zone, specs, events)


def service_minutes(columns: Columns) -> dict[str, list[float]]:
    """Minutes from the call to done, suspended time left out, of each served ticket, by item."""
    served = columns.int["served"] == 1
    service = columns.float["service"]
    walk = np.nan_to_num(columns.float["walk"])  # pressed 开始办理: the walk is apart from the service
    minutes = (service + walk) / 60
    keep = served & ~np.isnan(service)
    items = columns.words["item"]
    found: dict[str, list[float]] = {}
    for code, value in zip(columns.code["item"][keep].tolist(), minutes[keep].tolist(), strict=True):
        found.setdefault(items[code], []).append(value)
    return found


def day_counts(
    tables: Sequence[DayTable], zone: dt.tzinfo, booked: Mapping[dt.date, Mapping[str, Sequence[int]]]
) -> list[DayCounts]:
    """Each recorded day's tickets per item and half hour, walk-ins (and desk tickets) apart
    from appointment check-ins, with the appointments that had been booked for it."""
    result = []
    for table in tables:
        floats, _, codes = table.arrays()
        arrived = floats[FLOATS.index("arrived")]
        midnight = dt.datetime.combine(table.day, dt.time(), zone).timestamp()
        slot = np.clip(((arrived - midnight) // 1800).astype(np.int64), 0, SLOTS - 1)
        items = table.words["item"]
        channels = table.words["channel"]
        appointment = channels.index("appointment") if "appointment" in channels else -1
        by_appointment = codes[WORDS.index("channel")] == appointment
        item_codes = codes[WORDS.index("item")]
        walk_in: dict[str, list[int]] = {}
        checked_in: dict[str, list[int]] = {}
        for k, item in enumerate(items):
            mine = item_codes == k
            walk = np.bincount(slot[mine & ~by_appointment], minlength=SLOTS)
            came = np.bincount(slot[mine & by_appointment], minlength=SLOTS)
            if walk.any():
                walk_in[item] = walk.tolist()
            if came.any():
                checked_in[item] = came.tolist()
        day_booked = booked.get(table.day, {})
        result.append(
            DayCounts(
                day=table.day,
                walk_in=walk_in,
                checked_in=checked_in,
                booked=sum(sum(v) for v in day_booked.values()),
            )
        )
    return result
