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
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from config.database import read_connection, write_transaction
from config.halls import HallDefinition
from config.privacy import mask_phone, mask_text
from counters.models import RatingCaseRow, RatingRow
from counters.ratings import CaseAction, CaseState, Level, Rated, RatingStats, add_working_days, case_transition, stats
from queueing.errors import Conflict, Invalid, NotFound
from queueing.events import decode_event
from queueing.models import HallEventRow, TicketRow
from queueing.service import HallRegistry

__all__ = ["EvaluationService"]

log = logging.getLogger("hall.ratings")

_ratings: sa.Table = RatingRow.__table__  # type: ignore[attr-defined]
_cases: sa.Table = RatingCaseRow.__table__  # type: ignore[attr-defined]
_events: sa.Table = HallEventRow.__table__  # type: ignore[attr-defined]
_tickets: sa.Table = TicketRow.__table__  # type: ignore[attr-defined]


_UNRATED_EVERY_SECONDS = 600.0  # the rule for unrated services counts days: every ten minutes is plenty


class EvaluationService:
    def __init__(self, engine: Engine, registry: HallRegistry, clock: Callable[[], dt.datetime]) -> None:
        self.engine, self.registry, self.clock = engine, registry, clock
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
            for runtime in self.registry:
                try:
                    if counted := await self.rate_unrated(runtime.id):
                        log.info("unrated services counted", extra={"hall": runtime.id, "services": counted})
                except Exception:
                    log.exception("counting unrated services failed", extra={"hall": runtime.id})
            await asyncio.sleep(_UNRATED_EVERY_SECONDS)

    def _hall(self, hall: str) -> HallDefinition:
        return self.registry.get(hall).definition

    def today(self, hall: str) -> dt.date:
        return self.clock().astimezone(ZoneInfo(self._hall(hall).info.timezone)).date()

    # ---------------------------------------------------------------- rating

    async def rate(
        self,
        hall: str,
        level: Level,
        *,
        service: int | None = None,
        ticket_id: str | None = None,
        reason: str = "",
        text: str = "",
        phone: str = "",
        channel: str = "pad",
    ) -> RatingRow:
        definition = self._hall(hall)
        rules = definition.ratings
        try:
            rules.check(level, reason, text)
        except ValueError as exc:
            raise Invalid(str(exc), "请选择差评原因" if level.bad and not reason else "评价内容有误") from None
        if phone and not (phone.isdigit() and len(phone) == 11):
            raise Invalid("phone: a mobile number of 11 digits, or nothing", "手机号有误")
        now = self.clock()
        row = await asyncio.to_thread(
            self._insert, definition, level, service, ticket_id, reason, text, phone, now, channel
        )
        log.info("rated", extra={"hall": hall, "counter": row.counter, "level": level.value, "channel": channel})
        return row

    def _completed(self, conn: sa.Connection, hall: str, service: int | None, ticket_id: str | None) -> sa.Row:
        query = sa.select(
            _events.c.seq,
            _events.c.at,
            _events.c.day,
            _events.c.ticket_id,
            _events.c.counter,
            _events.c.actor,
            _events.c.data,
        )
        query = query.where(_events.c.hall == hall, _events.c.kind == "service_completed")
        if service is not None:
            query = query.where(_events.c.seq == service)
        elif ticket_id:
            rated = sa.select(_ratings.c.service).where(_ratings.c.hall == hall, _ratings.c.ticket_id == ticket_id)
            query = query.where(_events.c.ticket_id == ticket_id, _events.c.seq.not_in(rated)).order_by(
                _events.c.seq.desc()
            )
        else:
            raise Invalid("name the service (the pad) or the ticket (its page)", "缺少评价对象")
        row = conn.execute(query.limit(1)).one_or_none()
        if row is None:
            if (
                ticket_id
                and conn.execute(
                    sa.select(_ratings.c.id).where(_ratings.c.hall == hall, _ratings.c.ticket_id == ticket_id)
                ).first()
            ):
                raise Conflict("this service is already rated", "该次服务已评价，感谢您的反馈")
            raise NotFound("no completed service to rate", "没有可评价的服务（办结后才能评价）")
        return row

    def _insert(
        self,
        definition: HallDefinition,
        level: Level,
        service: int | None,
        ticket_id: str | None,
        reason: str,
        text: str,
        phone: str,
        now: dt.datetime,
        channel: str,
    ) -> RatingRow:
        hall, rules = definition.id, definition.ratings
        names = {s.username: s.name for s in definition.staff}
        with write_transaction(self.engine) as conn, conn.begin():
            done = self._completed(conn, hall, service, ticket_id)
            # the staff member signed in at the counter (not whoever pressed complete, e.g. a manager)
            event = decode_event(done.data)
            staff = getattr(event, "staff", "") or done.actor or ""
            ticket = conn.execute(
                sa.select(_tickets.c.number, _tickets.c.item).where(_tickets.c.id == done.ticket_id)
            ).one_or_none()
            row = RatingRow(
                id=secrets.token_urlsafe(12),
                hall=hall,
                service=done.seq,
                ticket_id=done.ticket_id,
                number=ticket.number if ticket else "",
                item=ticket.item if ticket else "",
                counter=done.counter or 0,
                staff=staff,
                staff_name=names.get(staff, ""),
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
            try:
                with conn.begin_nested():
                    conn.execute(_ratings.insert().values(**row.model_dump()))
            except IntegrityError:
                raise Conflict("this service is already rated", "该次服务已评价，感谢您的反馈") from None
            if level.bad and channel != "auto":
                deadline = add_working_days(done.day, rules.case_working_days, definition.rules.hours)
                conn.execute(
                    _cases.insert().values(
                        id=secrets.token_urlsafe(12),
                        hall=hall,
                        rating_id=row.id,
                        state=CaseState.OPEN.value,
                        deadline=deadline,
                        opened_at=now,
                    )
                )
        return row

    async def rateable(self, hall: str, ticket_id: str) -> bool:
        """Whether the ticket has a completed service nobody rated yet (its page offers the rating)."""

        def look() -> bool:
            rated = sa.select(_ratings.c.service).where(_ratings.c.hall == hall, _ratings.c.ticket_id == ticket_id)
            query = sa.select(_events.c.seq).where(
                _events.c.hall == hall,
                _events.c.kind == "service_completed",
                _events.c.ticket_id == ticket_id,
                _events.c.seq.not_in(rated),
            )
            with read_connection(self.engine) as conn, conn.begin():
                return conn.execute(query.limit(1)).first() is not None

        return await asyncio.to_thread(look)

    # ---------------------------------------------------------------- the rule for unrated services

    async def rate_unrated(self, hall: str) -> int:
        """Services completed more than ``auto_after_days`` ago and never rated count as
        ``auto_level`` (some provinces: 非常满意 after 7 days). Returns how many."""
        rules = self._hall(hall).ratings
        if rules.auto_after_days is None:
            return 0
        before = self.clock() - dt.timedelta(days=rules.auto_after_days)
        services = await asyncio.to_thread(self._unrated, hall, before)
        count = 0
        for seq in services:
            try:
                await self.rate(hall, rules.auto_level, service=seq, channel="auto")
                count += 1
            except Conflict:
                pass  # rated meanwhile
        return count

    def _unrated(self, hall: str, before: dt.datetime) -> list[int]:
        with read_connection(self.engine) as conn, conn.begin():
            rated = sa.select(_ratings.c.service).where(_ratings.c.hall == hall)
            query = sa.select(_events.c.seq).where(
                _events.c.hall == hall,
                _events.c.kind == "service_completed",
                _events.c.at < before,
                _events.c.seq.not_in(rated),
            )
            return list(conn.execute(query).scalars())

    # ---------------------------------------------------------------- cases

    async def cases(self, hall: str, state: str | None = None, overdue: bool | None = None) -> list[dict]:
        definition = self._hall(hall)
        today = self.clock().astimezone(ZoneInfo(definition.info.timezone)).date()
        rows = await asyncio.to_thread(self._case_rows, hall, state)
        result = []
        for row in rows:
            late = row["state"] in (CaseState.OPEN.value, CaseState.APPEALED.value) and row["deadline"] < today
            if overdue is None or overdue == late:
                result.append({**_case_fields(row), "overdue": late})
        return result

    def _case_rows(self, hall: str, state: str | None) -> list[sa.RowMapping]:
        with read_connection(self.engine) as conn, conn.begin():
            query = sa.select(_cases, _ratings).join(_ratings, _ratings.c.id == _cases.c.rating_id)
            query = query.where(_cases.c.hall == hall).order_by(_cases.c.deadline, _cases.c.opened_at)
            if state:
                query = query.where(_cases.c.state == state)
            return list(conn.execute(query).mappings().all())

    async def act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str) -> dict:
        if not text.strip():
            raise Invalid(f"{action}: say what was done", "请填写处理内容")
        await asyncio.to_thread(self._act, hall, case_id, action, text, by, self.clock())
        [case] = [c for c in await self.cases(hall) if c["id"] == case_id]
        log.info("rating case", extra={"hall": hall, "case": case_id, "action": action})
        return case

    def _act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str, now: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            row = (
                conn.execute(sa.select(_cases).where(_cases.c.hall == hall, _cases.c.id == case_id))
                .mappings()
                .one_or_none()
            )
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
            conn.execute(_cases.update().where(_cases.c.id == case_id).values(**values))

    # ---------------------------------------------------------------- statistics

    async def statistics(self, hall: str, by: str, since: dt.date, until: dt.date) -> list[RatingStats]:
        rules = self._hall(hall).ratings
        rows = await asyncio.to_thread(self._rating_rows, hall, since, until)
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

    def _rating_rows(self, hall: str, since: dt.date, until: dt.date) -> list[sa.RowMapping]:
        with read_connection(self.engine) as conn, conn.begin():
            query = (
                sa.select(_ratings, _cases.c.state.label("case_state"), _cases.c.replied_at)
                .outerjoin(_cases, _cases.c.rating_id == _ratings.c.id)
                .where(_ratings.c.hall == hall, _ratings.c.day >= since, _ratings.c.day <= until)
            )
            return list(conn.execute(query).mappings().all())


def _case_fields(row: sa.RowMapping) -> dict:
    keep = (
        "id", "state", "deadline", "opened_at", "reply", "replied_at", "fix", "fixed_at", "appeal",
        "appealed_at", "resolution", "closed_at", "handled_by", "rating_id", "ticket_id", "number",
        "item", "counter", "staff", "staff_name", "level", "reason", "text", "contact_masked", "served_at",
    )  # fmt: skip
    return {k: row[k] for k in keep}
