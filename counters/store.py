"""The counters' tables (ratings, their cases, the AB roster) and what they read of the hall's
record, through the event store's read API (``queueing.store``): short transactions, called
from threads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from config.audit.schemas import AuditEntry
from config.audit.store import record as audit_record
from config.crypto import reseal_rows
from config.database import read_connection, write_transaction
from counters.models import PostRosterRow, RatingCaseRow, RatingCaseStepRow, RatingRow
from counters.ratings import CaseState
from queueing import store as record
from queueing.store import StoredEvent, TicketFacts

__all__ = ["SERVICE_COMPLETED", "AlreadyRated", "CounterStore"]

_ratings: sa.Table = RatingRow.__table__  # type: ignore[attr-defined]
_cases: sa.Table = RatingCaseRow.__table__  # type: ignore[attr-defined]
_steps: sa.Table = RatingCaseStepRow.__table__  # type: ignore[attr-defined]
_roster: sa.Table = PostRosterRow.__table__  # type: ignore[attr-defined]
SERVICE_COMPLETED = "service_completed"  # the event a rating rates
_UNFINISHED_CASE_GRACE = dt.timedelta(days=365)  # past keeping, a case still open keeps its phone this long


class AlreadyRated(Exception):
    """The service has its rating already (the database's own refusal)."""


class CounterStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- ratings

    def _rated(self, hall: str, ticket_id: str | None = None) -> sa.Select:
        query = sa.select(_ratings.c.service).where(_ratings.c.hall == hall)
        return query if ticket_id is None else query.where(_ratings.c.ticket_id == ticket_id)

    def completed_service(
        self, conn: Connection, hall: str, service: int | None, ticket_id: str | None
    ) -> StoredEvent | None:
        """The completed service ``service``, or the ticket's latest one nobody rated yet."""
        if service is not None:
            found = record.events(conn, hall, kinds=[SERVICE_COMPLETED], seq=service)
        else:
            found = record.events(
                conn,
                hall,
                kinds=[SERVICE_COMPLETED],
                ticket_id=ticket_id,
                excluding=self._rated(hall, ticket_id),
                newest_first=True,
                limit=1,
            )
        return next(found, None)

    def has_rating(self, conn: Connection, hall: str, ticket_id: str) -> bool:
        return conn.execute(self._rated(hall, ticket_id).limit(1)).first() is not None

    def ticket(self, conn: Connection, hall: str, ticket_id: str) -> TicketFacts | None:
        return record.ticket(conn, hall, ticket_id)

    def add_rating(self, conn: Connection, rating: RatingRow, case: RatingCaseRow | None) -> None:
        try:
            with conn.begin_nested():
                conn.execute(_ratings.insert().values(**rating.model_dump()))
        except IntegrityError:
            raise AlreadyRated() from None
        if case is not None:
            conn.execute(_cases.insert().values(**case.model_dump()))

    def rateable(self, hall: str, ticket_id: str) -> bool:
        """Whether the ticket has a completed service nobody rated yet."""
        with read_connection(self.engine) as conn, conn.begin():
            return self.completed_service(conn, hall, None, ticket_id) is not None

    def unrated(self, hall: str, before: dt.datetime) -> list[int]:
        """The services completed before ``before`` that nobody rated."""
        with read_connection(self.engine) as conn, conn.begin():
            found = record.events(conn, hall, kinds=[SERVICE_COMPLETED], before=before, excluding=self._rated(hall))
            return [event.seq for event in found]

    def ratings(self, hall: str, since: dt.date, until: dt.date) -> list[sa.RowMapping]:
        """The ratings of services of the hall days [since, until], with their case's state."""
        with read_connection(self.engine) as conn, conn.begin():
            query = (
                sa.select(_ratings, _cases.c.state.label("case_state"), _cases.c.replied_at)
                .outerjoin(_cases, _cases.c.rating_id == _ratings.c.id)
                .where(_ratings.c.hall == hall, _ratings.c.day >= since, _ratings.c.day <= until)
            )
            return list(conn.execute(query).mappings().all())

    # ---------------------------------------------------------------- cases

    def cases(self, hall: str, state: str | None) -> tuple[list[sa.RowMapping], dict[str, list[dict]]]:
        """The cases (with their rating), and each case's steps, oldest first."""
        with read_connection(self.engine) as conn, conn.begin():
            chosen = [_cases.c.hall == hall] + ([_cases.c.state == state] if state else [])
            query = sa.select(_cases, _ratings).join(_ratings, _ratings.c.id == _cases.c.rating_id).where(*chosen)
            rows = list(conn.execute(query.order_by(_cases.c.deadline, _cases.c.opened_at)).mappings().all())
            steps: dict[str, list[dict]] = {}
            listed = (
                sa.select(_steps.c.case_id, _steps.c.at, _steps.c.by, _steps.c.action, _steps.c.outcome, _steps.c.note)
                .where(_steps.c.case_id.in_(sa.select(_cases.c.id).where(*chosen)))
                .order_by(_steps.c.at, _steps.c.id)
            )
            for step in conn.execute(listed).mappings():
                steps.setdefault(step["case_id"], []).append({k: v for k, v in step.items() if k != "case_id"})
            return rows, steps

    def add_step(self, conn: Connection, step: RatingCaseStepRow) -> None:
        conn.execute(_steps.insert().values(**step.model_dump(exclude={"id"})))

    def forget_contacts(self, hall: str, served_before: dt.date, entry: AuditEntry) -> int:
        """Drop the phones of real-name ratings of services before ``served_before`` whose case,
        if any, is closed, and of any case a year past that (a case left unfinished keeps no
        phone for ever); ``entry``, with the count added, records it in the same transaction."""
        still_handled = sa.exists().where(
            _cases.c.rating_id == _ratings.c.id, _cases.c.state.notin_((CaseState.FIXED, CaseState.VOID))
        )
        with write_transaction(self.engine) as conn, conn.begin():
            done = conn.execute(
                _ratings.update()
                .where(
                    _ratings.c.hall == hall,
                    _ratings.c.day < served_before,
                    sa.or_(_ratings.c.contact_sealed.is_not(None), _ratings.c.contact_masked != ""),
                    sa.or_(~still_handled, _ratings.c.day < served_before - _UNFINISHED_CASE_GRACE),
                )
                .values(contact_sealed=None, contact_masked="")
            ).rowcount
            if done:
                details = {**entry.details, "ratings": done, "served_before": served_before.isoformat()}
                audit_record(conn, msgspec.structs.replace(entry, details=details))
        return done

    def reseal(self, reseal: Callable[[bytes], bytes]) -> tuple[int, int]:
        """Every real-name rating's sealed phone sealed again (``config.crypto.reseal_rows``)."""
        present = _ratings.c.contact_sealed.is_not(None)  # none once dropped
        return reseal_rows(self.engine, _ratings.c.id, _ratings.c.contact_sealed, present, reseal)

    def sealed_contact(self, conn: Connection, rating_id: str) -> bytes | None:
        return conn.execute(sa.select(_ratings.c.contact_sealed).where(_ratings.c.id == rating_id)).scalar_one_or_none()

    def case(self, conn: Connection, hall: str, case_id: str) -> sa.RowMapping | None:
        return (
            conn.execute(sa.select(_cases).where(_cases.c.hall == hall, _cases.c.id == case_id))
            .mappings()
            .one_or_none()
        )

    def update_case(self, conn: Connection, case_id: str, values: dict) -> None:
        conn.execute(_cases.update().where(_cases.c.id == case_id).values(**values))

    # ---------------------------------------------------------------- the AB roster

    def write_roster(
        self, hall: str, day: dt.date, entries: list[tuple[int, str, str]], by: str, at: dt.datetime
    ) -> None:
        """Each (counter, A, B) of the day, replacing what was set for that counter."""
        self.write_rosters(hall, [(day, entries)], by, at)

    def write_rosters(
        self, hall: str, days: list[tuple[dt.date, list[tuple[int, str, str]]]], by: str, at: dt.datetime
    ) -> None:
        """Several days' rosters in one transaction: all of them are written, or none."""
        with write_transaction(self.engine) as conn, conn.begin():
            for day, entries in days:
                for counter, a, b in entries:
                    key = (_roster.c.hall == hall, _roster.c.counter == counter, _roster.c.day == day)
                    conn.execute(_roster.delete().where(*key))
                    conn.execute(
                        _roster.insert().values(
                            hall=hall, counter=counter, day=day, a_staff=a, b_staff=b, set_by=by, set_at=at
                        )
                    )

    def roster(self, hall: str, since: dt.date, until: dt.date) -> list[sa.Row]:
        with read_connection(self.engine) as conn, conn.begin():
            return list(
                conn.execute(
                    sa.select(_roster)
                    .where(_roster.c.hall == hall, _roster.c.day >= since, _roster.c.day <= until)
                    .order_by(_roster.c.day, _roster.c.counter)
                )
            )

    def rosters_on(self, days: dict[str, dt.date]) -> list[sa.Row]:
        """The roster of each hall on its own day (``days``: hall -> its date), in one read:
        the post watcher's round, for every open hall at once."""
        if not days:
            return []
        with read_connection(self.engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_roster).where(_roster.c.hall.in_(list(days)), _roster.c.day.in_(set(days.values())))
            )
            return [r for r in rows if days[r.hall] == r.day]

    def presence(
        self, hall: str, since: dt.date, until: dt.date, counter: int | None, kinds: Collection[str]
    ) -> list[StoredEvent]:
        """The counters' sign-ins, sign-outs, pauses, openings and closings (``kinds``) of the days."""
        with read_connection(self.engine) as conn, conn.begin():
            return list(record.events(conn, hall, kinds=kinds, since=since, until=until, counter=counter))
