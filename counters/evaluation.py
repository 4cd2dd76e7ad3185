"""好差评 in the database: ratings once per service, follow-up cases, statistics, and the rule
that counts a service left unrated after N days.

A rating names its service by the completion's sequence number (from the counter's
evaluation pad, which the device channel told) or by its ticket (the ticket's page: its
latest completed service). The service, the ticket, the item, the counter and the staff
member come from the hall's own record, never from the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from config.database import read_connection, write_transaction
from config.privacy import mask_phone, mask_text
from counters.models import RatingCaseRow, RatingRow
from counters.ratings import (
    CaseAction,
    CaseState,
    Level,
    Rated,
    RatingStats,
    add_working_days,
    case_transition,
    joined_reasons,
    level_choices,
    stats,
)
from counters.settings import CounterHall
from counters.store import AlreadyRated, CounterStore
from queueing.errors import Conflict, Invalid, NotFound
from queueing.ports import RatingPrompt
from queueing.store import StoredEvent

__all__ = ["EvaluationService"]

log = logging.getLogger("hall.ratings")

_UNRATED_EVERY_SECONDS = 600.0  # the rule for unrated services counts days: every ten minutes is plenty
_UNRATED_BATCH = 40  # services rated per write transaction by the rule for unrated ones
_UNRATED_PAUSE_SECONDS = 0.1


class EvaluationService:
    """好差评 of ``halls`` (each hall's counters part); the queue's ``RatingOffer`` for ticket pages."""

    def __init__(self, engine: Engine, halls: list[CounterHall], clock: Callable[[], dt.datetime]) -> None:
        self.store = CounterStore(engine)
        self.engine, self.clock = engine, clock
        self.halls = {h.id: h for h in halls}
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._count_unrated_forever(), name="ratings-unrated")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _count_unrated_forever(self) -> None:
        while True:
            for hall in self.halls:
                try:
                    if counted := await self.rate_unrated(hall):
                        log.info("unrated services counted", extra={"hall": hall, "services": counted})
                except Exception:
                    log.exception("counting unrated services failed", extra={"hall": hall})
            await asyncio.sleep(_UNRATED_EVERY_SECONDS)

    def _hall(self, hall: str) -> CounterHall:
        found = self.halls.get(hall)
        if found is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        return found

    def today(self, hall: str) -> dt.date:
        return self._hall(hall).rules.hall_day(self.clock())

    # ---------------------------------------------------------------- rating

    async def rate(
        self,
        hall: str,
        level: Level,
        *,
        service: int | None = None,
        ticket_id: str | None = None,
        reasons: tuple[str, ...] = (),
        text: str = "",
        phone: str = "",
        channel: str = "pad",
    ) -> RatingRow:
        part = self._hall(hall)
        rules = part.ratings
        try:
            rules.check(level, reasons, text)
        except ValueError as exc:
            raise Invalid(str(exc), "请选择差评原因" if level.bad and not reasons else "评价内容有误") from None
        reason = joined_reasons(reasons)
        if phone and not (phone.isdigit() and len(phone) == 11):
            raise Invalid("phone: a mobile number of 11 digits, or nothing", "手机号有误")
        if service is None and not ticket_id:
            raise Invalid("name the service (the pad) or the ticket (its page)", "缺少评价对象")
        now = self.clock()
        row = await asyncio.to_thread(self._insert, part, level, service, ticket_id, reason, text, phone, now, channel)
        log.info("rated", extra={"hall": hall, "counter": row.counter, "level": level.value, "channel": channel})
        return row

    def _completed(self, conn: sa.Connection, hall: str, service: int | None, ticket_id: str | None) -> StoredEvent:
        done = self.store.completed_service(conn, hall, service, ticket_id)
        if done is None:
            if service is None and ticket_id and self.store.has_rating(conn, hall, ticket_id):
                raise Conflict("this service is already rated", "该次服务已评价，感谢您的反馈")
            raise NotFound("no completed service to rate", "没有可评价的服务（办结后才能评价）")
        return done

    def _insert(
        self,
        part: CounterHall,
        level: Level,
        service: int | None,
        ticket_id: str | None,
        reason: str,
        text: str,
        phone: str,
        now: dt.datetime,
        channel: str,
    ) -> RatingRow:
        with write_transaction(self.engine) as conn, conn.begin():
            done = self._completed(conn, part.id, service, ticket_id)
            row, case = self._rating(conn, part, done, level, reason, text, phone, now, channel)
            try:
                self.store.add_rating(conn, row, case)
            except AlreadyRated:
                raise Conflict("this service is already rated", "该次服务已评价，感谢您的反馈") from None
        return row

    def _rating(
        self,
        conn: sa.Connection,
        part: CounterHall,
        done: StoredEvent,
        level: Level,
        reason: str,
        text: str,
        phone: str,
        now: dt.datetime,
        channel: str,
    ) -> tuple[RatingRow, RatingCaseRow | None]:
        """The rating of the completed service ``done`` (and its case, if it is a bad one)."""
        hall, rules = part.id, part.ratings
        # the staff member signed in at the counter (not whoever pressed complete, e.g. a manager)
        staff = getattr(done.event, "staff", "") or done.actor or ""
        ticket = self.store.ticket(conn, hall, done.ticket_id or "")
        row = RatingRow(
            id=secrets.token_urlsafe(12),
            hall=hall,
            service=done.seq,
            ticket_id=done.ticket_id or "",
            number=ticket.number if ticket else "",
            item=ticket.item if ticket else "",
            counter=done.counter or 0,
            staff=staff,
            staff_name=part.staff_names().get(staff, ""),
            level=level.value,
            score=rules.score(level),
            reason=reason,
            text=mask_text(text.strip()),
            channel=channel,
            contact_masked=mask_phone(phone) if phone else "",
            served_at=done.at,
            rated_at=now,
            day=done.day,
        )
        case = None
        if level.bad and channel != "auto":
            case = RatingCaseRow(
                id=secrets.token_urlsafe(12),
                hall=hall,
                rating_id=row.id,
                state=CaseState.OPEN.value,
                deadline=add_working_days(done.day, rules.case_working_days, part.rules.hours),
                opened_at=now,
            )
        return row, case

    def _rate_many(self, part: CounterHall, services: list[int], level: Level, now: dt.datetime) -> int:
        """Rate ``services`` with ``level`` (the rule for unrated ones): everything read first,
        then one short write transaction, so a hall's own writes never wait long behind it."""
        with read_connection(self.engine) as conn, conn.begin():
            rows = []
            for seq in services:
                done = self.store.completed_service(conn, part.id, seq, None)
                if done is not None:
                    rows.append(self._rating(conn, part, done, level, "", "", "", now, "auto"))
        added = 0
        with write_transaction(self.engine) as conn, conn.begin():
            for row, case in rows:
                try:
                    self.store.add_rating(conn, row, case)
                    added += 1
                except AlreadyRated:
                    pass  # rated meanwhile
        return added

    async def rateable(self, hall: str, ticket_id: str) -> bool:
        """Whether the ticket has a completed service nobody rated yet (its page offers the rating)."""
        return await asyncio.to_thread(self.store.rateable, hall, ticket_id)

    async def rating_prompt(self, hall: str, ticket_id: str, completed: bool) -> RatingPrompt:
        """What a ticket's page offers (the queue's ``RatingOffer``): the rating, once its
        service is done and until it is rated."""
        rateable = completed and await self.rateable(hall, ticket_id)
        return RatingPrompt(
            open=rateable,
            rated=completed and not rateable,
            levels=level_choices(),
            reasons=list(self._hall(hall).ratings.bad_reasons),
        )

    # ---------------------------------------------------------------- the rule for unrated services

    async def rate_unrated(self, hall: str) -> int:
        """Services completed more than ``auto_after_days`` ago and never rated count as
        ``auto_level`` (some provinces: 非常满意 after 7 days). Returns how many."""
        rules = self._hall(hall).ratings
        if rules.auto_after_days is None:
            return 0
        now = self.clock()
        before = now - dt.timedelta(days=rules.auto_after_days)
        services = await asyncio.to_thread(self.store.unrated, hall, before)
        part = self._hall(hall)
        count = 0
        # A backlog (a hall's first start on a long record) goes in small batches with a pause
        # between them: the halls' own writes come first.
        for start in range(0, len(services), _UNRATED_BATCH):
            batch = services[start : start + _UNRATED_BATCH]
            count += await asyncio.to_thread(self._rate_many, part, batch, rules.auto_level, now)
            await asyncio.sleep(_UNRATED_PAUSE_SECONDS)
        return count

    # ---------------------------------------------------------------- cases

    async def cases(self, hall: str, state: str | None = None, overdue: bool | None = None) -> list[dict]:
        today = self.today(hall)
        rows = await asyncio.to_thread(self.store.cases, hall, state)
        result = []
        for row in rows:
            late = row["state"] in (CaseState.OPEN.value, CaseState.APPEALED.value) and row["deadline"] < today
            if overdue is None or overdue == late:
                result.append({**_case_fields(row), "overdue": late})
        return result

    async def act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str) -> dict:
        self._hall(hall)
        if not text.strip():
            raise Invalid(f"{action}: say what was done", "请填写处理内容")
        await asyncio.to_thread(self._act, hall, case_id, action, text, by, self.clock())
        [case] = [c for c in await self.cases(hall) if c["id"] == case_id]
        log.info("rating case", extra={"hall": hall, "case": case_id, "action": action})
        return case

    def _act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str, now: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            row = self.store.case(conn, hall, case_id)
            if row is None:
                raise NotFound(f"no case {case_id!r} in hall {hall}", "没有该差评整改记录")
            try:
                state = case_transition(CaseState(row["state"]), action)
            except ValueError as exc:
                raise Conflict(str(exc), "该差评当前状态不能进行此操作") from None
            values: dict = {"state": state.value, "handled_by": by}
            field = {"reply": "reply", "fix": "fix", "appeal": "appeal"}.get(action, "resolution")
            values[field] = text.strip()[:1000]
            stamp = {"reply": "replied_at", "fix": "fixed_at", "appeal": "appealed_at"}.get(action)
            if stamp:
                values[stamp] = now
            if state in (CaseState.FIXED, CaseState.VOID):
                values["closed_at"] = now
            self.store.update_case(conn, case_id, values)

    # ---------------------------------------------------------------- statistics

    async def statistics(self, hall: str, by: str, since: dt.date, until: dt.date) -> list[RatingStats]:
        rules = self._hall(hall).ratings
        rows = await asyncio.to_thread(self.store.ratings, hall, since, until)
        rated = [
            Rated(
                level=Level(r["level"]),
                counter=r["counter"],
                staff=r["staff"],
                item=r["item"],
                day=r["day"],
                real_name=bool(r["contact_masked"]),
                replied=r["replied_at"] is not None,
                auto=r["channel"] == "auto",
            )
            for r in rows
            if r["case_state"] != CaseState.VOID.value  # an upheld appeal takes the rating out
        ]
        return stats(rated, rules, by)  # type: ignore[arg-type]


def _case_fields(row: sa.RowMapping) -> dict:
    keep = (
        "id", "state", "deadline", "opened_at", "reply", "replied_at", "fix", "fixed_at", "appeal",
        "appealed_at", "resolution", "closed_at", "handled_by", "rating_id", "ticket_id", "number",
        "item", "counter", "staff", "staff_name", "level", "reason", "text", "contact_masked", "served_at",
    )  # fmt: skip
    return {k: row[k] for k in keep}
