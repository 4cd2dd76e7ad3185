"""The queue service: each hall's core, driven inside database transactions.

One ``HallRuntime`` per hall and process. All of a hall's work runs on one thread of its
own, so the in-memory core is never touched by two requests at once, and the event
loop never waits on the database. Commands are handled like this:

1. begin a transaction and lock the hall's head row (the sequence number);
2. catch up: apply the events other processes appended since we last looked;
3. stamp each waiting command with the time, let the core decide and apply it;
4. append the events and the ticket rows, commit;
5. only then answer the clients.

If anything fails after the core changed but before the commit, the runtime reloads its
state from the store before the next step, so memory never runs ahead of the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import Any, Protocol, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from config.database import changed, read_connection, write_transaction
from queueing import store
from queueing.commands import Command, DefineCounter, RetireCounter, StartDay
from queueing.errors import NotFound, Refusal, Unavailable
from queueing.events import DayStarted, Event, Recorded
from queueing.hall import HallQueue
from queueing.settings import QueueHall
from queueing.views import TicketView, ticket_view

__all__ = ["Clock", "HallRegistry", "HallRuntime", "utc_now"]

log = logging.getLogger("hall.queue")
T = TypeVar("T")
Clock = Callable[[], dt.datetime]


class CommitObserver(Protocol):
    """Something that follows a hall's commands (the display channel): ``observe`` sees the
    state right after each command, on the hall thread; ``committed`` gets what it returned,
    in order, once those commands are committed. Neither may block or fail the hall."""

    def observe(self, queue: HallQueue, recorded: list[Recorded]) -> Any: ...

    def committed(self, observed: list[Any]) -> None: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_PENDING, _RUNNING, _WITHDRAWN = range(3)


class _Job:
    """Work for a hall's thread: a command, a read, or any other call.

    Its caller awaits ``waiter``, a future of the caller's event loop, which the hall thread
    answers after the work is done (committed), a batch's answers in one hand-off to the loop.
    ``state`` says whether the hall thread has begun it or its caller withdrew it first."""

    __slots__ = ("also", "call", "command", "error", "loop", "present", "result", "state", "waiter")

    def __init__(
        self,
        *,
        command: Command | None = None,
        present: Callable[..., Any] | None = None,
        call: Callable[[], Any] | None = None,
        also: Callable[[Connection, list[Recorded]], None] | None = None,
    ) -> None:
        self.command, self.present, self.call, self.also = command, present, call, also
        self.state = _PENDING
        self.result: Any = None
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # None: a job the hall thread made for itself
        self.waiter: asyncio.Future[Any] | None = None

    def answer(self) -> Any:
        """The result, or the error raised (a job the hall thread ran for itself)."""
        if self.error is not None:
            raise self.error
        return self.result


def _deliver(jobs: list[_Job]) -> None:
    """On the callers' event loop: answer the jobs (those whose callers still wait)."""
    for job in jobs:
        waiter = job.waiter
        if waiter is None or waiter.done():  # its caller left meanwhile
            continue
        if job.error is not None:
            waiter.set_exception(job.error)
        else:
            waiter.set_result(job.result)


class _Outcome:
    """What a command caused and what its caller will be told, once the batch is committed."""

    __slots__ = ("error", "job", "logs", "observed", "recorded", "result")

    def __init__(self, job: _Job, recorded: list[Recorded]) -> None:
        self.job, self.recorded = job, recorded
        self.observed: Any = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.logs: list[tuple[str, dict[str, Any]]] = []

    def send(self) -> None:
        if self.logs and log.isEnabledFor(logging.INFO):
            for message, fields in self.logs:
                # What ``log.info`` does, less finding its caller in the stack (a tenth of a line's cost).
                log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, message, (), None, "send", fields))
        self.job.result, self.job.error = self.result, self.error


class HallRuntime:
    """One hall in this process: its core, its thread and its transactions.

    Commands that arrive together are decided one after the other and committed in one
    transaction (group commit): under load a hall pays one commit per batch, not per
    command, and every client still hears back only after its command is on disk.
    """

    MAX_BATCH = 64

    def __init__(
        self,
        hall: QueueHall,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        snapshot_every: int = 2000,
        observer: CommitObserver | None = None,
        wait_seconds: float = 10.0,
    ) -> None:
        self.hall = hall
        self.wait_seconds = wait_seconds  # a request waits this long for the hall's thread, then 503
        self.observer = observer
        self.engine = engine
        self.clock = clock
        self.snapshot_every = snapshot_every
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._worker = threading.Thread(target=self._work, name=f"hall-{hall.id}", daemon=True)
        self._queue = HallQueue(hall.rules)
        self._stale = True
        self._last_at: dt.datetime | None = None
        self._snapshot_seq = 0
        self._snapshots = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hall-{hall.id}-snapshot")
        self._snapshot_writing: Future[None] | None = None
        self._claims = threading.Lock()  # a job is begun by the hall thread or withdrawn by its caller, not both
        self._answered: list[_Job] = []  # done on the hall thread, not yet handed to their callers

    @property
    def id(self) -> str:
        return self.hall.id

    # ------------------------------------------------------------------ async surface

    async def start(self) -> None:
        self._worker.start()
        await self._submit(_Job(call=self._start))

    async def close(self) -> None:
        if self._worker.is_alive():
            self._jobs.put(None)
            await asyncio.to_thread(self._worker.join)
        await asyncio.to_thread(self._snapshots.shutdown, wait=True)

    async def execute(
        self,
        command: Command,
        present: Callable[[HallQueue, list[Recorded], dt.datetime], T] | None = None,
        also: Callable[[Connection, list[Recorded]], None] | None = None,
    ) -> T | list[Recorded]:
        """Handle ``command`` durably and answer once it is committed. ``present`` turns the
        outcome into the answer, on the hall thread, from the state right after the command.
        The command's ``at`` is replaced by the time the hall thread decides it. ``also``
        writes what must commit with the command's events, in the same transaction (e.g. an
        appointment checked in with its ticket); if it raises, neither is kept."""
        answer = await self._submit(_Job(command=command, present=present, also=also))
        changed()  # recorded: this request's later database calls may no longer say "nothing was done"
        return answer

    async def read(self, present: Callable[[HallQueue, dt.datetime], T]) -> T:
        """Answer from the live state, caught up with every other process."""
        return await self._submit(_Job(present=present))

    async def ticket_status(self, ticket_id: str) -> TicketView | None:
        """A ticket of today from the live state, or of an earlier day from the ticket table."""
        view = await self.read(lambda q, at: q.ticket_view(t, at) if (t := q.ticket(ticket_id)) else None)
        if view is not None:
            return view
        facts = await self._submit(_Job(call=lambda: self._stored_ticket(ticket_id)))
        if facts is None:
            return None
        counter = self.hall.counter(facts.counter) if facts.counter is not None else None
        return ticket_view(facts, self.hall.rules.item_by_code.get(facts.item), counter.name if counter else None)

    async def ticket(self, ticket_id: str) -> TicketView:
        """A ticket of any day, as ``ticket_status``; 404 if the hall never had it."""
        view = await self.ticket_status(ticket_id)
        if view is None:
            raise NotFound(f"no ticket {ticket_id!r} in hall {self.id}", "没有找到该号")
        return view

    async def ticket_history(self, ticket_id: str) -> list[store.StoredEvent]:
        """What happened to a ticket, from the record, in order (the service desk shows it)."""
        return await self._submit(_Job(call=lambda: self._ticket_events(ticket_id)))

    async def recorded_event(self, seq: int) -> Event | None:
        """One event of the hall's record, by its sequence number."""
        return await self._submit(_Job(call=lambda: self._event_at(seq)))

    async def _submit(self, job: _Job) -> Any:
        loop = asyncio.get_running_loop()
        job.loop, job.waiter = loop, loop.create_future()
        self._jobs.put(job)
        # The hall thread held past ``wait_seconds`` (a database that stalls): a job it has not
        # begun is withdrawn and the client told that nothing was done; one it has begun is
        # awaited, for its outcome is no longer ours to deny. A timer rather than a timeout
        # around the await: the answer's path stays one await, as fast as before.
        withdrawn = False

        def withdraw() -> None:
            nonlocal withdrawn
            withdrawn = self._withdraw(job)  # False once the hall thread has begun it
            if withdrawn:
                job.waiter.cancel()  # type: ignore[union-attr]

        timer = loop.call_later(self.wait_seconds, withdraw)
        try:
            return await job.waiter
        except asyncio.CancelledError:
            if not withdrawn:
                self._withdraw(job)  # the request itself was cancelled (its client left): not begun, not done
                raise
            raise Unavailable(
                f"hall {self.id} could not take this in {self.wait_seconds:g} s (its database is slow or out of "
                "reach, or the hall is busy); nothing was done: try again shortly",
                "系统繁忙（数据库暂时无法响应），本次操作未生效，请稍后再试",
            ) from None
        finally:
            timer.cancel()

    def _withdraw(self, job: _Job) -> bool:
        with self._claims:
            if job.state == _PENDING:
                job.state = _WITHDRAWN
            return job.state == _WITHDRAWN

    # ------------------------------------------------------------------ on the hall thread

    def _begin(self, job: _Job) -> bool:
        with self._claims:
            if job.state == _PENDING:
                job.state = _RUNNING
            return job.state == _RUNNING

    def _answer(self) -> None:
        """Hand the answers of the jobs done to their callers' loops: one call for a batch."""
        answered, self._answered = self._answered, []
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in answered:
            if job.loop is not None:
                by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_deliver, jobs)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            # A job its caller withdrew (it waited too long) is not done: he was told so.
            batch = [job] if self._begin(job) else []
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except Empty:
                    break
                if more is None:
                    self._jobs.put(None)  # finish this batch, then stop
                    break
                if self._begin(more):
                    batch.append(more)
            commands = [j for j in batch if j.command is not None]
            if commands:
                self._run_commands(commands)
                self._answer()
            reads = [j for j in batch if j.command is None and j.call is None]
            if reads:
                self._run_reads(reads)
                self._answer()
            for other in batch:
                if other.call is not None:
                    self._run_other(other)
                    self._answer()

    def _run_other(self, job: _Job) -> None:
        try:
            job.result = job.call()  # type: ignore[misc]
        except BaseException as exc:
            job.error = exc
        self._answered.append(job)

    def _run_reads(self, jobs: list[_Job]) -> None:
        """Answer reads that arrived together from one caught-up state (hundreds of screens
        connecting at once cost one look at the record, not hundreds)."""
        try:
            self._catch_up_for_reading()
        except BaseException as exc:
            for job in jobs:
                job.error = exc
        else:
            at = self._now()
            for job in jobs:
                try:
                    job.result = job.present(self._queue, at)  # type: ignore[misc]
                except BaseException as exc:
                    job.error = exc
        self._answered += jobs

    def _start(self) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            store.ensure_head(conn, self.id)
        self._reload()
        # The hall file says which counters exist; runtime changes survive until it changes.
        jobs = [_Job(command=DefineCounter(at=self.clock(), spec=spec)) for spec in self.hall.counters]
        retired = sorted(set(self._queue.counters) - {c.number for c in self.hall.counters})
        jobs += [_Job(command=RetireCounter(at=self.clock(), counter=number)) for number in retired]
        self._run_commands(jobs)
        for job in jobs:
            job.answer()  # raises the first failure
        for warning in self.hall.warnings:
            log.warning(warning, extra={"hall": self.id})
        if unserved := self._queue.unserved_waiting_items():
            log.warning(
                "tickets wait for items no counter serves any more; add a counter for them or transfer them",
                extra={"hall": self.id, "items": unserved},
            )

    def _reload(self) -> None:
        started = time.perf_counter()
        with read_connection(self.engine) as conn, conn.begin():
            loaded = store.load(conn, self.hall.rules)
        self._queue, self._stale, self._last_at = loaded.queue, False, loaded.last_at
        self._snapshot_seq = loaded.snapshot_seq
        log.info(
            "hall state loaded",
            extra={
                "hall": self.id,
                "seq": loaded.queue.seq,
                "snapshot_seq": self._snapshot_seq,
                "replayed": loaded.replayed,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _now(self) -> dt.datetime:
        now = self.clock()
        # The record's times never run backwards, even if two servers' clocks disagree a little.
        return now if self._last_at is None or now >= self._last_at else self._last_at

    def _catch_up(self, conn: sa.Connection, head_seq: int) -> None:
        queue = self._queue
        if head_seq < queue.seq:
            raise store.StoreError(f"hall {self.id}: the record ends at {head_seq}, memory at {queue.seq}")
        if head_seq > queue.seq:
            for recorded in store.read_since(conn, self.id, queue.seq):
                queue.apply(recorded)
                self._last_at = recorded.event.at

    def _run_commands(self, jobs: list[_Job]) -> None:
        """Decide ``jobs`` in order in one transaction; answer each after the commit. If the
        batch fails, its commands are tried again one per transaction: a command that breaks
        the core or its write fails alone."""
        outcomes: list[_Outcome] = []
        batch: list[Recorded] = []
        try:
            if self._stale:
                self._reload()
            with write_transaction(self.engine) as conn, conn.begin():
                self._catch_up(conn, store.lock_head(conn, self.id))
                unwritten: list[Recorded] = []
                for job in jobs:
                    at = self._now()
                    if unwritten and self._queue.day_due(at):
                        # The new day empties memory: write what the old day's commands did first.
                        store.append(conn, self._queue, unwritten)
                        unwritten = []
                    outcomes.append(self._decide(job, at))
                    unwritten += outcomes[-1].recorded
                    batch += outcomes[-1].recorded
                    if job.also is not None and outcomes[-1].recorded and outcomes[-1].error is None:
                        store.append(conn, self._queue, unwritten)  # the rows ``also`` may refer to
                        unwritten = []
                        job.also(conn, outcomes[-1].recorded)
                store.append(conn, self._queue, unwritten)
        except Exception as exc:
            self._stale = True  # memory may be ahead of the record: reload before going on
            if len(jobs) > 1:
                for job in jobs:
                    self._run_commands([job])
                return
            # An ``also`` may refuse, like a command; a database out of reach is told to the
            # caller (the API answers 503 and logs it once), not a traceback per command.
            if not isinstance(exc, Refusal | sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError):
                log.exception("command failed", extra={"hall": self.id, "command": type(jobs[0].command).__name__})
            jobs[0].error = exc
            self._answered.append(jobs[0])
            return
        if batch:
            self._after_commit(batch, batch[-1].event.at)
        # The callers first: a clerk's answer should not wait behind a fan-out to thousands
        # of screens (both go to the event loop, in this order).
        for outcome in outcomes:
            outcome.send()
        self._answered += jobs
        self._answer()
        if batch and self.observer is not None:
            try:
                self.observer.committed([o.observed for o in outcomes if o.observed is not None])
            except Exception:
                log.exception("commit observer failed", extra={"hall": self.id})

    def _decide(self, job: _Job, at: dt.datetime) -> _Outcome:
        """Decide one command and prepare its answer from the state right after it (a later
        command of the batch may start a new day and empty memory)."""
        command = msgspec.structs.replace(job.command, at=at)  # type: ignore[type-var]
        try:
            recorded, refusal = self._queue.handle(command), None
        except Refusal as exc:
            recorded, refusal = exc.recorded, exc
        if recorded:
            self._last_at = recorded[-1].event.at
        outcome = _Outcome(job, recorded)
        if recorded and self.observer is not None:
            try:
                outcome.observed = self.observer.observe(self._queue, recorded)
            except Exception:  # the displays must never fail a command
                log.exception("commit observer failed", extra={"hall": self.id})
        name = type(command).__name__
        if refusal is not None:
            outcome.logs.append(("refused", {"hall": self.id, "command": name, "reason": refusal.message}))
            outcome.error = refusal
            return outcome
        for entry in recorded:
            event = entry.event
            ticket = self._queue.tickets.get(getattr(event, "ticket_id", None) or "")
            outcome.logs.append(
                (
                    type(event).__struct_config__.tag,
                    {
                        "hall": self.id,
                        "seq": entry.seq,
                        "ticket": ticket.number if ticket else None,
                        "counter": getattr(event, "counter", None),
                        "actor": event.actor,
                    },
                )
            )
        try:
            outcome.result = job.present(self._queue, recorded, at) if job.present else recorded
        except Exception as exc:  # a presenter's bug fails its own answer, not the batch
            outcome.error = exc
        return outcome

    def _catch_up_for_reading(self) -> None:
        if self._stale:
            self._reload()
        if self._queue.day_due(self._now()):
            job = _Job(command=StartDay(at=self._now()))
            self._run_commands([job])
            job.answer()
        with read_connection(self.engine) as conn, conn.begin():
            self._catch_up(conn, store.head(conn, self.id))

    def _event_at(self, seq: int) -> Event | None:
        with read_connection(self.engine) as conn, conn.begin():
            return store.event_at(conn, self.id, seq)

    def _ticket_events(self, ticket_id: str) -> list[store.StoredEvent]:
        with read_connection(self.engine) as conn, conn.begin():
            newest = list(store.events(conn, self.id, ticket_id=ticket_id, newest_first=True, limit=200))
            return newest[::-1]  # a long history keeps its latest steps

    def _stored_ticket(self, ticket_id: str) -> store.TicketFacts | None:
        with read_connection(self.engine) as conn, conn.begin():
            return store.ticket(conn, self.id, ticket_id)

    def _after_commit(self, recorded: list[Recorded], at: dt.datetime) -> None:
        """Now and then, a snapshot: encoded here, where the state is consistent, and written
        by the snapshot thread, so that a large write never holds up the hall."""
        day_started = any(isinstance(r.event, DayStarted) for r in recorded)
        if not (day_started or self._queue.seq - self._snapshot_seq >= self.snapshot_every):
            return
        if self._snapshot_writing is not None and not self._snapshot_writing.done():
            return  # the last one is still being written; the next commit tries again
        self._snapshot_seq = self._queue.seq
        self._snapshot_writing = self._snapshots.submit(
            self._write_snapshot, self._queue.seq, at, store.encode_snapshot(self._queue)
        )

    def _write_snapshot(self, seq: int, at: dt.datetime, data: bytes) -> None:
        try:
            with write_transaction(self.engine) as conn, conn.begin():
                store.save_snapshot(conn, self.id, seq, at, data)
        except sa.exc.IntegrityError:
            pass  # another process took the same one
        except sa.exc.SQLAlchemyError:
            log.exception("snapshot failed; the events are safe, the next restart replays more")


class HallRegistry:
    """The halls this process serves."""

    def __init__(self, runtimes: list[HallRuntime]) -> None:
        self._halls = {runtime.id: runtime for runtime in runtimes}

    def get(self, hall: str) -> HallRuntime:
        runtime = self._halls.get(hall)
        if runtime is None:
            raise NotFound(f"no hall {hall!r}; halls here: {', '.join(sorted(self._halls))}", f"没有大厅 {hall}")
        return runtime

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._halls.values())

    def __len__(self) -> int:
        return len(self._halls)

    async def start(self) -> None:
        for runtime in self._halls.values():
            await runtime.start()

    async def close(self) -> None:
        for runtime in self._halls.values():
            await runtime.close()
