"""改派 at the service desk: a waiting ticket to another item's line or to one counter, in its place."""

from __future__ import annotations

import datetime as dt

import pytest

from queueing.commands import CallNext, CloseCounter, IssueTicket, MoveTicket, OpenCounter
from queueing.errors import Conflict, Forbidden, Invalid
from queueing.events import TicketMoved
from queueing.hall import HallQueue
from tests.support import KIOSK, MANAGER, MONDAY_9, demo_queue


def at(minutes: float) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(minutes=minutes)


def issue(queue: HallQueue, ticket_id: str, item: str, minute: float) -> None:
    queue.handle(IssueTicket(at=at(minute), ticket_id=ticket_id, item=item))


def test_a_ticket_moved_to_another_item_keeps_its_number_and_its_place() -> None:
    queue = demo_queue(open_counters=(8,))  # 8: social insurance only
    issue(queue, "wrong", "QY01", 0)  # chose an enterprise item by mistake, at 9:00
    issue(queue, "s1", "SB01", 5)
    issue(queue, "s2", "SB02", 6)
    number = queue.tickets["wrong"].number
    recorded = queue.handle(MoveTicket(at=at(10), actor=MANAGER, ticket_id="wrong", item="SB02", note="走错事项"))
    moved = recorded[-1].event
    assert isinstance(moved, TicketMoved) and (moved.item, moved.note) == ("SB02", "走错事项")
    ticket = queue.tickets["wrong"]
    assert (ticket.number, ticket.item, ticket.transfer_note) == (number, "SB02", "走错事项")
    # In its place: taken at 9:00, so counter 8 calls it before those who came at 9:05 and 9:06.
    called = queue.handle(CallNext(at=at(11), actor=MANAGER, counter=8))[-1].event
    assert called.ticket_id == "wrong"


def test_a_ticket_moved_to_one_counter_waits_for_that_counter_alone() -> None:
    queue = demo_queue(open_counters=(1, 2))
    issue(queue, "a", "SB01", 0)
    queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="a", to_counter=2))
    assert queue.handle(CallNext(at=at(2), actor=MANAGER, counter=1)) == []  # not for counter 1
    assert queue.handle(CallNext(at=at(2), actor=MANAGER, counter=2))[-1].event.ticket_id == "a"


def test_a_move_that_cannot_be_done_is_refused_and_changes_nothing() -> None:
    queue = demo_queue(open_counters=(1,))
    issue(queue, "a", "SB01", 0)
    issue(queue, "b", "SB01", 0)
    before = queue.export()
    with pytest.raises(Forbidden):  # a kiosk is not staff
        queue.handle(MoveTicket(at=at(1), actor=KIOSK, ticket_id="a", item="SB02"))
    with pytest.raises(Invalid, match="already waits"):
        queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="a", item="SB01"))
    with pytest.raises(Invalid, match="unknown item"):
        queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="a", item="NOPE"))
    with pytest.raises(Invalid, match="counter 99 does not exist"):
        queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="a", to_counter=99))
    with pytest.raises(Conflict, match="counter 2 is closed") as closed:
        queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="a", to_counter=2))
    assert closed.value.message_zh == "2号窗口已关闭"
    assert queue.export() == before
    queue.handle(CallNext(at=at(2), actor=MANAGER, counter=1))  # "a" is at the counter now
    with pytest.raises(Conflict, match="not waiting"):
        queue.handle(MoveTicket(at=at(3), actor=MANAGER, ticket_id="a", item="SB02"))


def test_the_estimate_follows_the_move() -> None:
    queue = demo_queue(open_counters=(8,))
    queue.handle(OpenCounter(at=at(0), actor=MANAGER, counter=10))
    queue.handle(CloseCounter(at=at(0), actor=MANAGER, counter=10))
    for n in range(5):
        issue(queue, f"s{n}", "SB01", n)
    issue(queue, "mine", "SB01", 5)
    long = queue.estimate(queue.tickets["mine"], at(5))
    queue.handle(OpenCounter(at=at(6), actor=MANAGER, counter=9))  # property and housing fund
    queue.handle(MoveTicket(at=at(6), actor=MANAGER, ticket_id="mine", item="GJ01"))  # what he came for
    assert long.people_ahead == 5 and queue.estimate(queue.tickets["mine"], at(6)).people_ahead == 0


def test_the_day_facts_count_a_moved_ticket_under_what_he_came_for() -> None:
    from queueing.stats.facts import fold_day

    queue = demo_queue(open_counters=(8,))
    specs = {n: c.spec for n, c in queue.counters.items()}
    record = []
    record += queue.handle(IssueTicket(at=at(0), ticket_id="wrong", item="QY01"))
    record += queue.handle(MoveTicket(at=at(1), actor=MANAGER, ticket_id="wrong", item="SB02", note="走错事项"))
    record += queue.handle(CallNext(at=at(2), actor=MANAGER, counter=8))
    facts = fold_day(queue.rules, MONDAY_9.date(), specs, record, until=at(3))
    (ticket,) = facts.tickets
    assert ticket.item == "SB02"
    assert queue.tickets["wrong"].transferred_from is None  # sent by the desk, not by a counter
