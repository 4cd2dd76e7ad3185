"""AB posts (AB岗): the roster managers set, and the coverage of each post computed from the
hall's record (``coverage.py`` does the arithmetic; this module reads and writes)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.engine import Engine

from config.database import in_thread, log_background_failure
from counters.coverage import Interval, Presence, Roster, coverage
from counters.settings import CounterHall
from counters.store import CounterStore
from queueing.bounds import CounterNumber, Day, check_day, check_days, within_calendar
from queueing.commands import Actor, AlertEmptyPost, Role
from queueing.errors import Invalid, NotFound, Refusal
from queueing.hall import HallQueue
from queueing.lifecycle import CounterState
from queueing.service import HallRegistry

__all__ = ["PostCoverage", "PostService", "RosterEntry"]

log = logging.getLogger("hall.posts")
COVERAGE_DAYS = 93  # a quarter's coverage at once (its intervals make a long answer)
_WATCHER = Actor("post-watcher", Role.SYSTEM, "空岗提醒")
_PRESENCE_KINDS = {
    "staff_signed_in": "signed_in",
    "staff_signed_out": "signed_out",
    "counter_paused": "paused",
    "counter_opened": "opened",
    "counter_closed": "closed",
}


class RosterEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    counter: CounterNumber
    a: str = ""  # username of the A person (A岗)
    b: str = ""  # username of the B person (B岗)


class RosterCopy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Copy a day's or a week's roster onto later days: the ``days`` days from ``source`` are
    written ``times`` times, one block after the other, from ``target``. Last week onto this
    week is a copy; one week onto the next four is a weekly template."""

    source: Day
    target: Day
    days: Annotated[int, msgspec.Meta(ge=1, le=7)] = 1
    times: Annotated[int, msgspec.Meta(ge=1, le=12)] = 1

    def __post_init__(self) -> None:
        within_calendar("source", self.source)
        within_calendar("target", self.target)


class RosterCopied(msgspec.Struct, kw_only=True):
    days: list[dt.date]  # the days written
    dropped: list[str]  # people in the source no longer on the hall's staff (their post left empty)
    past: list[dt.date] = []  # target days before today, left as they were (the record of who was rostered)


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
        self,
        engine: Engine,
        registry: HallRegistry,
        halls: list[CounterHall],
        clock: Callable[[], dt.datetime],
        watch_seconds: float = 5.0,
    ) -> None:
        self.store = CounterStore(engine)
        self.registry, self.clock = registry, clock
        self.halls = {h.id: h for h in halls}
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
            try:
                # One read of every open hall's roster a round, not one per hall: a hundred halls
                # in a process cost 20 reads a second, and as many thread wake-ups, doing nothing.
                rosters = await self._rosters(self.clock())
            except Exception as exc:  # an outage is one line a round, tried again next round
                log_background_failure(log, "post watcher failed", exc)
                rosters = {}
            for hall, roster in rosters.items():
                try:
                    # a task of its own: a round's writes leave the next round's deadlines as they were
                    await asyncio.create_task(self._alert(hall, roster, self.clock()))
                except Exception as exc:
                    log_background_failure(log, "post watcher failed", exc, hall=hall)
            await asyncio.sleep(self.watch_seconds)

    def _open_on(self, hall: str, now: dt.datetime) -> dt.date | None:
        """The hall's date if it is open at ``now``, else None."""
        part = self._hall(hall)
        local = now.astimezone(ZoneInfo(part.info.timezone))
        minute = local.hour * 60 + local.minute
        return local.date() if any(a <= minute < b for a, b in part.rules.hours.spans_on(local.date())) else None

    async def _rosters(self, now: dt.datetime, halls: list[str] | None = None) -> dict[str, dict[int, RosterEntry]]:
        """The posts with someone rostered (counter -> entry) of every open hall that has any."""
        days = {h: day for h in (self.halls if halls is None else halls) if (day := self._open_on(h, now))}
        if not days:
            return {}
        found: dict[str, dict[int, RosterEntry]] = {}
        for r in await in_thread(self.store.rosters_on, days):
            if r.a_staff or r.b_staff:
                found.setdefault(r.hall, {})[r.counter] = RosterEntry(counter=r.counter, a=r.a_staff, b=r.b_staff)
        return found

    async def watch(self, hall: str) -> list[int]:
        """Alert every rostered post that nobody serves while the hall is open and tickets wait
        that it could serve (once per empty spell: the core refuses a second alert, also from
        another server process). Returns the counters alerted."""
        self._hall(hall)
        now = self.clock()
        roster = (await self._rosters(now, [hall])).get(hall)
        return await self._alert(hall, roster, now) if roster else []

    async def _alert(self, hall: str, roster: dict[int, RosterEntry], now: dt.datetime) -> list[int]:
        runtime = self.registry.get(hall)

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

    def _hall(self, hall: str) -> CounterHall:
        found = self.halls.get(hall)
        if found is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        return found

    # ---------------------------------------------------------------- the roster

    async def set_roster(self, hall: str, day: dt.date, entries: list[RosterEntry], by: str) -> list[RosterEntry]:
        part = self._hall(hall)
        staff = {s.username for s in part.staff}
        counters = {c.number for c in part.counters}
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
        rows = [(e.counter, e.a, e.b) for e in entries]
        await in_thread(self.store.write_roster, hall, day, rows, by, self.clock())
        return await self.roster(hall, day)

    async def copy_roster(self, hall: str, copy: RosterCopy, by: str) -> RosterCopied:
        """Every counter of each target day as on its source day (a counter not set there is
        cleared), so a copied day is the same roster, not a mix."""
        part = self._hall(hall)
        last_source = copy.source + dt.timedelta(days=copy.days - 1)
        if copy.target <= last_source:
            raise Invalid(
                f"target {copy.target} must come after the copied days ({copy.source} to {last_source})",
                "目标日期须在被复制的日期之后",
            )
        # Every target day first: a copy is written whole or not at all.
        targets = [
            (copy.target + dt.timedelta(days=repeat * copy.days + offset), offset)
            for repeat in range(copy.times)
            for offset in range(copy.days)
        ]
        check_day("target", targets[-1][0])  # the last day written, inside the hall's calendar too
        today = self.clock().astimezone(ZoneInfo(part.info.timezone)).date()
        staff = {s.username for s in part.staff}
        counters = sorted(c.number for c in part.counters)
        rows = await in_thread(self.store.roster, hall, copy.source, last_source)
        by_day: dict[int, dict[int, tuple[str, str]]] = {}
        dropped: set[str] = set()
        for row in rows:
            kept = []
            for name in (row.a_staff, row.b_staff):
                if name and name not in staff:
                    dropped.add(name)
                kept.append(name if name in staff else "")
            by_day.setdefault((row.day - copy.source).days, {})[row.counter] = (kept[0], kept[1])
        # Days before today keep their roster: coverage of the past is read against it.
        days = [
            (day, [(n, *by_day.get(offset, {}).get(n, ("", ""))) for n in counters])
            for day, offset in targets
            if day >= today
        ]
        await in_thread(self.store.write_rosters, hall, days, by, self.clock())
        past = [day for day, _ in targets if day < today]
        return RosterCopied(days=[day for day, _ in days], dropped=sorted(dropped), past=past)

    async def roster(self, hall: str, day: dt.date) -> list[RosterEntry]:
        self._hall(hall)
        rows = await in_thread(self.store.roster, hall, day, day)
        return [RosterEntry(counter=r.counter, a=r.a_staff, b=r.b_staff) for r in rows]

    # ---------------------------------------------------------------- coverage

    async def coverage(
        self, hall: str, since: dt.date, until: dt.date, counter: int | None = None
    ) -> list[PostCoverage]:
        """Per post and day in [since, until]: minutes staffed by A, B, someone else, and empty
        within opening hours, with the intervals (today: up to now)."""
        check_days(since, until, most=COVERAGE_DAYS)
        part = self._hall(hall)
        zone = ZoneInfo(part.info.timezone)
        now = self.clock()
        rosters = {(r.counter, r.day): r for r in await in_thread(self.store.roster, hall, since, until)}
        changes = await in_thread(self._presence, hall, since, until, counter)
        numbers = sorted(c.number for c in part.counters if counter in (None, c.number))
        result = []
        day = since
        while day <= until:
            midnight = dt.datetime.combine(day, dt.time(), zone)
            spans = [
                (midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=b))
                for a, b in part.rules.hours.spans_on(day)
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
        found: dict[tuple[int, dt.date], list[Presence]] = {}
        for stored in self.store.presence(hall, since, until, counter, _PRESENCE_KINDS):
            event = stored.event
            found.setdefault((stored.counter, stored.day), []).append(  # type: ignore[arg-type]
                Presence(
                    at=event.at,
                    kind=_PRESENCE_KINDS[stored.kind],  # type: ignore[arg-type]
                    staff=getattr(event, "staff", "") or "",
                    reason=getattr(event, "reason", "") or "",
                )
            )
        return found
