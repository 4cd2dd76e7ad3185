"""AB posts (AB岗): the roster managers set, and the coverage of each post computed from the
hall's record (``coverage.py`` does the arithmetic; this module reads and writes)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.database import read_connection, write_transaction
from config.halls import HallDefinition
from counters.coverage import Interval, Presence, Roster, coverage
from counters.models import PostRosterRow
from queueing.commands import Actor, AlertEmptyPost, Role
from queueing.errors import Invalid, Refusal
from queueing.events import decode_event
from queueing.hall import HallQueue
from queueing.lifecycle import CounterState
from queueing.models import HallEventRow
from queueing.service import HallRegistry

__all__ = ["PostCoverage", "PostService", "RosterEntry"]

log = logging.getLogger("hall.posts")
_WATCHER = Actor("post-watcher", Role.SYSTEM, "空岗提醒")
_roster: sa.Table = PostRosterRow.__table__  # type: ignore[attr-defined]
_events: sa.Table = HallEventRow.__table__  # type: ignore[attr-defined]
_PRESENCE_KINDS = {
    "staff_signed_in": "signed_in",
    "staff_signed_out": "signed_out",
    "counter_paused": "paused",
    "counter_opened": "opened",
    "counter_closed": "closed",
}


class RosterEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    counter: int
    a: str = ""  # username of the A person (A岗)
    b: str = ""  # username of the B person (B岗)


class PostCoverage(msgspec.Struct, kw_only=True):
    counter: int
    day: dt.date
    a: str
    b: str
    minutes_a: float
    minutes_b: float
    minutes_other: float
    minutes_empty: float
    open_minutes: float
    intervals: list[Interval]


class PostService:
    """``watch_seconds``: how often the watcher looks for empty posts (空岗) while the hall is open."""

    def __init__(
        self, engine: Engine, registry: HallRegistry, clock: Callable[[], dt.datetime], watch_seconds: float = 5.0
    ) -> None:
        self.engine, self.registry, self.clock = engine, registry, clock
        self.watch_seconds = watch_seconds
        self._watcher: asyncio.Task | None = None

    async def start(self) -> None:
        self._watcher = asyncio.create_task(self._watch_forever(), name="post-watcher")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def _watch_forever(self) -> None:
        while True:
            for runtime in self.registry:
                try:
                    await self.watch(runtime.id)
                except Exception:
                    log.exception("post watcher failed", extra={"hall": runtime.id})
            await asyncio.sleep(self.watch_seconds)

    async def watch(self, hall: str) -> list[int]:
        """Alert every rostered post that nobody serves while the hall is open and tickets wait
        that it could serve (once per empty spell: the core refuses a second alert, also from
        another server process). Returns the counters alerted."""
        runtime = self.registry.get(hall)
        definition = runtime.definition
        zone = ZoneInfo(definition.info.timezone)
        now = self.clock()
        local = now.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if not any(a <= minute < b for a, b in definition.rules.hours.spans_on(local.date())):
            return []
        roster = {r.counter: r for r in await self.roster(hall, local.date()) if r.a or r.b}
        if not roster:
            return []

        def empty_posts(queue: HallQueue, _: dt.datetime) -> list[int]:
            return [
                number
                for number, counter in queue.counters.items()
                if number in roster
                and counter.alerted_since is None
                and not (counter.state is CounterState.OPEN and counter.staff)
                and queue.waiting_for(number) > 0
            ]

        alerted = []
        for number in await runtime.read(empty_posts):
            entry = roster[number]
            command = AlertEmptyPost(at=now, actor=_WATCHER, counter=number, a=entry.a, b=entry.b)
            try:
                await runtime.execute(command)
            except Refusal:
                continue  # staffed meanwhile, or alerted by another process
            alerted.append(number)
            log.warning("empty post", extra={"hall": hall, "counter": number, "b": entry.b})
        return alerted

    def _hall(self, hall: str) -> HallDefinition:
        return self.registry.get(hall).definition

    # ---------------------------------------------------------------- the roster

    async def set_roster(self, hall: str, day: dt.date, entries: list[RosterEntry], by: str) -> list[RosterEntry]:
        definition = self._hall(hall)
        staff = {s.username for s in definition.staff}
        counters = {c.number for c in definition.counters}
        for index, entry in enumerate(entries):
            where = f"[{index}] (counter {entry.counter})"
            if entry.counter not in counters:
                raise Invalid(f"{where}: no such counter in hall {hall}", "窗口不存在")
            for role, name in (("a", entry.a), ("b", entry.b)):
                if name and name not in staff:
                    raise Invalid(f"{where}.{role}: {name!r} is not a staff member of hall {hall}", "人员不存在")
            if entry.a and entry.a == entry.b:
                raise Invalid(f"{where}: the A and the B person must be two people", "A岗与B岗不能为同一人")
        if len({e.counter for e in entries}) != len(entries):
            raise Invalid("each counter once", "窗口重复")
        await asyncio.to_thread(self._write_roster, hall, day, entries, by, self.clock())
        return await self.roster(hall, day)

    def _write_roster(self, hall: str, day: dt.date, entries: list[RosterEntry], by: str, at: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            for entry in entries:
                key = (_roster.c.hall == hall, _roster.c.counter == entry.counter, _roster.c.day == day)
                conn.execute(_roster.delete().where(*key))
                conn.execute(
                    _roster.insert().values(
                        hall=hall,
                        counter=entry.counter,
                        day=day,
                        a_staff=entry.a,
                        b_staff=entry.b,
                        set_by=by,
                        set_at=at,
                    )
                )

    async def roster(self, hall: str, day: dt.date) -> list[RosterEntry]:
        rows = await asyncio.to_thread(self._read_roster, hall, day, day)
        return [RosterEntry(counter=r.counter, a=r.a_staff, b=r.b_staff) for r in rows]

    def _read_roster(self, hall: str, since: dt.date, until: dt.date) -> list[sa.Row]:
        with read_connection(self.engine) as conn, conn.begin():
            return list(
                conn.execute(
                    sa.select(_roster)
                    .where(_roster.c.hall == hall, _roster.c.day >= since, _roster.c.day <= until)
                    .order_by(_roster.c.day, _roster.c.counter)
                )
            )

    # ---------------------------------------------------------------- coverage

    async def coverage(
        self, hall: str, since: dt.date, until: dt.date, counter: int | None = None
    ) -> list[PostCoverage]:
        """Per post and day in [since, until]: minutes staffed by A, B, someone else, and empty
        within opening hours, with the intervals (today: up to now)."""
        if until < since or (until - since).days > 92:
            raise Invalid("from must not be after to, and at most 93 days apart", "日期范围有误")
        definition = self._hall(hall)
        zone = ZoneInfo(definition.info.timezone)
        now = self.clock()
        rosters = {(r.counter, r.day): r for r in await asyncio.to_thread(self._read_roster, hall, since, until)}
        changes = await asyncio.to_thread(self._presence, hall, since, until, counter)
        numbers = sorted(c.number for c in definition.counters if counter in (None, c.number))
        result = []
        day = since
        while day <= until:
            midnight = dt.datetime.combine(day, dt.time(), zone)
            spans = [
                (midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=b))
                for a, b in definition.rules.hours.spans_on(day)
            ]
            for number in numbers:
                row = rosters.get((number, day))
                roster = Roster(a=row.a_staff, b=row.b_staff) if row else Roster()
                covered = coverage(spans, changes.get((number, day), []), roster, until=now)
                result.append(
                    PostCoverage(
                        counter=number,
                        day=day,
                        a=roster.a,
                        b=roster.b,
                        minutes_a=round(covered.minutes("A"), 1),
                        minutes_b=round(covered.minutes("B"), 1),
                        minutes_other=round(covered.minutes("other"), 1),
                        minutes_empty=round(covered.minutes("empty"), 1),
                        open_minutes=round(covered.open_minutes, 1),
                        intervals=list(covered.intervals),
                    )
                )
            day += dt.timedelta(days=1)
        return result

    def _presence(
        self, hall: str, since: dt.date, until: dt.date, counter: int | None
    ) -> dict[tuple[int, dt.date], list[Presence]]:
        """Each counter's sign-ins, sign-outs, pauses, openings and closings per hall day."""
        query = (
            sa.select(_events.c.day, _events.c.counter, _events.c.kind, _events.c.data)
            .where(
                _events.c.hall == hall,
                _events.c.day >= since,
                _events.c.day <= until,
                _events.c.kind.in_(list(_PRESENCE_KINDS)),
            )
            .order_by(_events.c.seq)
        )
        if counter is not None:
            query = query.where(_events.c.counter == counter)
        found: dict[tuple[int, dt.date], list[Presence]] = {}
        with read_connection(self.engine) as conn, conn.begin():
            for row in conn.execute(query):
                event = decode_event(row.data)
                found.setdefault((row.counter, row.day), []).append(
                    Presence(
                        at=event.at,
                        kind=_PRESENCE_KINDS[row.kind],  # type: ignore[arg-type]
                        staff=getattr(event, "staff", "") or "",
                        reason=getattr(event, "reason", "") or "",
                    )
                )
        return found
