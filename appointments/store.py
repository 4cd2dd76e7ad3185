"""Appointments in the database: short transactions, run in threads (or, for check-in, inside
the hall's own transaction)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable, Iterable

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from appointments.models import (
    AppointmentPersonRow,
    AppointmentPhoneCodeRow,
    AppointmentReminderRow,
    AppointmentRow,
    AppointmentSlotRow,
)
from appointments.rules import BookingRefused, PastBooking
from config.audit.schemas import AuditEntry
from config.audit.store import record
from config.crypto import reseal_rows
from config.database import is_postgres, read_connection, write_transaction

__all__ = ["AppointmentStore", "new_code"]

_appts: sa.Table = AppointmentRow.__table__  # type: ignore[attr-defined]
_slots: sa.Table = AppointmentSlotRow.__table__  # type: ignore[attr-defined]
_people: sa.Table = AppointmentPersonRow.__table__  # type: ignore[attr-defined]
_reminders: sa.Table = AppointmentReminderRow.__table__  # type: ignore[attr-defined]
_codes: sa.Table = AppointmentPhoneCodeRow.__table__  # type: ignore[attr-defined]
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed at a kiosk


def new_code() -> str:
    """A booking code (预约码): 8 characters, 40 random bits."""
    return "".join(secrets.choice(_CODE_LETTERS) for _ in range(8))


def _past(row: sa.Row) -> PastBooking:
    return PastBooking(row.item, row.slot_start, row.created_at, row.state, row.ended_at)


class AppointmentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- booking

    def book(
        self,
        row: AppointmentRow,
        capacity: int,
        check: Callable[[list[PastBooking], list[PastBooking]], None],
        phone_keys: list[str] | None = None,
        code_hash: str = "",
    ) -> AppointmentRow:
        """Take a seat of ``row``'s slot and record the booking, or ``BookingRefused``: the
        phone's one-time code (``code_hash``, taken: used once), the person's rules (``check``,
        on their history read under their lock, and on the bookings of other documents made
        with the phone, by its keys ``phone_keys``) and the capacity are decided in one
        transaction. A refused booking leaves the code unused."""
        with write_transaction(self.engine) as conn, conn.begin():
            if code_hash:  # first: the code's row, locked, also keeps one phone's bookings in turn
                taken = conn.execute(
                    _codes.update()
                    .where(
                        _codes.c.hall == row.hall,
                        _codes.c.phone_key == row.phone_key,
                        _codes.c.code_hash == code_hash,
                        _codes.c.expires_at > row.created_at,
                    )
                    .values(code_hash="")
                ).rowcount
                if taken != 1:
                    raise BookingRefused(
                        "phone_code", "验证码已使用或已失效，请重新获取", "the phone code was used or is no longer live"
                    )
            self._lock_person(conn, row.hall, row.person_key)
            history = [
                _past(r)
                for r in conn.execute(
                    sa.select(_appts).where(_appts.c.hall == row.hall, _appts.c.person_key == row.person_key)
                )
            ]
            others = [
                _past(r)
                for r in conn.execute(
                    sa.select(_appts).where(
                        _appts.c.hall == row.hall,
                        _appts.c.phone_key.in_(phone_keys or []),
                        _appts.c.person_key != row.person_key,
                    )
                )
            ]
            check(history, others)
            self._ensure_slot(conn, row.hall, row.capacity_key, row.slot_start)
            taken = conn.execute(
                _slots.update()
                .where(
                    _slots.c.hall == row.hall,
                    _slots.c.capacity_key == row.capacity_key,
                    _slots.c.slot_start == row.slot_start,
                    _slots.c.booked < capacity,
                    _slots.c.closed == sa.false(),
                )
                .values(booked=_slots.c.booked + 1)
            ).rowcount
            if taken != 1:
                raise BookingRefused("full", "该时段已约满，请选择其他时段", "this slot is fully booked; pick another")
            for _ in range(5):  # a code already taken in this hall: draw another
                try:
                    with conn.begin_nested():
                        conn.execute(_appts.insert().values(**row.model_dump()))
                    break
                except IntegrityError:
                    row.code = new_code()
            else:
                raise RuntimeError("could not draw a free booking code")
        return row

    # ---------------------------------------------------------------- phone codes

    def send_phone_code(
        self,
        hall: str,
        phone_key: str,
        code_hash: str,
        now: dt.datetime,
        valid: dt.timedelta,
        check: Callable[[AppointmentPhoneCodeRow | None], None],
    ) -> None:
        """Keep a new code for the phone (the one before it dead), unless ``check``, given
        what was sent to it before, refuses (too soon, too many this hour)."""
        hour = dt.timedelta(hours=1)
        with write_transaction(self.engine) as conn, conn.begin():
            # codes of an hour ago are nobody's business any more (their phones' hashes with them)
            conn.execute(_codes.delete().where(_codes.c.hall == hall, _codes.c.sent_at < now - hour))
            if is_postgres(self.engine):
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            conn.execute(
                insert(_codes)
                .values(hall=hall, phone_key=phone_key, code_hash="", sent_at=now - hour, expires_at=now,
                        wrong_tries=0, hour_from=now, hour_sent=0)
                .on_conflict_do_nothing()
            )  # fmt: skip
            found = conn.execute(
                sa.select(_codes).where(_codes.c.hall == hall, _codes.c.phone_key == phone_key).with_for_update()
            ).one()
            before = AppointmentPhoneCodeRow(**found._mapping)
            check(before if before.hour_sent else None)
            same_hour = now - before.hour_from < hour
            conn.execute(
                _codes.update()
                .where(_codes.c.hall == hall, _codes.c.phone_key == phone_key)
                .values(
                    code_hash=code_hash,
                    sent_at=now,
                    expires_at=now + valid,
                    wrong_tries=0,
                    hour_from=before.hour_from if same_hour else now,
                    hour_sent=before.hour_sent + 1 if same_hour else 1,
                )
            )

    def try_phone_code(self, hall: str, phone_key: str, code_hash: str, now: dt.datetime, tries: int) -> str:
        """Whether ``code_hash`` is the phone's live code: "ok" (not used yet: the booking takes
        it), "wrong" (counted: the ``tries``-th wrong one kills the code) or "none" (no code
        sent, or used, expired, dead)."""
        with write_transaction(self.engine) as conn, conn.begin():
            found = conn.execute(
                sa.select(_codes.c.code_hash, _codes.c.expires_at, _codes.c.wrong_tries)
                .where(_codes.c.hall == hall, _codes.c.phone_key == phone_key)
                .with_for_update()
            ).one_or_none()
            if found is None or not found.code_hash or found.expires_at <= now:
                return "none"
            if hmac.compare_digest(found.code_hash, code_hash):
                return "ok"
            wrong = found.wrong_tries + 1
            conn.execute(
                _codes.update()
                .where(_codes.c.hall == hall, _codes.c.phone_key == phone_key)
                .values(wrong_tries=wrong, code_hash="" if wrong >= tries else found.code_hash)
            )
        return "wrong"

    def _lock_person(self, conn: Connection, hall: str, person_key: str) -> None:
        values = {"hall": hall, "person_key": person_key}
        if is_postgres(self.engine):
            from sqlalchemy.dialects.postgresql import insert

            conn.execute(insert(_people).values(**values).on_conflict_do_nothing())
            conn.execute(
                sa.select(_people.c.hall)
                .where(_people.c.hall == hall, _people.c.person_key == person_key)
                .with_for_update()
            )
        else:  # SQLite: the transaction already holds the only write lock
            from sqlalchemy.dialects.sqlite import insert

            conn.execute(insert(_people).values(**values).on_conflict_do_nothing())

    def _ensure_slot(self, conn: Connection, hall: str, key: str, start: dt.datetime) -> None:
        values = {"hall": hall, "capacity_key": key, "slot_start": start, "booked": 0, "closed": False}
        if is_postgres(self.engine):
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(insert(_slots).values(**values).on_conflict_do_nothing())

    # ---------------------------------------------------------------- reading

    def booked(self, hall: str, keys: Iterable[str], since: dt.datetime, until: dt.datetime) -> dict:
        """``{(capacity_key, slot_start): (booked, closed)}`` for slots in [since, until)."""
        with read_connection(self.engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_slots.c.capacity_key, _slots.c.slot_start, _slots.c.booked, _slots.c.closed).where(
                    _slots.c.hall == hall,
                    _slots.c.capacity_key.in_(list(keys)),
                    _slots.c.slot_start >= since,
                    _slots.c.slot_start < until,
                )
            ).all()
        return {(r.capacity_key, r.slot_start): (r.booked, r.closed) for r in rows}

    def states_between(self, hall: str, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, str, str]]:
        """(slot start, capacity key, state) of every booking for slots in [since, until)."""
        with read_connection(self.engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_appts.c.slot_start, _appts.c.capacity_key, _appts.c.state).where(
                    _appts.c.hall == hall, _appts.c.slot_start >= since, _appts.c.slot_start < until
                )
            ).all()
        return [(r.slot_start, r.capacity_key, r.state) for r in rows]

    def by_code(self, hall: str, code: str) -> AppointmentRow | None:
        with read_connection(self.engine) as conn, conn.begin():
            row = conn.execute(sa.select(_appts).where(_appts.c.hall == hall, _appts.c.code == code)).one_or_none()
        return None if row is None else AppointmentRow(**row._mapping)

    def by_ticket(self, hall: str, ticket_id: str) -> AppointmentRow | None:
        """The booking a check-in gave this ticket for."""
        with read_connection(self.engine) as conn, conn.begin():
            row = conn.execute(
                sa.select(_appts).where(_appts.c.hall == hall, _appts.c.ticket_id == ticket_id)
            ).one_or_none()
        return None if row is None else AppointmentRow(**row._mapping)

    def reseal(self, reseal: Callable[[bytes], bytes]) -> tuple[int, int]:
        """Every booking's sealed contact sealed again (``config.crypto.reseal_rows``)."""
        present = _appts.c.contact_sealed != b""  # none left once anonymised
        return reseal_rows(self.engine, _appts.c.id, _appts.c.contact_sealed, present, reseal)

    def of_person(self, hall: str, person_keys: list[str]) -> list[AppointmentRow]:
        """A person's bookings, by the keyed hash of their number under each secret."""
        with read_connection(self.engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_appts)
                .where(_appts.c.hall == hall, _appts.c.person_key.in_(person_keys))
                .order_by(_appts.c.slot_start)
            ).all()
        return [AppointmentRow(**r._mapping) for r in rows]

    def in_slots(
        self, hall: str, since: dt.datetime, until: dt.datetime, states: tuple[str, ...]
    ) -> list[AppointmentRow]:
        with read_connection(self.engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_appts)
                .where(
                    _appts.c.hall == hall,
                    _appts.c.slot_start >= since,
                    _appts.c.slot_start < until,
                    _appts.c.state.in_(states),
                )
                .order_by(_appts.c.slot_start)
            ).all()
        return [AppointmentRow(**r._mapping) for r in rows]

    # ---------------------------------------------------------------- changes

    def end(
        self, hall: str, appointment_id: str, from_states: tuple[str, ...], state: str, at: dt.datetime, note: str = ""
    ) -> bool:
        """Cancel (by the person or the hall) or mark a no-show, giving its seat back;
        False if it was no longer in one of ``from_states``."""
        with write_transaction(self.engine) as conn, conn.begin():
            row = conn.execute(
                sa.select(_appts.c.capacity_key, _appts.c.slot_start).where(
                    _appts.c.hall == hall, _appts.c.id == appointment_id, _appts.c.state.in_(from_states)
                )
            ).one_or_none()
            if row is None:
                return False
            conn.execute(
                _appts.update().where(_appts.c.id == appointment_id).values(state=state, ended_at=at, note=note[:200])
            )
            if state in ("cancelled", "cancelled_by_hall"):  # a no-show's seat is past: nothing to give back
                conn.execute(
                    _slots.update()
                    .where(
                        _slots.c.hall == hall,
                        _slots.c.capacity_key == row.capacity_key,
                        _slots.c.slot_start == row.slot_start,
                    )
                    .values(booked=_slots.c.booked - 1)
                )
        return True

    @staticmethod
    def check_in(conn: Connection, appointment_id: str, state: str, ticket_id: str, at: dt.datetime) -> None:
        """Inside the hall's transaction that issued the ticket: the booking is used, once."""
        done = conn.execute(
            _appts.update()
            .where(_appts.c.id == appointment_id, _appts.c.state.in_(("booked", "no_show")))
            .values(state=state, checked_in_at=at, ticket_id=ticket_id, ended_at=None)
        ).rowcount
        if done != 1:
            from queueing.errors import Conflict

            raise Conflict("this booking is already checked in", "该预约已签到取号，请勿重复签到")

    def forget_people(self, hall: str, slots_before: dt.datetime, entry: AuditEntry) -> int:
        """Anonymise the bookings of slots that began before ``slots_before``: the person
        (masked forms, sealed contacts, the keyed hashes of the document and the phone) goes,
        the booking's item, slot, state and times stay for the figures. ``entry``, with the
        count added, records it in the same transaction. How many were anonymised."""
        with write_transaction(self.engine) as conn, conn.begin():
            done = conn.execute(
                _appts.update()
                .where(_appts.c.hall == hall, _appts.c.slot_start < slots_before, _appts.c.person_key != "")
                .values(
                    person_key="",
                    phone_key="",
                    id_masked="",
                    name_masked="",
                    phone_masked="",
                    agent_name_masked="",
                    agent_phone_masked="",
                    contact_sealed=b"",
                )
            ).rowcount
            if done:
                # a person with no booking left is no longer anyone the hall knows
                conn.execute(
                    _people.delete().where(
                        _people.c.hall == hall,
                        ~sa.exists().where(_appts.c.hall == hall, _appts.c.person_key == _people.c.person_key),
                    )
                )
                details = {**entry.details, "bookings": done, "slots_before": slots_before.isoformat()}
                record(conn, msgspec.structs.replace(entry, details=details))
        return done

    def close_slot(self, hall: str, key: str, start: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            self._ensure_slot(conn, hall, key, start)
            conn.execute(
                _slots.update()
                .where(_slots.c.hall == hall, _slots.c.capacity_key == key, _slots.c.slot_start == start)
                .values(closed=True)
            )

    def reminder_due(self, appointment_id: str, minutes: int, at: dt.datetime) -> bool:
        """Record the reminder; False if it went out before."""
        try:
            with write_transaction(self.engine) as conn, conn.begin():
                conn.execute(
                    _reminders.insert().values(appointment_id=appointment_id, minutes_before=minutes, sent_at=at)
                )
        except IntegrityError:
            return False
        return True
