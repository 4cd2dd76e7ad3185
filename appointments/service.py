"""Appointments: booking, cancelling, checking in, and the clock's work (no-shows, reminders).

Booking is one transaction: the person's rules on their history (under a per-person lock)
and a seat taken with a conditional update, so a slot is never overbooked however many book
its last seat at once. Checking in is one transaction too: the ticket's events and the
booking marked used commit together in the hall's own transaction (``HallRuntime.execute``
with ``also``), so a booking gives exactly one ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import logging
import math
import secrets
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

import msgspec
from litestar.exceptions import TooManyRequestsException
from sqlalchemy.engine import Connection, Engine

from appointments.models import AppointmentPhoneCodeRow, AppointmentRow
from appointments.notify import LogNotifier, Message, Notifier, NotifyError
from appointments.people import (
    DOCUMENTS,
    NOTICE_VERSION,
    Contact,
    PersonError,
    PersonInput,
    PersonKeys,
    check_document,
    check_phone,
    checks_in_by_code,
    kind_of_card_number,
)
from appointments.rules import BookingRefused, Slot, arrival, check_booking, check_cancel, day_slots, no_show_due
from appointments.schemas import (
    AppointmentFigures,
    BookableItem,
    BookingView,
    CheckInResult,
    PhoneCodeSent,
    SlotToday,
    SlotView,
)
from appointments.settings import AppointmentHall
from appointments.store import AppointmentStore, new_code
from config.audit.schemas import ActorKind, AuditEntry
from config.auth import LoginThrottle
from config.database import in_thread, log_background_failure
from config.privacy import mask_code, mask_phone
from queueing.commands import Actor, IssueTicket, Priority
from queueing.errors import Forbidden, Invalid, NotFound, Unavailable
from queueing.events import Recorded
from queueing.hall import HallQueue
from queueing.schemas import IssuedTicket
from queueing.service import HallRegistry
from queueing.views import TicketView

__all__ = ["AppointmentService", "forget_people"]

log = logging.getLogger("hall.appointments")

_SWEEP_SECONDS = 30.0
_FORGET_EVERY_SECONDS = 3600.0  # bookings past keeping are anonymised within the hour
# One-time codes to a booking's phone (手机验证码): how long one holds, how many wrong tries kill
# it, and how often a phone may be sent one (a stranger cannot flood someone's phone with them)
CODE_VALID = dt.timedelta(minutes=10)
CODE_TRIES = 5
CODE_GAP = dt.timedelta(seconds=60)
CODES_AN_HOUR = 5


def _typed(error: PersonError) -> Invalid:
    """What someone typed wrong, as the API's 422: the field and why, in both languages."""
    return Invalid(str(error), error.message_zh)


def forget_people(
    store: AppointmentStore, halls: list[AppointmentHall], now: dt.datetime, actor_kind: ActorKind, actor: str = ""
) -> dict[str, int]:
    """Anonymise, in each of ``halls``, the bookings whose day is more than
    ``keep_personal_days`` before ``now``'s (safe in several processes at once); how many, by
    hall. Each hall's run that anonymised any is in the audit trail."""
    done: dict[str, int] = {}
    for definition in halls:
        zone = ZoneInfo(definition.info.timezone)
        days = definition.settings.keep_personal_days
        first_kept = now.astimezone(zone).date() - dt.timedelta(days=days)
        entry = AuditEntry(
            hall=definition.id, at=now, actor_kind=actor_kind, actor=actor,
            action="appointments.forget_people", details={"keep_personal_days": days},
        )  # fmt: skip
        kept_from = dt.datetime.combine(first_kept, dt.time(), zone)
        done[definition.id] = store.forget_people(definition.id, kept_from, entry)
        if done[definition.id]:
            log.info("bookings anonymised", extra={"hall": definition.id, "bookings": done[definition.id]})
    return done


class AppointmentService:
    def __init__(
        self,
        engine: Engine,
        registry: HallRegistry,
        halls: list[AppointmentHall],
        clock: Callable[[], dt.datetime],
        secret: bytes,
        notifier: Notifier | None = None,
        public_url: str = "",
        old_secrets: Iterable[bytes] = (),
    ) -> None:
        self.store = AppointmentStore(engine)
        self.registry = registry  # the halls' queues: a check-in issues its ticket there
        self.halls = {h.id: h for h in halls}
        self.clock = clock
        self.keys = PersonKeys(secret, old_secrets)
        # wrong phone or ID numbers against one booking code, or one ID number: guesses, slowed
        self.guesses = LoginThrottle(self.clock, ("attempts with this booking's phone or ID number", "核对"))
        self.notifier = notifier or LogNotifier()
        self.public_url = public_url.rstrip("/")
        self._sweeper: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()
        self._forgot_at: float | None = None  # the event loop's time of the last anonymising

    # ---------------------------------------------------------------- life

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="appointments-sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for task in list(self._sending):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=2)

    async def settle(self) -> None:
        """Until every notice on its way has been handed to the notifier (tests, shutdown)."""
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    # ---------------------------------------------------------------- the hall's view

    def _hall(self, hall: str) -> tuple[AppointmentHall, ZoneInfo]:
        definition = self.halls.get(hall)
        if definition is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        if not definition.settings.enabled:
            raise NotFound(f"hall {hall} takes no appointments", "本大厅暂未开通网上预约")
        return definition, ZoneInfo(definition.info.timezone)

    def part(self, hall: str) -> AppointmentHall:
        """The hall's appointment part; 404 when it takes no appointments."""
        return self._hall(hall)[0]

    def page_url(self, hall: str, code: str) -> str:
        """The booking page's absolute address, at the hall's public address: what its QR code
        and its messages hold."""
        return f"{self.public_url}/halls/{hall}/appointments/{code}"

    def _item(self, definition: AppointmentHall, code: str) -> tuple[str, str, str, str, int]:
        """(item, group, name, capacity key, online capacity) of a bookable item."""
        item = next((i for i in definition.rules.items if i.code == code), None)
        if item is None:
            raise NotFound(f"no item {code!r} in hall {definition.id}", "没有该事项")
        key, capacity = definition.settings.capacity_for(item.code, item.group)
        if capacity <= 0:
            raise Invalid(
                f"{item.name} ({code}) cannot be booked online; take a ticket on site", "该事项不接受网上预约"
            )
        return item.code, item.group, item.name, key, capacity

    def bookable_items(self, hall: str) -> list[BookableItem]:
        """The hall's items that take bookings online (an online capacity above 0), in the hall file's order."""
        definition, _zone = self._hall(hall)
        settings = definition.settings
        return [
            BookableItem(code=i.code, name=i.name, name_en=i.name_en, domain=i.domain)
            for i in definition.rules.items
            if settings.capacity_for(i.code, i.group)[1] > 0
        ]

    async def slots(self, hall: str, item: str, first: dt.date | None, days: int) -> list[SlotView]:
        """Every slot of ``days`` days from ``first`` (today) for ``item``, with what is left."""
        definition, zone = self._hall(hall)
        code, _group, _name, key, capacity = self._item(definition, item)
        settings = definition.settings
        now = self.clock()
        first = first or now.astimezone(zone).date()
        days = max(1, min(days, settings.latest_days_ahead + 1))
        all_slots = [
            s
            for offset in range(days)
            for s in day_slots(definition.rules.hours, first + dt.timedelta(days=offset), settings.slot_minutes, zone)
        ]
        if not all_slots:
            return []
        counts = await in_thread(
            self.store.booked, hall, [key], all_slots[0].start, all_slots[-1].end + dt.timedelta(seconds=1)
        )
        earliest = now + dt.timedelta(minutes=settings.earliest_minutes_ahead)
        last_day = now.astimezone(zone).date() + dt.timedelta(days=settings.latest_days_ahead)
        views = []
        for slot in all_slots:
            booked, closed = counts.get((key, slot.start), (0, False))
            left = 0 if closed else max(0, capacity - booked)
            if closed:
                state = "closed"
            elif slot.start < earliest or slot.start.date() > last_day:
                state = "not_bookable"
            else:
                state = "full" if left == 0 else "open"
            views.append(SlotView(item=code, start=slot.start, end=slot.end, capacity=capacity, left=left, state=state))
        return views

    def _slot(self, definition: AppointmentHall, zone: ZoneInfo, start: dt.datetime) -> Slot:
        if start.tzinfo is None:
            raise Invalid("slot_start needs its time zone, e.g. 2026-11-23T09:00:00+08:00", "时段时间缺少时区")
        local = start.astimezone(zone)
        for slot in day_slots(definition.rules.hours, local.date(), definition.settings.slot_minutes, zone):
            if slot.start == local:
                return slot
        raise Invalid(f"{local:%Y-%m-%d %H:%M} is not a slot of hall {definition.id}", "该时段不存在或不开放")

    # ---------------------------------------------------------------- phone codes

    async def send_phone_code(self, hall: str, phone: str) -> PhoneCodeSent:
        """A 6-digit one-time code to ``phone`` (the phone a booking's messages will go to),
        kept only as a keyed hash: at most one a minute and ``CODES_AN_HOUR`` an hour per phone."""
        self._hall(hall)
        try:
            phone = check_phone(phone, "phone")
        except PersonError as exc:
            raise _typed(exc) from None
        now = self.clock()
        key = self.keys.phone_keys(phone)[0]
        code = f"{secrets.randbelow(10**6):06d}"

        def check(before: AppointmentPhoneCodeRow | None) -> None:
            if before is None:
                return
            wait = before.sent_at + CODE_GAP - now
            if wait > dt.timedelta():
                seconds = math.ceil(wait.total_seconds())
                raise TooManyRequestsException(
                    detail=f"a code was sent to this phone just now; ask again in {seconds} s",
                    extra={"detail_zh": f"验证码已发送，请{seconds}秒后再获取"},
                    headers={"Retry-After": str(seconds)},
                )
            hour_left = before.hour_from + dt.timedelta(hours=1) - now
            if before.hour_sent >= CODES_AN_HOUR and hour_left > dt.timedelta():
                minutes = math.ceil(hour_left.total_seconds() / 60)
                raise TooManyRequestsException(
                    detail=f"{CODES_AN_HOUR} codes were sent to this phone this hour; ask again in {minutes} minutes",
                    extra={"detail_zh": f"该手机号1小时内获取验证码已达{CODES_AN_HOUR}次，请{minutes}分钟后再试"},
                    headers={"Retry-After": str(math.ceil(hour_left.total_seconds()))},
                )

        await in_thread(self.store.send_phone_code, hall, key, self.keys.code_hash(key, code), now, CODE_VALID, check)
        minutes = int(CODE_VALID.total_seconds() // 60)
        message = Message(
            kind="phone_code",
            to_phone=phone,
            subject="预约验证码",
            text=f"您的预约验证码为{code}，{minutes}分钟内有效，仅用于本次预约。如非本人操作，请忽略。",
            booking_code="",
            passcode=code,
        )
        try:
            await self.notifier.send(message)
        except NotifyError as exc:
            log.warning("phone code not sent", extra={"hall": hall, "phone": mask_phone(phone), "error": str(exc)})
            raise Unavailable(
                "the code could not be sent just now; try again shortly", "验证码发送失败，请稍后再试"
            ) from None
        log.info("phone code sent", extra={"hall": hall, "phone": mask_phone(phone)})
        return PhoneCodeSent(
            phone=mask_phone(phone),
            valid_seconds=int(CODE_VALID.total_seconds()),
            again_seconds=int(CODE_GAP.total_seconds()),
        )

    async def _verified(self, hall: str, phone: str, typed: str, now: dt.datetime) -> tuple[list[str], str]:
        """The phone's keys and the typed code's hash, if the code is the phone's live one; else
        the booking is refused (a wrong code counted against it)."""
        keys = self.keys.phone_keys(phone)
        typed = "".join(typed.split())
        if not typed:
            raise Invalid(
                "phone_code: ask for a code to the booking's phone and type it in", "请先获取并填写手机验证码"
            )
        code_hash = self.keys.code_hash(keys[0], typed)
        found = await in_thread(self.store.try_phone_code, hall, keys[0], code_hash, now, CODE_TRIES)
        if found == "none":
            raise BookingRefused(
                "phone_code",
                "验证码已使用、已过期或错误次数过多，请重新获取",
                "no live code for this phone (used, expired or tried wrongly too often): ask for a new one",
            )
        if found == "wrong":
            raise BookingRefused("phone_code_wrong", "验证码不正确，请核对短信中的6位数字", "the phone code is wrong")
        return keys, code_hash

    # ---------------------------------------------------------------- booking

    async def book(
        self,
        hall: str,
        item: str,
        slot_start: dt.datetime,
        person: PersonInput,
        privacy_consent: bool = False,
        document_consent: bool = False,
        phone_code: str = "",
        at_desk: bool = False,
    ) -> BookingView:
        """Book, with the person's consents: to their personal information for the booking,
        and separately to their document number (sensitive personal information, 个人信息保护法
        Art. 29): nothing is kept without both. The phone the messages go to proves itself with
        a one-time code (``phone_code``), unless the service desk books (``at_desk``): the clerk
        saw the person."""
        definition, zone = self._hall(hall)
        if not privacy_consent:
            raise Invalid(
                "privacy_consent: booking needs consent to the use of the name and phone number for it",
                "请阅读并同意个人信息处理说明（姓名、手机号仅用于本次预约）",
            )
        if not document_consent:
            raise Invalid(
                "document_consent: booking needs separate consent to the use of the document number "
                "(sensitive personal information) to check identity at the hall",
                "证件号码属于敏感个人信息，请单独勾选同意后再提交（仅用于到厅核验身份和防止重复预约）",
            )
        try:
            person = person.checked()
        except PersonError as exc:
            raise _typed(exc) from None
        code, group, name, key, capacity = self._item(definition, item)
        slot = self._slot(definition, zone, slot_start)
        now = self.clock()
        agent = person.agent
        reach = agent.phone if agent else person.phone  # the phone the hall's messages go to
        if at_desk:
            phone_keys, code_hash = self.keys.phone_keys(reach), ""
        else:
            phone_keys, code_hash = await self._verified(hall, reach, phone_code, now)
        row = AppointmentRow(
            id=secrets.token_urlsafe(12),
            hall=hall,
            code=new_code(),
            item=code,
            group=group,
            capacity_key=key,
            slot_start=slot.start,
            slot_end=slot.end,
            state="booked",
            person_key=self.keys.person_key(person.id_number, person.document_kind),
            phone_key=phone_keys[0],
            document_kind=person.document_kind,
            **PersonKeys.masked(person),
            contact_sealed=self.keys.seal(
                Contact(
                    person.phone,
                    person.email,
                    person.name,
                    agent_name=agent.name if agent else "",
                    agent_phone=agent.phone if agent else "",
                )
            ),
            created_at=now,
            consent_at=now,  # both consents, to the notice of this version: refused above without
            notice_version=NOTICE_VERSION,
        )
        settings = definition.settings

        def check(history: list, others: list) -> None:
            check_booking(code, slot, history, now, settings, zone, others)

        row = await in_thread(self.store.book, row, capacity, check, phone_keys, code_hash)
        log.info(
            "booked",
            extra={"hall": hall, "code": mask_code(row.code), "item": code, "slot": slot.start.isoformat(),
                   "document": row.document_kind, "agent": agent is not None},
        )  # fmt: skip
        view = self._view(definition, row)
        self._tell(
            row,
            "confirmation",
            f"预约成功：{name}",
            f"您已预约{definition.info.name}「{name}」，时间{slot.start.astimezone(zone):%m月%d日 %H:%M}，"
            f"预约码{row.code}。请于时段开始前{settings.early_minutes}分钟至开始后{settings.late_minutes}分钟内"
            + (  # an 18-character card is read at the ticket machine; other documents check in by the code
                f"凭预约码或{DOCUMENTS[person.document_kind].name}签到取号。"
                if kind_of_card_number(person.id_number) == person.document_kind
                else "凭预约码签到取号。"
            )
            + (f"代办人请提醒{row.name_masked}携带本人{DOCUMENTS[person.document_kind].name}。" if agent else ""),
        )
        return view

    async def status(self, hall: str, code: str) -> BookingView:
        definition, _zone = self._hall(hall)
        row = await in_thread(self.store.by_code, hall, code.strip().upper())
        if row is None:
            raise NotFound(f"no booking {code!r} in hall {hall}", "没有找到该预约")
        return self._view(definition, row)

    async def of_ticket(self, hall: str, ticket_id: str) -> BookingView:
        """The booking checked in as this ticket (the desk and the counter: who comes, 代办)."""
        definition, _zone = self._hall(hall)
        row = await in_thread(self.store.by_ticket, hall, ticket_id)
        if row is None:
            raise NotFound(f"no booking was checked in as ticket {ticket_id!r}", "该号码不是预约签到的号")
        return self._view(definition, row)

    async def cancel(self, hall: str, code: str, phone: str = "", id_number: str = "") -> BookingView:
        """Cancelled by someone who knows the booking's phone number or ID number as well as
        its code: the code alone is on a slip or a screenshot others may see."""
        definition, _zone = self._hall(hall)
        row = await in_thread(self.store.by_code, hall, code.strip().upper())
        if row is None:
            raise NotFound(f"no booking {code!r} in hall {hall}", "没有找到该预约")
        self.guesses.check([("cancel", hall, row.code)])
        self._proof_typed(row, phone, id_number)
        if not self._proves(row, phone, id_number):
            self.guesses.failed([("cancel", hall, row.code)])
            raise Forbidden(
                "cancelling needs the phone number or the ID number the booking was made with",
                "请输入预约时填写的手机号或证件号码",
            )
        now = self.clock()
        check_cancel(row.slot_start, row.state, now, definition.settings)
        if not await in_thread(self.store.end, hall, row.id, ("booked",), "cancelled", now):
            raise BookingRefused("not_active", "该预约已办理、已取消或已失效", "the booking is no longer active")
        row.state, row.ended_at = "cancelled", now
        log.info("booking cancelled", extra={"hall": hall, "code": mask_code(row.code)})
        self._tell(row, "cancelled", "预约已取消", f"您的预约（预约码{row.code}）已取消。")
        return self._view(definition, row)

    async def find(self, hall: str, id_number: str, phone: str, kind: str = "resident_id") -> list[BookingView]:
        """A person's bookings still ahead (booked), found by their document *and* a phone
        the booking was made with, theirs or their agent's (one alone finds nothing: a
        document number is known to many)."""
        definition, _zone = self._hall(hall)
        try:  # the fields as the request names them: top-level id_number, document_kind, phone
            keys = self.keys.person_keys(id_number, kind, prefix="")
            check_phone(phone, "phone")
        except PersonError as exc:
            raise _typed(exc) from None
        key = keys[0]
        self.guesses.check([("find", hall, key)])
        rows = await in_thread(self.store.of_person, hall, keys)
        now = self.clock()
        ahead = [r for r in rows if r.state == "booked" and r.slot_end > now]
        mine = [r for r in ahead if self._proves(r, phone, "")]
        if ahead and not mine:  # bookings under this ID number, but not this phone: a guess
            self.guesses.failed([("find", hall, key)])
        return [self._view(definition, r) for r in mine]

    def _proof_typed(self, row: AppointmentRow, phone: str, id_number: str) -> None:
        """422 when what was typed to prove a booking is one's own is neither a phone number
        nor a number of the booking's document (the booking page sends what was typed as
        both: one of them well formed is enough to compare); nothing typed is the 403's."""
        wrong = []
        for given, check in (
            (phone, lambda: check_phone(phone, "phone")),
            (id_number, lambda: check_document(row.document_kind, id_number, prefix="")),
        ):
            if given.strip():
                try:
                    check()
                    return
                except PersonError as exc:
                    wrong.append(exc)
        if len(wrong) == 1:
            raise _typed(wrong[0])
        if wrong:
            raise Invalid(
                "; ".join(str(e) for e in wrong),
                f"请输入预约时填写的手机号或{DOCUMENTS[row.document_kind].name}号码："
                + "；".join(e.message_zh for e in wrong),
            )

    def _proves(self, row: AppointmentRow, phone: str, id_number: str) -> bool:
        """Whether ``phone`` (the person's or the agent's) or ``id_number`` (of the document
        kind it was booked with) is the booking's, compared in constant time."""
        try:
            typed = check_phone(phone) if phone.strip() else ""
        except PersonError:
            typed = ""
        if typed and any(hmac.compare_digest(typed, p) for p in self.keys.open(row.contact_sealed).phones):
            return True
        if id_number.strip():
            try:
                keys = self.keys.person_keys(id_number, row.document_kind)
            except PersonError:
                return False
            return any(hmac.compare_digest(key, row.person_key) for key in keys)
        return False

    # ---------------------------------------------------------------- checking in

    async def check_in(self, hall: str, actor: Actor, code: str = "", id_number: str = "") -> CheckInResult:
        """At the ticket machine or the counter, by booking code (or its QR) or ID number."""
        definition, zone = self._hall(hall)
        runtime = self.registry.get(hall)
        now = self.clock()
        row = await self._booking_to_check_in(hall, zone, code, id_number, now)
        slot = Slot(row.slot_start.astimezone(zone), row.slot_end.astimezone(zone))
        how = arrival(slot, row.state, now, definition.settings, zone)
        command = IssueTicket(
            at=now,
            actor=actor,
            ticket_id=secrets.token_urlsafe(12),
            item=row.item,
            priority=Priority.APPOINTMENT if how == "on_time" else Priority.WALK_IN,
            appointment_slot=slot.start if how == "on_time" else None,
            channel="appointment",
        )
        state = "checked_in" if how == "on_time" else "late"

        def also(conn: Connection, _: list[Recorded]) -> None:
            self.store.check_in(conn, row.id, state, command.ticket_id, now)

        def present(queue: HallQueue, _: object, at: dt.datetime) -> TicketView:
            ticket = queue.ticket(command.ticket_id)
            assert ticket is not None
            return queue.ticket_view(ticket, at)

        ticket = await runtime.execute(command, present, also=also)
        row.state, row.checked_in_at, row.ticket_id = state, now, command.ticket_id
        log.info(
            "checked in", extra={"hall": hall, "code": mask_code(row.code), "number": ticket.number, "arrival": how}
        )
        issued = IssuedTicket(**msgspec.structs.asdict(ticket))
        return CheckInResult(booking=self._view(definition, row), ticket=issued, late=how == "late")

    async def _booking_to_check_in(
        self, hall: str, zone: ZoneInfo, code: str, id_number: str, now: dt.datetime
    ) -> AppointmentRow:
        if code.strip():
            row = await in_thread(self.store.by_code, hall, _code_of(code))
            if row is None:
                raise NotFound(f"no booking {code!r} in hall {hall}", "没有找到该预约，请核对预约码")
            return row
        if not id_number.strip():
            raise Invalid("give the booking code or the document number", "请输入预约码或证件号码")
        # an 18-character card: a resident ID, a residence permit or a permanent residence card,
        # told apart by its first digits; passports and travel permits check in by the code
        kind = kind_of_card_number(id_number)
        if kind is None and checks_in_by_code(id_number):
            raise Invalid(
                "id_number: passports and travel permits check in with the booking code",
                "护照、通行证请用预约码签到（预约成功短信或页面上的8位预约码，或扫描预约二维码）",
            )
        try:
            keys = self.keys.person_keys(id_number, kind or "resident_id", prefix="")
        except PersonError as exc:
            raise _typed(exc) from None
        today = now.astimezone(zone).date()
        rows = [
            r
            for r in await in_thread(self.store.of_person, hall, keys)
            if r.slot_start.astimezone(zone).date() == today
        ]
        if not rows:
            raise NotFound("no booking with this document today", "该证件今日没有预约")
        # the booking still to be used whose slot is nearest to now; else the latest one (to say why)
        usable = [r for r in rows if r.state in ("booked", "no_show")]
        return min(usable or rows, key=lambda r: abs((r.slot_start - now).total_seconds()))

    # ---------------------------------------------------------------- the hall cancels

    async def cancel_slots(
        self, hall: str, day: dt.date, since: str, until: str, item: str | None, reason: str
    ) -> list[BookingView]:
        """The hall cannot keep these slots (closed for the day, a counter plan that can't
        serve them): they close, their bookings are cancelled without counting against anyone,
        and the people are told."""
        definition, zone = self._hall(hall)
        settings = definition.settings
        try:
            start = dt.datetime.combine(day, dt.time.fromisoformat(since), zone)
            end = dt.datetime.combine(day, dt.time.fromisoformat(until), zone)
        except ValueError:
            raise Invalid("from_time and until_time are times of day like 13:00", "时间格式应为 13:00") from None
        if end <= start:
            raise Invalid("until must be after from", "结束时间须晚于开始时间")
        keys = {settings.capacity_for(i.code, i.group)[0] for i in definition.rules.items if item in (None, i.code)}
        if item is not None and not keys:
            raise NotFound(f"no item {item!r} in hall {hall}", "没有该事项")
        for slot in day_slots(definition.rules.hours, day, settings.slot_minutes, zone):
            if start <= slot.start < end:
                for key in keys:
                    await asyncio.to_thread(self.store.close_slot, hall, key, slot.start)
        now = self.clock()
        cancelled = []
        for row in await asyncio.to_thread(self.store.in_slots, hall, start, end, ("booked",)):
            if item is not None and row.item != item:
                continue
            if await asyncio.to_thread(self.store.end, hall, row.id, ("booked",), "cancelled_by_hall", now, reason):
                row.state, row.ended_at, row.note = "cancelled_by_hall", now, reason
                cancelled.append(self._view(definition, row))
                self._tell(
                    row,
                    "cancelled_by_hall",
                    "预约取消通知",
                    f"抱歉，因{reason}，您{row.slot_start.astimezone(zone):%m月%d日 %H:%M}的预约（预约码{row.code}）"
                    "已取消，不计入您的取消次数。请重新预约或现场取号。",
                )
        log.info(
            "slots cancelled by the hall", extra={"hall": hall, "day": day.isoformat(), "bookings": len(cancelled)}
        )
        return cancelled

    # ---------------------------------------------------------------- figures for managers

    def _seats(self, definition: AppointmentHall, zone: ZoneInfo, day: dt.date) -> dict[dt.datetime, int]:
        """Online seats per slot start of ``day``: every bookable capacity key's seats."""
        settings = definition.settings
        keys: dict[str, int] = {}
        for item in definition.rules.items:
            key, seats = settings.capacity_for(item.code, item.group)
            if seats > 0:
                keys[key] = seats
        per_slot = sum(keys.values())
        return {slot.start: per_slot for slot in day_slots(definition.rules.hours, day, settings.slot_minutes, zone)}

    async def figures(self, hall: str, since: dt.date, until: dt.date) -> list[AppointmentFigures]:
        """Per day of [since, until] with slots, and for the whole range first (``key`` ""):
        booked, on time, late, no-shows, cancelled by the citizen and by the hall, slot fill."""
        definition = self.halls.get(hall)
        if definition is None:
            raise NotFound(f"no hall {hall!r}", f"没有大厅 {hall}")
        zone = ZoneInfo(definition.info.timezone)
        if not definition.settings.enabled:
            return [AppointmentFigures(key="")]
        begin = dt.datetime.combine(since, dt.time(), zone)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
        rows = await in_thread(self.store.states_between, hall, begin, end)
        days: dict[str, AppointmentFigures] = {}
        total = AppointmentFigures(key="")
        day = since
        while day <= until and (until - since).days <= 400:
            seats = sum(self._seats(definition, zone, day).values())
            if seats:
                days[day.isoformat()] = AppointmentFigures(key=day.isoformat(), seats=seats)
                total.seats += seats
            day += dt.timedelta(days=1)
        field = {"booked": "pending", "checked_in": "checked_in", "late": "late", "no_show": "no_show",
                 "cancelled": "cancelled", "cancelled_by_hall": "cancelled_by_hall"}  # fmt: skip
        for start, _key, state in rows:
            key = start.astimezone(zone).date().isoformat()
            row = days.setdefault(key, AppointmentFigures(key=key))
            for figures in (row, total):
                figures.booked += 1
                name = field.get(state)
                if name:
                    setattr(figures, name, getattr(figures, name) + 1)
        for figures in (total, *days.values()):
            kept = figures.booked - figures.cancelled - figures.cancelled_by_hall
            figures.slot_fill = round(kept / figures.seats, 4) if figures.seats else None
            came = figures.checked_in + figures.late
            figures.on_time_share = round(figures.checked_in / came, 4) if came else None
        return [total, *(days[k] for k in sorted(days))]

    async def booked_by_slot(self, hall: str, since: dt.date, until: dt.date) -> dict[dt.date, dict[str, list[int]]]:
        """Appointments booked and not cancelled for each day in [since, until]: per item, how
        many in each half hour of the day (by their slot's start, the hall's time), 48 a day.
        The planning's forecast adds them to the walk-ins it expects."""
        _, zone = self._hall(hall)
        start = dt.datetime.combine(since, dt.time(), zone)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
        states = ("booked", "checked_in", "late", "no_show")
        rows = await in_thread(self.store.in_slots, hall, start, end, states)
        found: dict[dt.date, dict[str, list[int]]] = {}
        for row in rows:
            local = row.slot_start.astimezone(zone)
            slots = found.setdefault(local.date(), {}).setdefault(row.item, [0] * 48)
            slots[(local.hour * 60 + local.minute) // 30] += 1
        return found

    async def today_slots(self, hall: str) -> list[SlotToday]:
        """Today's slots: seats, kept bookings, who checked in, who missed, who is to come."""
        definition = self.halls.get(hall)
        if definition is None or not definition.settings.enabled:
            return []
        zone = ZoneInfo(definition.info.timezone)
        today = self.clock().astimezone(zone).date()
        seats = self._seats(definition, zone, today)
        slots = day_slots(definition.rules.hours, today, definition.settings.slot_minutes, zone)
        if not slots:
            return []
        rows = await in_thread(self.store.states_between, hall, slots[0].start, slots[-1].end)
        result = {s.start: SlotToday(start=s.start, end=s.end, seats=seats.get(s.start, 0), booked=0,
                                     checked_in=0, missed=0, pending=0) for s in slots}  # fmt: skip
        for start, _key, state in rows:
            slot = result.get(start.astimezone(zone))
            if slot is None or state in ("cancelled", "cancelled_by_hall"):
                continue
            slot.booked += 1
            if state in ("checked_in", "late"):
                slot.checked_in += 1
            elif state == "no_show":
                slot.missed += 1
            else:
                slot.pending += 1
        return list(result.values())

    # ---------------------------------------------------------------- the clock's work

    async def sweep(self) -> None:
        """No-shows and reminders, for every hall that takes appointments (safe in several
        processes at once: each change is conditional, each reminder recorded once)."""
        now = self.clock()
        for definition in self.halls.values():
            settings = definition.settings
            if not settings.enabled:
                continue
            zone = ZoneInfo(definition.info.timezone)
            horizon = now + dt.timedelta(minutes=max(settings.reminders_minutes, default=0) + 1)
            since = now - dt.timedelta(days=1)
            for row in await asyncio.to_thread(self.store.in_slots, definition.id, since, horizon, ("booked",)):
                slot = Slot(row.slot_start, row.slot_end)
                if now > no_show_due(slot, settings):
                    if await asyncio.to_thread(self.store.end, definition.id, row.id, ("booked",), "no_show", now):
                        log.info("no-show", extra={"hall": definition.id, "code": mask_code(row.code)})
                    continue
                for minutes in sorted(settings.reminders_minutes):
                    due = row.slot_start - dt.timedelta(minutes=minutes)
                    # only the nearest reminder due now: a booking made 30 minutes ahead gets
                    # no "tomorrow" reminder after the fact
                    if due <= now < due + dt.timedelta(minutes=min(minutes, 30)) and await asyncio.to_thread(
                        self.store.reminder_due, row.id, minutes, now
                    ):
                        self._tell(
                            row,
                            "reminder",
                            "预约提醒",
                            f"提醒：您预约的{definition.info.name}办事时间为"
                            f"{row.slot_start.astimezone(zone):%m月%d日 %H:%M}，预约码{row.code}，请准时签到。",
                        )
                        break

    async def forget_people(self) -> dict[str, int]:
        """Anonymise the bookings past keeping, in every hall (see ``forget_people``)."""
        return await asyncio.to_thread(forget_people, self.store, list(self.halls.values()), self.clock(), "system")

    async def _sweep_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.sweep()
                if self._forgot_at is None or loop.time() - self._forgot_at >= _FORGET_EVERY_SECONDS:
                    self._forgot_at = loop.time()
                    await self.forget_people()
            except Exception as exc:
                log_background_failure(log, "appointment sweep failed", exc)
            await asyncio.sleep(_SWEEP_SECONDS)

    # ---------------------------------------------------------------- helpers

    def _view(self, definition: AppointmentHall, row: AppointmentRow) -> BookingView:
        item = next((i for i in definition.rules.items if i.code == row.item), None)
        zone = ZoneInfo(definition.info.timezone)

        def local(when: dt.datetime | None) -> dt.datetime | None:  # times as the hall reads them
            return None if when is None else when.astimezone(zone)

        return BookingView(
            code=row.code,
            hall=definition.id,
            item=row.item,
            item_name=item.name if item else row.item,
            item_name_en=item.name_en if item else "",
            slot_start=local(row.slot_start),  # type: ignore[arg-type]
            slot_end=local(row.slot_end),  # type: ignore[arg-type]
            state=row.state,  # type: ignore[arg-type]
            name=row.name_masked,
            document_kind=row.document_kind,  # type: ignore[arg-type]
            document_name=DOCUMENTS[row.document_kind].name,
            id_number=row.id_masked,
            phone=row.phone_masked,
            agent_name=row.agent_name_masked,
            agent_phone=row.agent_phone_masked,
            created_at=local(row.created_at),  # type: ignore[arg-type]
            checked_in_at=local(row.checked_in_at),
            ticket_id=row.ticket_id,
            status_path=f"/halls/{definition.id}/appointments/{row.code}",  # on this server
            note=row.note,
        )

    def _tell(self, row: AppointmentRow, kind: str, subject: str, text: str) -> None:
        """Send in the background: a slow gateway never holds up a booking."""
        contact = self.keys.open(row.contact_sealed)
        message = Message(
            kind=kind,  # type: ignore[arg-type]
            to_phone=contact.reach,
            to_email=contact.email,
            subject=subject,
            text=text,
            booking_code=row.code,
        )

        async def send() -> None:
            try:
                await self.notifier.send(message)
            except NotifyError as exc:
                log.warning("notice not sent", extra={"code": mask_code(row.code), "kind": kind, "error": str(exc)})

        task = asyncio.create_task(send())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)


def _code_of(text: str) -> str:
    """A booking code typed, or read from its QR code (the status link ends with it)."""
    text = text.strip()
    return text.rsplit("/", 1)[-1].upper() if "/" in text else text.upper()
