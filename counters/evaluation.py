"""好差评 in the database: ratings once per service, follow-up cases, statistics, and the rule
that counts a service left unrated after N days.

A rating names its service by the completion's sequence number (from the counter's
evaluation pad, which the device channel told; a pad rates its own counter's services only)
or by its ticket (the ticket's page: its latest completed service). The service, the ticket,
the item, the counter and the staff member come from the hall's own record, never from the
client.

A real-name rating's phone is sealed (opened only for a manager calling back, and that
opening is in the audit trail); each step of a bad rating's case is a row of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.engine import Engine

from config.audit.schemas import ActorKind, AuditEntry
from config.audit.store import record
from config.crypto import Sealer
from config.database import in_thread, log_background_failure, read_connection, write_transaction
from config.privacy import mask_phone, mask_text
from counters.models import RatingCaseRow, RatingCaseStepRow, RatingRow
from counters.ratings import (
    CallOutcome,
    CaseAction,
    CaseState,
    CaseTier,
    Level,
    Rated,
    RatingStats,
    case_transition,
    joined_reasons,
    level_choices,
    stats,
)
from counters.settings import CounterHall
from counters.store import AlreadyRated, CounterStore
from queueing.errors import Conflict, Forbidden, Invalid, NotFound
from queueing.ports import RatingPrompt
from queueing.store import StoredEvent

__all__ = ["EvaluationService", "forget_contacts", "rating_phone_sealer"]

log = logging.getLogger("hall.ratings")

_UNRATED_EVERY_SECONDS = 600.0  # the rule for unrated services counts days: every ten minutes is plenty
_UNRATED_BATCH = 40  # services rated per write transaction by the rule for unrated ones
_UNRATED_PAUSE_SECONDS = 0.1


def rating_phone_sealer(secret: bytes, old_secrets: Iterable[bytes] = ()) -> Sealer:
    """What seals a real-name rating's phone: its own key, derived from the server's secret."""
    return Sealer(secret, b"hallq ratings phone v1", b"rating phone", old_secrets)


def forget_contacts(
    store: CounterStore, halls: list[CounterHall], now: dt.datetime, actor_kind: ActorKind, actor: str = ""
) -> dict[str, int]:
    """Drop, in each of ``halls``, the phones of real-name ratings more than
    ``keep_personal_days`` after their service whose case is closed; how many, by hall (in
    the audit trail when any)."""
    done: dict[str, int] = {}
    for part in halls:
        days = part.ratings.keep_personal_days
        entry = AuditEntry(
            hall=part.id, at=now, actor_kind=actor_kind, actor=actor,
            action="ratings.forget_contacts", details={"keep_personal_days": days},
        )  # fmt: skip
        done[part.id] = store.forget_contacts(part.id, part.rules.hall_day(now) - dt.timedelta(days=days), entry)
        if done[part.id]:
            log.info("phones of old ratings dropped", extra={"hall": part.id, "ratings": done[part.id]})
    return done


class EvaluationService:
    """好差评 of ``halls`` (each hall's counters part); the queue's ``RatingOffer`` for ticket pages."""

    def __init__(
        self,
        engine: Engine,
        halls: list[CounterHall],
        clock: Callable[[], dt.datetime],
        secret: bytes,
        old_secrets: Iterable[bytes] = (),
    ) -> None:
        self.store = CounterStore(engine)
        self.sealer = rating_phone_sealer(secret, old_secrets)
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
                except Exception as exc:
                    log_background_failure(log, "counting unrated services failed", exc, hall=hall)
            try:
                await self.forget_contacts()
            except Exception as exc:
                log_background_failure(log, "forgetting the phones of old ratings failed", exc)
            await asyncio.sleep(_UNRATED_EVERY_SECONDS)

    async def forget_contacts(self) -> dict[str, int]:
        """Drop the phones of old real-name ratings, in every hall (see ``forget_contacts``)."""
        return await asyncio.to_thread(forget_contacts, self.store, list(self.halls.values()), self.clock(), "system")

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
        pad_counter: int | None = None,
    ) -> RatingRow:
        """``pad_counter``: the counter the rating pad is bound to; it rates that counter's services only."""
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
        row = await in_thread(
            self._insert, part, level, service, ticket_id, reason, text, phone, now, channel, pad_counter
        )
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
        pad_counter: int | None,
    ) -> RatingRow:
        with write_transaction(self.engine) as conn, conn.begin():
            done = self._completed(conn, part.id, service, ticket_id)
            if pad_counter is not None and done.counter != pad_counter:
                raise Forbidden(
                    f"this pad is bound to counter {pad_counter}; service {done.seq} was at counter {done.counter}",
                    "该评价器只能评价本窗口的服务",
                )
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
            contact_sealed=self.sealer.seal(phone.encode()) if phone else None,
            served_at=done.at,
            rated_at=now,
            day=done.day,
        )
        case = None
        if level.bad and channel != "auto":
            tier = CaseTier.of_days(rules.case_working_days)
            case = RatingCaseRow(
                id=secrets.token_urlsafe(12),
                hall=hall,
                rating_id=row.id,
                state=CaseState.OPEN.value,
                tier=tier.value,
                deadline=tier.deadline(part.rules.hall_day(now), part.rules.hours),
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
        return await in_thread(self.store.rateable, hall, ticket_id)

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
        rows, steps = await in_thread(self.store.cases, hall, state)
        result = []
        for row in rows:
            late = row["state"] in (CaseState.OPEN.value, CaseState.APPEALED.value) and row["deadline"] < today
            if overdue is None or overdue == late:
                result.append({**_case_fields(row), "overdue": late, "steps": steps.get(row["id"], [])})
        return result

    async def _case(self, hall: str, case_id: str) -> dict:
        [case] = [c for c in await self.cases(hall) if c["id"] == case_id]
        return case

    async def act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str) -> dict:
        """A move of the case's state (reply, fix, appeal and its decision), kept as a step."""
        self._hall(hall)
        if not text.strip():
            raise Invalid(f"{action}: say what was done", "请填写处理内容")
        await in_thread(self._act, hall, case_id, action, mask_text(text.strip())[:1000], by, self.clock())
        log.info("rating case", extra={"hall": hall, "case": case_id, "action": action})
        return await self._case(hall, case_id)

    def _open_case(self, conn: sa.Connection, hall: str, case_id: str) -> sa.RowMapping:
        row = self.store.case(conn, hall, case_id)
        if row is None:
            raise NotFound(f"no case {case_id!r} in hall {hall}", "没有该差评整改记录")
        return row

    def _act(self, hall: str, case_id: str, action: CaseAction, text: str, by: str, now: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            row = self._open_case(conn, hall, case_id)
            try:
                state = case_transition(CaseState(row["state"]), action)
            except ValueError as exc:
                raise Conflict(str(exc), "该差评当前状态不能进行此操作") from None
            values: dict = {"state": state.value, "handled_by": by}
            field = {"reply": "reply", "fix": "fix", "appeal": "appeal"}.get(action, "resolution")
            values[field] = text
            stamp = {"reply": "replied_at", "fix": "fixed_at", "appeal": "appealed_at"}.get(action)
            if stamp:
                values[stamp] = now
            if state in (CaseState.FIXED, CaseState.VOID):
                values["closed_at"] = now
            self.store.update_case(conn, case_id, values)
            self.store.add_step(
                conn, RatingCaseStepRow(hall=hall, case_id=case_id, at=now, by=by, action=action, note=text)
            )

    async def call_back(self, hall: str, case_id: str, outcome: CallOutcome, note: str, by: str) -> dict:
        """A call-back to the citizen (回访), kept as a step whatever came of it; one that
        reached the citizen answers an open case (it is then replied)."""
        self._hall(hall)
        if not note.strip():
            raise Invalid("call-back: say what was said or why nobody answered", "请填写回访情况")
        await in_thread(self._call_back, hall, case_id, outcome, mask_text(note.strip())[:1000], by, self.clock())
        log.info("rating case", extra={"hall": hall, "case": case_id, "action": "call_back", "outcome": outcome.value})
        return await self._case(hall, case_id)

    def _call_back(self, hall: str, case_id: str, outcome: CallOutcome, note: str, by: str, now: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            row = self._open_case(conn, hall, case_id)
            if row["state"] == CaseState.VOID.value:
                raise Conflict("a void case (an upheld appeal) is not called back", "该差评已作废，无需回访")
            values: dict = {"handled_by": by}
            if outcome is CallOutcome.REACHED and row["state"] == CaseState.OPEN.value:
                state = case_transition(CaseState.OPEN, "reply")
                values.update(state=state.value, reply=note, replied_at=now)
            self.store.update_case(conn, case_id, values)
            self.store.add_step(
                conn,
                RatingCaseStepRow(
                    hall=hall, case_id=case_id, at=now, by=by, action="call_back", outcome=outcome.value, note=note
                ),
            )

    async def set_tier(self, hall: str, case_id: str, tier: CaseTier, note: str, by: str) -> dict:
        """The case's tier (solved on the spot, 1, 5 or 15 working days) and so its deadline,
        counted from the day it opened."""
        part = self._hall(hall)
        await in_thread(self._set_tier, part, case_id, tier, mask_text(note.strip())[:1000], by, self.clock())
        log.info("rating case", extra={"hall": hall, "case": case_id, "action": "tier", "tier": tier.value})
        return await self._case(hall, case_id)

    def _set_tier(self, part: CounterHall, case_id: str, tier: CaseTier, note: str, by: str, now: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            row = self._open_case(conn, part.id, case_id)
            if row["state"] in (CaseState.FIXED.value, CaseState.VOID.value):
                raise Conflict("the case is finished: its deadline no longer matters", "该差评已办结，不能再调整时限")
            deadline = tier.deadline(part.rules.hall_day(row["opened_at"]), part.rules.hours)
            self.store.update_case(conn, case_id, {"tier": tier.value, "deadline": deadline, "handled_by": by})
            self.store.add_step(
                conn,
                RatingCaseStepRow(
                    hall=part.id, case_id=case_id, at=now, by=by, action="tier", outcome=tier.value, note=note
                ),
            )

    async def open_phone(self, hall: str, case_id: str, by: str, role: str, address: str) -> str:
        """The real-name rating's phone in clear, for the manager calling back: recorded in the
        audit trail and as a step of the case, in the same transaction."""
        self._hall(hall)
        phone = await in_thread(self._open_phone, hall, case_id, by, role, address, self.clock())
        log.info("rating phone opened", extra={"hall": hall, "case": case_id, "username": by})
        return phone

    def _open_phone(self, hall: str, case_id: str, by: str, role: str, address: str, now: dt.datetime) -> str:
        with write_transaction(self.engine) as conn, conn.begin():
            row = self._open_case(conn, hall, case_id)
            if row["state"] == CaseState.VOID.value:
                raise Conflict("a void case (an upheld appeal) is not called back", "该差评已作废，无需回访")
            sealed = self.store.sealed_contact(conn, row["rating_id"])
            if sealed is None:
                raise NotFound("the rating left no phone to call back", "该评价未留手机号")
            try:
                phone = self.sealer.open(sealed).decode()
            except InvalidTag:  # sealed under a key the server no longer has
                raise Conflict(
                    "the phone was sealed under another secret key: re-seal after a key change", "手机号无法解密"
                ) from None
            self.store.add_step(conn, RatingCaseStepRow(hall=hall, case_id=case_id, at=now, by=by, action="phone"))
            record(
                conn,
                AuditEntry(
                    hall=hall,
                    at=now,
                    actor_kind="staff",
                    actor=by,
                    role=role,
                    address=address,
                    action="rating_case.phone_opened",
                    target=f"rating case {case_id}",
                    details={"rating": row["rating_id"], "phone": mask_phone(phone)},
                ),
            )
        return phone

    # ---------------------------------------------------------------- statistics

    async def statistics(self, hall: str, by: str, since: dt.date, until: dt.date) -> list[RatingStats]:
        rules = self._hall(hall).ratings
        rows = await in_thread(self.store.ratings, hall, since, until)
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
        "item", "counter", "staff", "staff_name", "level", "reason", "text", "contact_masked", "served_at", "tier",
    )  # fmt: skip
    # whether the phone can be opened (ratings before sealing kept it masked only)
    return {**{k: row[k] for k in keep}, "phone_sealed": row["contact_sealed"] is not None}
