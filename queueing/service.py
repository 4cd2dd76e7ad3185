"""The queue service: each hall's core, driven inside database transactions.

One ``HallRuntime`` per hall and process. A hall's work runs on the thread of its
``HallWorker``, which the halls of a process share, so the in-memory core is never touched by
two requests at once, and the event loop never waits on the database. Commands are handled
like this, for every hall with commands waiting, in one transaction (group commit across
halls):

1. begin a transaction; for each hall, in the order of their ids, lock its head row (the
   sequence number), catch up (apply the events other processes appended since we last
   looked), stamp each waiting command with the time, let the core decide and apply it, and
   append the events and the ticket rows;
2. commit once;
3. only then answer the clients.

If anything fails after a core changed but before the commit, that hall reloads its state from
the store before its next step, so memory never runs ahead of the record; the commands are then
tried again hall by hall, and within a hall one by one, so a command that breaks fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import Any, Protocol, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from config.database import UNREACHABLE, changed, log_background_failure, read_connection, write_transaction
from queueing import store
from queueing.commands import Command, DefineCounter, RetireCounter, StartDay
from queueing.errors import NotFound, Refusal, Unavailable
from queueing.events import DayStarted, Event, Recorded
from queueing.hall import HallQueue
from queueing.settings import QueueHall
from queueing.views import TicketView, ticket_view

__all__ = ["Clock", "HallRegistry", "HallRuntime", "HallWorker", "HallWorkers", "utc_now"]

log = logging.getLogger("hall.queue")
T = TypeVar("T")
Clock = Callable[[], dt.datetime]


class CommitObserver(Protocol):
    """Something that follows a hall's commands (the display channel): ``observe`` sees the
    state right after each command, on the hall's worker thread; ``committed`` gets what it
    returned, in order, once those commands are committed. Neither may block or fail the hall."""

    def observe(self, queue: HallQueue, recorded: list[Recorded]) -> Any: ...

    def committed(self, observed: list[Any]) -> None: ...


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_PENDING, _RUNNING, _WITHDRAWN, _ANSWERED = range(4)


class _Job:
    """Work for a hall: a command, a read, or any other call.

    Its caller awaits ``waiter``, a future of the caller's event loop, which the worker thread
    answers after the work is done (committed), a batch's answers in one hand-off to the loop.
    ``state`` says whether the worker has begun it or its caller withdrew it first. An
    ``aside`` call reads only the database, never the core: it runs on the worker's reading
    threads, so that a long read does not hold up the halls."""

    __slots__ = ("also", "aside", "call", "command", "error", "loop", "present", "result", "state", "waiter")

    def __init__(
        self,
        *,
        command: Command | None = None,
        present: Callable[..., Any] | None = None,
        call: Callable[[], Any] | None = None,
        also: Callable[[Connection, list[Recorded]], None] | None = None,
        aside: bool = False,
    ) -> None:
        self.command, self.present, self.call, self.also, self.aside = command, present, call, also, aside
        self.state = _PENDING
        self.result: Any = None
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # None: a job the worker made for itself
        self.waiter: asyncio.Future[Any] | None = None

    def answer(self) -> Any:
        """The result, or the error raised (a job the worker ran for itself)."""
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


def _hand_over(answered: Iterable[_Job]) -> None:
    """Hand the answers of the jobs done to their callers' loops: one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in answered:
        if job.loop is not None:
            by_loop.setdefault(job.loop, []).append(job)
    for loop, jobs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_deliver, jobs)


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


class _Decided:
    """A hall's commands decided and written in a transaction not yet committed."""

    __slots__ = ("jobs", "outcomes", "recorded", "runtime")

    def __init__(self, runtime: HallRuntime, jobs: list[_Job], outcomes: list[_Outcome], recorded: list[Recorded]):
        self.runtime, self.jobs, self.outcomes, self.recorded = runtime, jobs, outcomes, recorded


class HallWorker:
    """The thread that does the work of the halls of a process (工作线程), and their
    snapshot writer and reading threads.

    What the halls have waiting when it looks is taken together: every hall's commands are
    decided and committed in one transaction (group commit across halls), so a hundred halls at
    a few operations a second each pay a few commits a second, not hundreds; then the reads, in
    one look at the record; then any other call. One thread for many halls: a slow step of one
    hall (a reload after a failure, a new day's snapshot) holds up the others for its length;
    the reads that need no core (a ticket's history, an old ticket) go to reading threads."""

    MAX_GATHER = 512  # jobs taken at once: bounds a transaction's size and the answers' wait

    def __init__(self, name: str = "halls", readers: int = 2) -> None:
        self.name, self.readers = name, readers
        self.claims = threading.Lock()  # a job is begun by the worker or withdrawn by its caller, not both
        self._lock = threading.Lock()
        self._users = 0
        self._jobs: SimpleQueue[tuple[HallRuntime, _Job] | None] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._snapshots: ThreadPoolExecutor | None = None
        self._aside: ThreadPoolExecutor | None = None
        self._answered: list[_Job] = []  # done on the worker thread, not yet handed to their callers
        self._stopping: threading.Thread | None = None  # the last thread, told to stop

    # ------------------------------------------------------------------ from the halls

    def attach(self) -> None:
        """A hall starts using the worker: its thread runs while any hall does."""
        with self._lock:
            self._users += 1
            if self._thread is None:
                # Jobs put since the last thread stopped wait in ``_jobs``: this thread does them,
                # once that one has finished (never two threads on the same halls).
                self._snapshots = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-snapshot")
                self._aside = ThreadPoolExecutor(max_workers=self.readers, thread_name_prefix=f"{self.name}-read")
                self._thread = threading.Thread(
                    target=self._work, args=(self._jobs, self._stopping), name=self.name, daemon=True
                )
                self._thread.start()

    async def detach(self, deadline: float) -> None:
        """A hall is done with the worker; the last one stops its threads, waiting at most
        ``deadline`` seconds for the worker's (one held by a database that stalls is left
        behind, a daemon thread: a process that is stopping must stop). The reading threads'
        waiting reads are dropped (their callers have gone); one already reading finishes."""
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            thread, snapshots, aside, stopping = self._thread, self._snapshots, self._aside, self._jobs
            self._thread = self._snapshots = self._aside = None
            self._stopping = thread
            # A fresh queue from now on: the stop mark is the last thing this thread takes, and
            # a job put after it is not lost behind it (the next thread, if any, does it).
            self._jobs = SimpleQueue()
            stopping.put(None)
        if aside is not None:
            aside.shutdown(wait=False, cancel_futures=True)
        if snapshots is not None:
            snapshots.shutdown(wait=False)  # a snapshot under way is written: each hall waited for its own
        # Polled, not joined in a thread: a join in the loop's executor would hold the process's
        # exit for as long as the database stalls.
        until = time.monotonic() + deadline
        while thread.is_alive() and time.monotonic() < until:
            await asyncio.sleep(0.01)
        if thread.is_alive():
            log.warning("the halls' worker did not stop in time; leaving it", extra={"worker": self.name})

    def put(self, runtime: HallRuntime, job: _Job) -> None:
        # Under the lock: a worker stopping at this moment (``detach``) has either not yet
        # handed its pools and queue on, or has; the job is never put where nobody will look.
        with self._lock:
            if job.aside and self._aside is not None:
                self._aside.submit(self._run_aside, job)
            else:
                self._jobs.put((runtime, job))

    def write_snapshot(self, call: Callable[[], None]) -> Future[None] | None:
        pool = self._snapshots
        return None if pool is None else pool.submit(call)

    def withdraw(self, job: _Job) -> bool:
        with self.claims:
            if job.state == _PENDING:
                job.state = _WITHDRAWN
            return job.state == _WITHDRAWN

    # ------------------------------------------------------------------ on the worker thread

    def begin(self, job: _Job) -> bool:
        with self.claims:
            if job.state == _PENDING:
                job.state = _RUNNING
            return job.state == _RUNNING

    def answered(self, jobs: Iterable[_Job]) -> None:
        for job in jobs:
            job.state = _ANSWERED  # its caller will hear: a failing step must not answer it again
            self._answered.append(job)

    def answer(self) -> None:
        """Hand the answers of the jobs done to their callers' loops: one call for a batch."""
        answered, self._answered = self._answered, []
        if answered:
            _hand_over(answered)

    def _run_aside(self, job: _Job) -> None:
        if not self.begin(job):
            return  # withdrawn: its caller was told
        try:
            job.result = job.call()  # type: ignore[misc]
        except BaseException as exc:
            job.error = exc
        _hand_over([job])

    def _work(self, jobs: SimpleQueue[tuple[HallRuntime, _Job] | None], previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # what it had begun is done before anything else of these halls
        while True:
            first = jobs.get()
            if first is None:
                return
            gathered = [first]
            while len(gathered) < self.MAX_GATHER:
                try:
                    more = jobs.get_nowait()
                except Empty:
                    break
                if more is None:
                    jobs.put(None)  # finish these, then stop
                    break
                gathered.append(more)
            # A job its caller withdrew (it waited too long) is not done: he was told so.
            work: dict[HallRuntime, list[_Job]] = {}
            for runtime, job in gathered:
                if self.begin(job):
                    work.setdefault(runtime, []).append(job)
            try:
                self._step(work)
            except Exception as exc:  # a bug here must not stop every hall of the process
                log.exception("the halls' worker failed a step", extra={"halls": sorted(r.id for r in work)})
                for runtime, js in work.items():
                    runtime._stale = True  # memory may be ahead of the record: reload before going on
                    stranded = [job for job in js if job.state == _RUNNING]
                    for job in stranded:
                        job.error = exc
                    self.answered(stranded)
                self.answer()

    def _step(self, work: dict[HallRuntime, list[_Job]]) -> None:
        commands = [(r, c) for r, js in work.items() if (c := [j for j in js if j.command is not None])]
        if commands:
            self._run_commands(commands)
            self.answer()
        reads = [(r, c) for r, js in work.items() if (c := [j for j in js if j.command is None and j.call is None])]
        if reads:
            self._run_reads(reads)
            self.answer()
        for runtime, js in work.items():
            for job in js:
                if job.call is not None:
                    runtime._run_other(job)
                    self.answer()

    def _run_commands(self, work: list[tuple[HallRuntime, list[_Job]]]) -> None:
        """Decide every hall's commands in one transaction per engine; answer after the commit."""
        by_engine: dict[Engine, list[tuple[HallRuntime, list[_Job]]]] = {}
        for runtime, jobs in work:
            by_engine.setdefault(runtime.engine, []).append((runtime, jobs))
        for engine, halls in by_engine.items():
            if len(halls) == 1:
                halls[0][0]._run_commands(halls[0][1])  # one hall: exactly as it ran alone
            else:
                self._run_across(engine, halls)

    def _run_across(self, engine: Engine, halls: list[tuple[HallRuntime, list[_Job]]]) -> None:
        # The head rows are locked in one statement, in the order of the halls' ids
        # (``store.lock_heads``): two processes writing some of the same halls each wait for the
        # other's commit, never for each other (no deadlock). The halls go in that order too.
        halls.sort(key=lambda hall: hall[0].id)
        if len({runtime.id for runtime, _ in halls}) < len(halls):  # one hall twice (never in a server)
            for runtime, jobs in halls:
                runtime._run_commands(jobs)
            return
        decided: list[_Decided] = []
        entered: list[HallRuntime] = []
        later: list[tuple[HallRuntime, list[_Job]]] = []
        # A hall that must load its state again and cannot fails its own commands, not the group.
        ready = []
        for runtime, jobs in halls:
            if runtime._stale:
                try:
                    runtime._reload()
                except Exception as exc:
                    runtime._give_up(jobs, exc)
                    continue
            ready.append((runtime, jobs))
        halls = ready
        if not halls:
            return
        try:
            with write_transaction(engine) as conn, conn.begin():
                appends = store.Appends(conn.dialect)
                heads = store.lock_heads(conn, [runtime.id for runtime, _ in halls])
                caught = store.read_since_many(conn, _memory(halls), heads)  # one read for them all
                for runtime, jobs in halls:
                    entered.append(runtime)
                    read = caught.get(runtime.id, ())
                    if any(job.also is not None for job in jobs):
                        # An ``also`` may refuse (an appointment checked in twice meanwhile): in
                        # a savepoint, so that only its hall is tried again, after this commit.
                        appends.flush(conn)
                        try:
                            with conn.begin_nested():
                                done = runtime._decide_all(conn, jobs, heads[runtime.id], appends, read)
                                appends.flush(conn)
                        except Exception:
                            appends.discard()
                            runtime._stale = True
                            later.append((runtime, jobs))
                        else:
                            decided.append(done)
                    else:
                        decided.append(runtime._decide_all(conn, jobs, heads[runtime.id], appends, read))
                appends.flush(conn)
        except Exception as exc:
            log.warning(
                "a group commit across halls failed; trying each hall alone",
                extra={"halls": len(halls), "error": repr(exc)},
            )
            for runtime in entered:
                runtime._stale = True  # memory may be ahead of the record: reload before going on
            for runtime, jobs in halls:
                if isinstance(exc, UNREACHABLE):
                    runtime._give_up(jobs, exc)
                else:
                    runtime._run_commands(jobs)
            return
        for done in decided:
            done.runtime._committed(done)
            done.runtime._observe(done)
        self.answer()  # after the frames: see ``HallRuntime._run_commands``
        for runtime, jobs in later:
            runtime._run_commands(jobs)

    def _run_reads(self, work: list[tuple[HallRuntime, list[_Job]]]) -> None:
        """Answer reads that arrived together from caught-up states, every hall's in one look at
        the record (hundreds of screens connecting at once cost one, not hundreds)."""
        by_engine: dict[Engine, list[tuple[HallRuntime, list[_Job]]]] = {}
        for runtime, jobs in work:
            try:
                runtime._ready_for_reading()
            except BaseException as exc:
                runtime._fail(jobs, exc)
            else:
                by_engine.setdefault(runtime.engine, []).append((runtime, jobs))
        for engine, ready in by_engine.items():
            looked = 0
            try:
                with read_connection(engine) as conn, conn.begin():
                    # Every hall's newest sequence number, and what other processes appended, in
                    # one statement each: a heartbeat asks it of every hall with a screen at once.
                    heads = store.heads(conn, [runtime.id for runtime, _ in ready])
                    caught = store.read_since_many(conn, _memory(ready), heads)
                    for runtime, jobs in ready:
                        try:
                            runtime._catch_up(conn, heads.get(runtime.id), caught.get(runtime.id, ()))
                        except sa.exc.SQLAlchemyError:
                            raise  # the database: this hall and those not yet read are told (below)
                        except Exception as exc:  # this hall's record (behind memory, undecodable): its reads alone
                            runtime._fail(jobs, exc)
                        else:
                            runtime._present(jobs)
                        looked += 1
            except BaseException as exc:  # the database: the halls not yet read are told
                for runtime, jobs in ready[looked:]:
                    runtime._fail(jobs, exc)


def _memory(halls: list[tuple[HallRuntime, list[_Job]]]) -> dict[str, int]:
    """Hall -> the sequence number its memory is at."""
    return {runtime.id: runtime._queue.seq for runtime, _ in halls}


class HallWorkers:
    """The workers of a process (``count`` of them): each hall has one, by its id."""

    def __init__(self, count: int = 1, name: str = "halls") -> None:
        if count < 1:
            raise ValueError("a process needs at least one hall worker")
        self._workers = [HallWorker(f"{name}-{n}" if count > 1 else name) for n in range(count)]

    def for_hall(self, hall: str) -> HallWorker:
        return self._workers[zlib.crc32(hall.encode()) % len(self._workers)]


class HallRuntime:
    """One hall in this process: its core, its transactions, and the worker that runs them.

    Commands that arrive together are decided one after the other and committed in one
    transaction (group commit), with those of the worker's other halls: under load a hall pays
    a share of one commit per batch, not a commit per command, and every client still hears
    back only after its command is on disk. A hall given no worker has one of its own.
    """

    def __init__(
        self,
        hall: QueueHall,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        snapshot_every: int = 2000,
        observer: CommitObserver | None = None,
        wait_seconds: float = 10.0,
        worker: HallWorker | None = None,
    ) -> None:
        self.hall = hall
        self.wait_seconds = wait_seconds  # a request waits this long for the hall's worker, then 503
        self.observer = observer
        self.engine = engine
        self.clock = clock
        self.snapshot_every = snapshot_every
        self._worker = worker or HallWorker(f"hall-{hall.id}")
        self._attached = False
        self._queue = HallQueue(hall.rules)
        self._stale = True
        self._last_at: dt.datetime | None = None
        self._snapshot_seq = 0
        self._snapshot_writing: Future[None] | None = None

    @property
    def id(self) -> str:
        return self.hall.id

    # ------------------------------------------------------------------ async surface

    async def start(self) -> None:
        if not self._attached:
            self._worker.attach()
            self._attached = True
        await self._submit(_Job(call=self._start))

    async def close(self) -> None:
        if not self._attached:
            return
        self._attached = False
        loop, last = asyncio.get_running_loop(), _Job(call=_nothing)
        last.loop, last.waiter = loop, loop.create_future()
        self._worker.put(self, last)  # what was asked of the hall before is done first
        # A database that stalls holds the worker: the hall stops without waiting for ever (what
        # it had not begun is withdrawn by its callers' own deadlines, nothing done).
        deadline = max(self.wait_seconds, 1.0)
        try:
            await asyncio.wait_for(last.waiter, deadline)
            if self._snapshot_writing is not None:
                await asyncio.wait_for(asyncio.wrap_future(self._snapshot_writing), deadline)
        except TimeoutError:
            log.warning("the hall's work did not finish in time; stopping without it", extra={"hall": self.id})
        except Exception:  # the snapshot's own failure was logged where it was written
            pass
        await self._worker.detach(deadline)

    async def execute(
        self,
        command: Command,
        present: Callable[[HallQueue, list[Recorded], dt.datetime], T] | None = None,
        also: Callable[[Connection, list[Recorded]], None] | None = None,
    ) -> T | list[Recorded]:
        """Handle ``command`` durably and answer once it is committed. ``present`` turns the
        outcome into the answer, on the worker thread, from the state right after the command.
        The command's ``at`` is replaced by the time the worker decides it. ``also`` writes
        what must commit with the command's events, in the same transaction (e.g. an
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
        facts = await self._submit(_Job(call=lambda: self._stored_ticket(ticket_id), aside=True))
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
        return await self._submit(_Job(call=lambda: self._ticket_events(ticket_id), aside=True))

    async def recorded_event(self, seq: int) -> Event | None:
        """One event of the hall's record, by its sequence number."""
        return await self._submit(_Job(call=lambda: self._event_at(seq), aside=True))

    async def _submit(self, job: _Job) -> Any:
        loop = asyncio.get_running_loop()
        job.loop, job.waiter = loop, loop.create_future()
        self._worker.put(self, job)
        # The worker held past ``wait_seconds`` (a database that stalls): a job it has not
        # begun is withdrawn and the client told that nothing was done; one it has begun is
        # awaited, for its outcome is no longer ours to deny. A timer rather than a timeout
        # around the await: the answer's path stays one await, as fast as before.
        withdrawn = False

        def withdraw() -> None:
            nonlocal withdrawn
            withdrawn = self._worker.withdraw(job)  # False once the worker has begun it
            if withdrawn:
                job.waiter.cancel()  # type: ignore[union-attr]

        timer = loop.call_later(self.wait_seconds, withdraw)
        try:
            return await job.waiter
        except asyncio.CancelledError:
            if not withdrawn:
                self._worker.withdraw(job)  # the request itself was cancelled (its client left): not begun, not done
                raise
            raise Unavailable(
                f"hall {self.id} could not take this in {self.wait_seconds:g} s (its database is slow or out of "
                "reach, or the hall is busy); nothing was done: try again shortly",
                "系统繁忙（数据库暂时无法响应），本次操作未生效，请稍后再试",
            ) from None
        finally:
            timer.cancel()

    # ------------------------------------------------------------------ on the worker thread

    def _give_up(self, jobs: list[_Job], exc: Exception) -> None:
        """Tell the callers of commands that could not be done why."""
        # An ``also`` may refuse, like a command; a database out of reach is told to the
        # caller (the API answers 503 and logs it once), not a traceback per command.
        if not isinstance(exc, (Refusal, *UNREACHABLE)):
            log.exception("command failed", extra={"hall": self.id, "command": type(jobs[0].command).__name__})
        self._fail(jobs, exc)

    def _fail(self, jobs: list[_Job], exc: BaseException) -> None:
        for job in jobs:
            job.error = exc
        self._worker.answered(jobs)

    def _run_other(self, job: _Job) -> None:
        try:
            job.result = job.call()  # type: ignore[misc]
        except BaseException as exc:
            job.error = exc
        self._worker.answered([job])

    def _present(self, jobs: list[_Job]) -> None:
        at = self._now()
        for job in jobs:
            try:
                job.result = job.present(self._queue, at)  # type: ignore[misc]
            except BaseException as exc:
                job.error = exc
        self._worker.answered(jobs)

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

    def _catch_up(self, conn: sa.Connection, head_seq: int | None, read: Iterable[Recorded] = ()) -> None:
        """Apply what other processes appended to the hall's record up to ``head_seq``: ``read``
        first (read already, with other halls', ``store.read_since_many``), then the rest."""
        queue = self._queue
        if head_seq is None:
            raise store.StoreError(f"hall {self.id} has no head row")
        if head_seq < queue.seq:
            raise store.StoreError(f"hall {self.id}: the record ends at {head_seq}, memory at {queue.seq}")
        self._apply(read)
        if head_seq > queue.seq:
            self._apply(store.read_since(conn, self.id, queue.seq))

    def _apply(self, record: Iterable[Recorded]) -> None:
        """Events others appended to the hall's record, in order."""
        for recorded in record:
            self._queue.apply(recorded)
            self._last_at = recorded.event.at

    def _run_commands(self, jobs: list[_Job]) -> None:
        """Decide this hall's ``jobs`` in order in one transaction; answer each after the
        commit. If the batch fails, its commands are tried again one per transaction: a command
        that breaks the core or its write fails alone."""
        try:
            if self._stale:
                self._reload()
            with write_transaction(self.engine) as conn, conn.begin():
                appends = store.Appends(conn.dialect)
                decided = self._decide_all(conn, jobs, store.lock_head(conn, self.id), appends)
                appends.flush(conn)
        except Exception as exc:
            self._stale = True  # memory may be ahead of the record: reload before going on
            # The database out of reach: trying each command again would only make every caller
            # of the batch wait once more per command before he is told.
            if len(jobs) > 1 and not isinstance(exc, UNREACHABLE):
                for job in jobs:
                    self._run_commands([job])
                return
            self._give_up(jobs, exc)
            return
        self._committed(decided)
        # The screens' frames go to the event loop before the answers: a client who heard back
        # may cause the next event through another server at once, and if that one's frame
        # reached Redis first, every device would see a gap and resync. The fan-out to the
        # devices still comes after the answers (``DisplayHub._publish``).
        self._observe(decided)
        self._worker.answer()

    def _decide_all(
        self,
        conn: Connection,
        jobs: list[_Job],
        head_seq: int,
        appends: store.Appends,
        read: Iterable[Recorded] = (),
    ) -> _Decided:
        """Catch up with the record (its head locked at ``head_seq``; ``read``: what of it was
        read with other halls'), decide ``jobs`` in order and add what they caused to
        ``appends``, in ``conn``'s transaction (not committed here)."""
        outcomes: list[_Outcome] = []
        batch: list[Recorded] = []
        self._catch_up(conn, head_seq, read)
        unwritten: list[Recorded] = []
        for job in jobs:
            at = self._now()
            if unwritten and self._queue.day_due(at):
                # The new day empties memory: take the rows of what the old day's commands did first.
                appends.add(self._queue, unwritten)
                unwritten = []
            outcome = self._decide(job, at)
            outcomes.append(outcome)
            unwritten += outcome.recorded
            batch += outcome.recorded
            if job.also is not None and outcome.recorded and outcome.error is None:
                appends.add(self._queue, unwritten)
                appends.flush(conn)  # the rows ``also`` may refer to
                unwritten = []
                job.also(conn, outcome.recorded)
        appends.add(self._queue, unwritten)
        return _Decided(self, jobs, outcomes, batch)

    def _committed(self, decided: _Decided) -> None:
        """After the commit: a snapshot now and then, the log lines, the answers (not yet sent)."""
        if decided.recorded:
            self._after_commit(decided.recorded, decided.recorded[-1].event.at)
        for outcome in decided.outcomes:
            outcome.send()
        self._worker.answered(decided.jobs)

    def _observe(self, decided: _Decided) -> None:
        if decided.recorded and self.observer is not None:
            try:
                self.observer.committed([o.observed for o in decided.outcomes if o.observed is not None])
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

    def _ready_for_reading(self) -> None:
        """Memory as the record was when last looked at, and today's day started."""
        if self._stale:
            self._reload()
        if self._queue.day_due(self._now()):
            job = _Job(command=StartDay(at=self._now()))
            self._run_commands([job])
            job.answer()

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
        by the worker's snapshot thread, so that a large write never holds up the halls."""
        day_started = any(isinstance(r.event, DayStarted) for r in recorded)
        if not (day_started or self._queue.seq - self._snapshot_seq >= self.snapshot_every):
            return
        if self._snapshot_writing is not None and not self._snapshot_writing.done():
            return  # the last one is still being written; the next commit tries again
        seq, data = self._queue.seq, store.encode_snapshot(self._queue)
        writing = self._worker.write_snapshot(lambda: self._write_snapshot(seq, at, data))
        if writing is not None:
            self._snapshot_seq, self._snapshot_writing = seq, writing

    def _write_snapshot(self, seq: int, at: dt.datetime, data: bytes) -> None:
        try:
            with write_transaction(self.engine) as conn, conn.begin():
                store.save_snapshot(conn, self.id, seq, at, data)
        except sa.exc.IntegrityError:
            pass  # another process took the same one
        except sa.exc.SQLAlchemyError as exc:
            log_background_failure(log, "snapshot failed; the events are safe, the next restart replays more", exc)


def _nothing() -> None:
    pass


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
        # Together: each waits for its own work up to its deadline, a stalled database holds
        # the process's stop for one deadline, not one a hall.
        await asyncio.gather(*(runtime.close() for runtime in self._halls.values()))
