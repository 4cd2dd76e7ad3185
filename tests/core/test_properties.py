"""Property-based tests of the core (hypothesis): random days in the demo hall.

Checked after every step, whatever hypothesis throws at the hall:
- no ticket lost: every ticket issued today is known, in exactly one place;
- no ticket served twice: called only from waiting, completed at most once;
- FIFO within a class and an item;
- no eligible counter left idle: call-next finds a ticket whenever one it may serve waits;
- no starvation: once anyone eligible has waited past the fairness threshold, call-next
  takes the longest-waiting eligible ticket;
- a refused command changes nothing;
- replaying the record, or restoring a snapshot, gives exactly the live state.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from queueing.commands import (
    Actor,
    CallNext,
    CancelTicket,
    CloseCounter,
    Command,
    CompleteService,
    DefineCounter,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Priority,
    Recall,
    ReconfigureCounter,
    Reinstate,
    Resume,
    RetireCounter,
    Role,
    SignIn,
    SignOut,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import Refusal
from queueing.events import (
    DayStarted,
    Recorded,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
    TicketReinstated,
    TicketTransferred,
)
from queueing.hall import HallQueue
from queueing.kinds import CounterKind, default_profile_name, preferred_items, served_items
from queueing.lifecycle import CounterState, TicketState
from queueing.lines import key_time
from queueing.projection import AFTER_HOURS
from queueing.records import HallSnapshot
from tests.support import MANAGER, MONDAY_9, demo_hall

HALL = demo_hall()
RULES = HALL.rules
ITEMS = [item.code for item in RULES.items]
COUNTERS = [spec.number for spec in HALL.counters]
SPECS = {spec.number: spec for spec in HALL.counters}
DOMAINS = [domain.code for domain in RULES.domains]
CLERKS = [Actor(name, Role.STAFF) for name in ("zhangwei", "lina", "wangfang")]
FAIRNESS = dt.timedelta(minutes=RULES.calling.fairness_minutes)


class HallDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.queue = HallQueue(RULES)
        self.record: list[Recorded] = []
        self.now = MONDAY_9
        self.ids = 0
        self.today: set[str] = set()  # tickets issued today
        self.completed: set[str] = set()
        self.moved: set[str] = set()  # reinstated or transferred: no longer plain FIFO

    # ---------------------------------------------------------------- driving

    def run(self, command: Command) -> list[Recorded] | None:
        before = self.queue.export()
        try:
            recorded = self.queue.handle(command)
        except Refusal as refusal:
            self.observe(refusal.recorded)
            if not refusal.recorded:
                assert self.queue.export() == before, f"refused {command!r} but changed the state"
            return None
        self.observe(recorded)
        return recorded

    def observe(self, recorded: list[Recorded]) -> None:
        for entry in recorded:
            self.record.append(entry)
            event = entry.event
            if isinstance(event, DayStarted):
                self.today.clear()
                self.completed.clear()
                self.moved.clear()
            elif isinstance(event, TicketIssued):
                self.today.add(event.ticket_id)
            elif isinstance(event, ServiceCompleted):
                assert event.ticket_id not in self.completed, "a ticket was served twice"
                self.completed.add(event.ticket_id)
            elif isinstance(event, TicketReinstated | TicketTransferred):
                self.moved.add(event.ticket_id)

    def eligible(self, counter: int) -> list:
        served = served_items(self.queue.counters[counter].spec, RULES.items)
        return [
            t
            for t in self.queue.tickets.values()
            if t.state is TicketState.WAITING
            and (t.to_counter == counter or (t.to_counter is None and t.item in served))
        ]

    def documented_order(self, ticket, counter: int) -> tuple:
        """The README's calling rule, over whole tickets: an oracle for the head-only search."""
        spec = self.queue.counters[counter].spec
        profile = RULES.all_profiles[spec.profile or default_profile_name(spec.kind)]
        preferred = ticket.to_counter == counter or ticket.item in preferred_items(spec, profile, RULES.items)
        if self.now - key_time(ticket.key) >= FAIRNESS:
            return (0, ticket.key, ticket.id)
        return (1, ticket.priority.rank, not preferred, ticket.key, ticket.id)

    # ---------------------------------------------------------------- rules

    @initialize(opened=st.sets(st.sampled_from(COUNTERS), min_size=1))
    def open_the_hall(self, opened: set[int]) -> None:
        for spec in HALL.counters:
            self.run(DefineCounter(at=self.now, spec=spec))
        for number in sorted(opened):
            self.run(OpenCounter(at=self.now, actor=MANAGER, counter=number))

    @rule(minutes=st.integers(0, 25))
    def time_passes(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    @rule(
        arrivals=st.lists(
            st.tuples(
                st.sampled_from(ITEMS),
                st.sampled_from([Priority.WALK_IN, Priority.WALK_IN, Priority.GREEN, Priority.APPOINTMENT]),
                st.integers(-30, 90),
            ),
            min_size=1,
            max_size=8,
        )
    )
    def citizens_arrive(self, arrivals: list[tuple[str, Priority, int]]) -> None:
        for item, priority, slot in arrivals:
            self.ids += 1
            self.run(
                IssueTicket(
                    at=self.now,
                    ticket_id=f"t{self.ids}",
                    item=item,
                    priority=priority,
                    appointment_slot=self.now + dt.timedelta(minutes=slot)
                    if priority is Priority.APPOINTMENT
                    else None,
                )
            )

    @rule(counter=st.sampled_from(COUNTERS))
    def call_next_rule(self, counter: int) -> None:
        self.call_next(counter)

    def call_next(self, counter: int) -> None:
        if self.queue.day_due(self.now):
            return  # a new day would empty the hall first; the next rules will see it
        if counter not in self.queue.counters:  # the hall file dropped it
            assert self.run(CallNext(at=self.now, actor=MANAGER, counter=counter)) is None
            return
        state = self.queue.counters[counter]
        # Copies, as they wait before the call: calling a ticket changes its record (a ticket
        # sent here by name no longer names the counter), and the rule is about the queue before.
        eligible = [msgspec.structs.replace(t) for t in self.eligible(counter)]
        can_call = state.state == "open" and state.current is None
        recorded = self.run(CallNext(at=self.now, actor=MANAGER, counter=counter))
        if not can_call:
            assert recorded is None, "call-next at a closed, paused or busy counter was not refused"
            return
        assert recorded is not None
        if not eligible:
            event("call-next: nothing eligible")
            assert recorded == [], "called a ticket the counter may not serve"
            return
        event("call-next: called")
        assert recorded, f"counter {counter} stayed idle while {len(eligible)} eligible tickets waited"
        called = next(r.event for r in recorded if isinstance(r.event, TicketCalled))
        chosen = next(t for t in eligible if t.id == called.ticket_id)
        expected = min(eligible, key=lambda t: self.documented_order(t, counter))
        assert chosen.id == expected.id, f"called {chosen.number}, the rule says {expected.number}"
        overdue = [t for t in eligible if self.now - key_time(t.key) >= FAIRNESS]
        if overdue:
            event("call-next: someone overdue")
            assert key_time(chosen.key) == min(key_time(t.key) for t in eligible), "starvation past the threshold"
        else:
            assert chosen.priority.rank == min(t.priority.rank for t in eligible), "a lower class went first"
        for other in eligible:
            same_line = (other.item, other.priority, other.to_counter) == (
                chosen.item,
                chosen.priority,
                chosen.to_counter,
            )
            if same_line and other is not chosen:
                assert other.key > chosen.key, "FIFO broken within a class and item"
                if chosen.priority is not Priority.APPOINTMENT and not {other.id, chosen.id} & self.moved:
                    assert other.issued_at >= chosen.issued_at, "a later plain ticket went first"

    @rule(counter=st.sampled_from(COUNTERS), minutes=st.integers(0, 20))
    def serve_one(self, counter: int, minutes: int) -> None:
        """The common case: complete the current ticket, some time passes, call the next."""
        self.run(CompleteService(at=self.now, actor=MANAGER, counter=counter))
        self.now += dt.timedelta(minutes=minutes)
        self.call_next(counter)

    @rule(
        counter=st.sampled_from(COUNTERS), step=st.sampled_from(["recall", "start", "complete", "no_show", "suspend"])
    )
    def act_on_current(self, counter: int, step: str) -> None:
        command = {
            "recall": Recall,
            "start": StartService,
            "complete": CompleteService,
            "no_show": MarkNoShow,
            "suspend": Suspend,
        }[step]
        self.run(command(at=self.now, actor=MANAGER, counter=counter))

    @rule(
        counter=st.sampled_from(COUNTERS),
        item=st.none() | st.sampled_from(ITEMS),
        to=st.none() | st.sampled_from(COUNTERS),
    )
    def transfer(self, counter: int, item: str | None, to: int | None) -> None:
        self.run(Transfer(at=self.now, actor=MANAGER, counter=counter, item=item, to_counter=to))

    @rule(counter=st.sampled_from(COUNTERS), data=st.data())
    def resume(self, counter: int, data: st.DataObject) -> None:
        parked = self.queue.counters[counter].parked if counter in self.queue.counters else []
        ticket = data.draw(st.sampled_from(parked)) if parked and data.draw(st.booleans()) else None
        self.run(Resume(at=self.now, actor=MANAGER, counter=counter, ticket_id=ticket))

    @precondition(lambda self: self.queue.tickets)
    @rule(data=st.data(), cancel=st.booleans())
    def reinstate_or_cancel(self, data: st.DataObject, cancel: bool) -> None:
        ticket = data.draw(st.sampled_from(sorted(self.queue.tickets)))
        command = CancelTicket if cancel else Reinstate
        self.run(command(at=self.now, actor=MANAGER, ticket_id=ticket))

    @rule(counter=st.sampled_from(COUNTERS), step=st.sampled_from(["open", "open", "pause", "close"]))
    def counter_state(self, counter: int, step: str) -> None:
        command = {"open": OpenCounter, "pause": PauseCounter, "close": CloseCounter}[step]
        self.run(command(at=self.now, actor=MANAGER, counter=counter))

    @rule(
        counter=st.sampled_from(COUNTERS),
        kind=st.sampled_from(list(CounterKind)),
        domains=st.lists(st.sampled_from(DOMAINS), max_size=2, unique=True),
    )
    def reconfigure(self, counter: int, kind: CounterKind, domains: list[str]) -> None:
        self.run(ReconfigureCounter(at=self.now, actor=MANAGER, counter=counter, kind=kind, domains=tuple(domains)))

    @rule(counter=st.sampled_from(COUNTERS))
    def hall_file_drops_a_counter(self, counter: int) -> None:
        self.run(RetireCounter(at=self.now, counter=counter))

    @rule(counter=st.sampled_from(COUNTERS), renamed=st.booleans())
    def hall_file_defines_a_counter(self, counter: int, renamed: bool) -> None:
        spec = SPECS[counter]
        self.run(
            DefineCounter(
                at=self.now, spec=msgspec.structs.replace(spec, name=spec.name + " (新)") if renamed else spec
            )
        )

    @rule(counter=st.sampled_from(COUNTERS), clerk=st.sampled_from(CLERKS), sign_in=st.booleans())
    def sign(self, counter: int, clerk: Actor, sign_in: bool) -> None:
        self.run((SignIn if sign_in else SignOut)(at=self.now, actor=clerk, counter=counter))

    # ---------------------------------------------------------------- invariants

    @invariant()
    def no_ticket_lost(self) -> None:
        queue = self.queue
        assert set(queue.tickets) == self.today
        waiting = {t.id for t in queue.tickets.values() if t.state is TicketState.WAITING}
        assert len(queue.lines) == len(waiting)
        for ticket_id in waiting:
            line, key = queue.lines.place(ticket_id)
            ticket = queue.tickets[ticket_id]
            assert key == ticket.key and line.rank == ticket.priority.rank
            assert (line.item, line.counter) == (
                (ticket.item, None) if ticket.to_counter is None else (None, ticket.to_counter)
            )

    @invariant()
    def waiting_counts_are_the_tickets(self) -> None:
        """The counts the screens and the counters show (kept per item, not counted ticket by
        ticket) agree with the tickets themselves, those sent to a counter by name included."""
        queue = self.queue
        waiting = [t for t in queue.tickets.values() if t.state is TicketState.WAITING]
        per_item: dict[str, int] = {}
        for ticket in waiting:
            per_item[ticket.item] = per_item.get(ticket.item, 0) + 1
        assert queue.waiting_by_item() == per_item
        group_of = {item.code: item.group for item in RULES.items}
        assert {g.prefix: g.waiting for g in queue.waiting_by_group()} == {
            g.prefix: sum(n for item, n in per_item.items() if group_of.get(item) == g.prefix) for g in RULES.groups
        }
        for number, counter in queue.counters.items():
            served = served_items(counter.spec, RULES.items)
            expected = sum(
                1 for t in waiting if (t.to_counter == number if t.to_counter is not None else t.item in served)
            )
            assert queue.waiting_for(number) == expected, number

    @invariant()
    def estimates_are_sane(self) -> None:
        waiting = [t for t in self.queue.tickets.values() if t.state is TicketState.WAITING]
        served = set().union(*(served_items(c.spec, RULES.items) for c in self.queue.counters.values()))
        for ticket in waiting[:: max(1, len(waiting) // 12)]:  # a dozen across the queue is plenty
            estimate = self.queue.estimate(ticket, self.now)
            servable = ticket.to_counter in self.queue.counters if ticket.to_counter else ticket.item in served
            assert (estimate is not None) == servable, (ticket, estimate)
            if estimate is not None:
                assert 0 <= estimate.people_ahead < len(waiting)
                # minutes only while a counter that may call it is open
                staffed = any(
                    c.state is CounterState.OPEN
                    and (
                        c.spec.number == ticket.to_counter
                        if ticket.to_counter
                        else ticket.item in served_items(c.spec, RULES.items)
                    )
                    for c in self.queue.counters.values()
                )
                if staffed and estimate.wait_minutes is None:  # only when the day's last closing comes first
                    assert self.queue._projected_seconds(ticket, self.now)[0] == AFTER_HOURS, (ticket, estimate)
                    assert estimate.opens_at is None
                else:
                    assert (estimate.wait_minutes is not None) == staffed, (ticket, estimate)
                assert estimate.wait_minutes is None or estimate.wait_minutes >= 0

    @invariant()
    def every_ticket_in_exactly_one_place(self) -> None:
        held = {}
        for number, counter in self.queue.counters.items():
            if counter.current is not None:
                assert counter.current not in held, "one ticket at two counters"
                held[counter.current] = number
            for parked in counter.parked:
                assert parked not in held
                held[parked] = number
        for ticket in self.queue.tickets.values():
            if ticket.state in (TicketState.CALLED, TicketState.SERVING):
                assert held.get(ticket.id) == ticket.counter
                assert self.queue.counters[ticket.counter].current == ticket.id
            elif ticket.state is TicketState.SUSPENDED:
                assert ticket.id in self.queue.counters[ticket.counter].parked
            else:
                assert ticket.id not in held

    def teardown(self) -> None:
        # The record rebuilds the live state exactly…
        rebuilt = HallQueue(RULES)
        for entry in self.record:
            rebuilt.apply(entry)
        assert rebuilt.export() == self.queue.export()
        # …and so does a snapshot, through its stored form.
        data = msgspec.msgpack.encode(self.queue.export())
        restored = HallQueue.restore(RULES, msgspec.msgpack.decode(data, type=HallSnapshot))
        assert restored.export() == self.queue.export()
        self.queue.forget_projection()  # derived, not state: the live one may serve from an earlier play
        assert restored.queue_view(self.now) == self.queue.queue_view(self.now)


HallDay.TestCase.settings = settings(max_examples=200, stateful_step_count=80, deadline=None)
TestHallDay = HallDay.TestCase
