"""Counters coming and going: closing, re-purposing, and the hall file changing."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from queueing.commands import (
    CallNext,
    CloseCounter,
    CompleteService,
    DefineCounter,
    IssueTicket,
    OpenCounter,
    ReconfigureCounter,
    RetireCounter,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import Conflict
from queueing.hall import HallQueue
from queueing.kinds import CounterKind, CounterSpec
from queueing.lifecycle import TicketState
from tests.support import MANAGER, MONDAY_9, demo_hall, demo_queue


def at(minutes: float) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(minutes=minutes)


def replayed(queue: HallQueue, record: list) -> HallQueue:
    rebuilt = HallQueue(queue.rules)
    for entry in record:
        rebuilt.apply(entry)
    return rebuilt


def test_closing_a_counter_sends_its_named_tickets_back_to_their_line() -> None:
    queue = demo_queue(open_counters=(1, 2, 5))
    queue.handle(IssueTicket(at=at(0), ticket_id="a", item="SB01"))
    queue.handle(CallNext(at=at(1), actor=MANAGER, counter=1))
    queue.handle(Transfer(at=at(2), actor=MANAGER, counter=1, to_counter=5))
    assert queue.ticket_view(queue.tickets["a"], at(2)).transferred_to_counter == 5
    closed = queue.handle(CloseCounter(at=at(3), actor=MANAGER, counter=5))
    assert closed[-1].event.released == ("a",)
    assert queue.tickets["a"].to_counter is None
    assert queue.handle(CallNext(at=at(4), actor=MANAGER, counter=2))[-1].event.ticket_id == "a"


def test_a_manager_cannot_strand_waiting_people() -> None:
    queue = demo_queue(open_counters=(13,))
    queue.handle(IssueTicket(at=at(0), ticket_id="k", item="KS01"))
    with pytest.raises(Conflict, match="KS01 are waiting and no other counter serves them") as refused:
        queue.handle(ReconfigureCounter(at=at(1), actor=MANAGER, counter=13, kind=CounterKind.PICKUP))
    assert "跨省" in refused.value.message_zh
    queue.handle(CallNext(at=at(2), actor=MANAGER, counter=13))
    queue.handle(ReconfigureCounter(at=at(3), actor=MANAGER, counter=13, kind=CounterKind.PICKUP))  # nobody waits


def test_a_no_difference_counter_serves_everything_whatever_domains_it_lists() -> None:
    queue = demo_queue(open_counters=(6,))
    queue.handle(IssueTicket(at=at(0), ticket_id="s", item="SB01"))
    # Counter 6 (enterprise) becomes a no-difference counter; its domains stay, for its profile only.
    queue.handle(ReconfigureCounter(at=at(1), actor=MANAGER, counter=6, kind=CounterKind.NO_DIFFERENCE))
    assert queue.counters[6].spec.domains == ("enterprise",)
    assert queue.handle(CallNext(at=at(2), actor=MANAGER, counter=6))[-1].event.ticket_id == "s"


def recording(open_counters: tuple[int, ...]):
    """The demo hall's core, and a ``run`` that keeps every recorded event in ``record``."""
    queue, record = HallQueue(demo_hall().rules), []

    def run(command):
        recorded = queue.handle(command)
        record.extend(recorded)
        return recorded

    for spec in demo_hall().counters:
        run(DefineCounter(at=MONDAY_9, spec=spec))
    for number in open_counters:
        run(OpenCounter(at=MONDAY_9, actor=MANAGER, counter=number))
    return queue, run, record


def test_a_counter_the_hall_file_drops_gives_back_what_it_held() -> None:
    queue, run, record = recording(open_counters=(1, 2, 3))
    for ticket_id in ("held", "parked", "named", "other"):
        run(IssueTicket(at=at(0), ticket_id=ticket_id, item="SB01"))
    run(CallNext(at=at(1), actor=MANAGER, counter=1))  # "held", soon parked
    run(StartService(at=at(2), actor=MANAGER, counter=1))
    run(Suspend(at=at(3), actor=MANAGER, counter=1))
    run(CallNext(at=at(4), actor=MANAGER, counter=1))  # "parked" is now held at 1 (names are in issue order)
    run(CallNext(at=at(5), actor=MANAGER, counter=2))
    run(Transfer(at=at(6), actor=MANAGER, counter=2, to_counter=1))  # sent to counter 1 by name
    run(StartService(at=at(7), actor=MANAGER, counter=1))
    retired = run(RetireCounter(at=at(8), counter=1))
    assert sorted(retired[-1].event.released) == ["held", "named", "parked"]
    for ticket_id in ("held", "parked", "named"):
        ticket = queue.tickets[ticket_id]
        assert ticket.state is TicketState.WAITING and ticket.counter is None and ticket.to_counter is None
        assert ticket.called_at is None and ticket.started_at is None and ticket.suspended_seconds == 0
    # They keep their places: the next counter calls them oldest first.
    order = []
    for minute in (9, 10, 11, 12):
        order.append(run(CallNext(at=at(minute), actor=MANAGER, counter=3))[-1].event.ticket_id)
        run(CompleteService(at=at(minute + 0.5), actor=MANAGER, counter=3))
    assert order == ["held", "parked", "named", "other"]
    assert replayed(queue, record).export() == queue.export()


def test_the_hall_file_redefining_a_counter_replaces_a_runtime_change() -> None:
    queue = demo_queue()
    queue.handle(ReconfigureCounter(at=at(0), actor=MANAGER, counter=6, domains=("tax",)))
    spec = queue.counters[6].baseline
    assert queue.handle(DefineCounter(at=at(1), spec=spec)) == []  # the file did not change: the change stays
    assert queue.counters[6].spec.domains == ("tax",)
    edited = msgspec.structs.replace(spec, name="6号 企业服务专窗")
    queue.handle(DefineCounter(at=at(2), spec=edited))
    assert queue.counters[6].spec == edited == queue.counters[6].baseline
    new = CounterSpec(number=15, name="15号 无差别", kind=CounterKind.NO_DIFFERENCE)
    queue.handle(DefineCounter(at=at(3), spec=new))
    assert queue.counter_view(15).state == "closed"
