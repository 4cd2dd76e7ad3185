"""The clerk's desk: 指定叫号 (calling one ticket by its number), the list of whom a counter
would call next, and what the clerk learns about the ticket in front of them."""

from __future__ import annotations

import datetime as dt

import pytest

from queueing.commands import (
    CallNext,
    CallTicket,
    CompleteService,
    IssueTicket,
    MarkNoShow,
    Priority,
    Reinstate,
    Transfer,
)
from queueing.errors import Conflict, NotFound
from queueing.events import TicketCalled
from queueing.hall import HallQueue
from tests.support import MANAGER, MONDAY_9, demo_queue


def at(minutes: float) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(minutes=minutes)


def issue(queue: HallQueue, ticket_id: str, item: str, minute: float, priority=Priority.WALK_IN) -> str:
    queue.handle(IssueTicket(at=at(minute), ticket_id=ticket_id, item=item, priority=priority))
    return queue.tickets[ticket_id].number


def test_call_a_ticket_by_its_number_out_of_order() -> None:
    queue = demo_queue(open_counters=(1,))
    first, second, third = (issue(queue, f"t{n}", "SB01", n) for n in range(3))
    recorded = queue.handle(CallTicket(at=at(5), actor=MANAGER, counter=1, ticket=third.lower()))
    called = recorded[-1].event
    assert isinstance(called, TicketCalled) and called.ticket_id == "t2" and called.chosen  # recorded as chosen
    assert queue.counters[1].current == "t2"
    queue.handle(CompleteService(at=at(9), actor=MANAGER, counter=1))
    # The others keep their order.
    assert [t.number for t in queue.desk_view(1, at(10)).next_up] == [first, second]
    again = queue.handle(CallNext(at=at(10), actor=MANAGER, counter=1))[-1].event
    assert again.ticket_id == "t0" and not again.chosen  # by the rule, not chosen


def test_calling_a_ticket_the_counter_may_not_serve_is_refused_and_changes_nothing() -> None:
    queue = demo_queue(open_counters=(1, 9))
    fund = issue(queue, "fund", "GJ01", 0)  # housing fund: counters 1-5, 9, 10
    enterprise = issue(queue, "firm", "QY01", 0)  # enterprise: not counter 9
    seq = queue.seq
    with pytest.raises(Conflict) as refused:
        queue.handle(CallTicket(at=at(1), actor=MANAGER, counter=9, ticket=enterprise))
    assert "9号窗口不能叫" in refused.value.message_zh
    with pytest.raises(NotFound):
        queue.handle(CallTicket(at=at(1), actor=MANAGER, counter=9, ticket="Z999"))
    assert queue.seq == seq and queue.counters[9].current is None
    queue.handle(CallTicket(at=at(1), actor=MANAGER, counter=9, ticket=fund))
    with pytest.raises(Conflict) as busy:  # someone is at the counter already
        queue.handle(CallTicket(at=at(2), actor=MANAGER, counter=9, ticket=fund))
    assert "当前还有" in busy.value.message_zh
    queue.handle(CompleteService(at=at(3), actor=MANAGER, counter=9))
    with pytest.raises(Conflict) as done:
        queue.handle(CallTicket(at=at(4), actor=MANAGER, counter=9, ticket=fund))
    assert "只能叫等候中的号" in done.value.message_zh


def test_a_ticket_sent_to_a_counter_by_name_is_called_there_only() -> None:
    queue = demo_queue(open_counters=(1, 2))
    number = issue(queue, "t0", "SB01", 0)
    queue.handle(CallNext(at=at(1), actor=MANAGER, counter=1))
    queue.handle(Transfer(at=at(2), actor=MANAGER, counter=1, to_counter=2, note="  缺身份证复印件  "))
    with pytest.raises(Conflict):
        queue.handle(CallTicket(at=at(3), actor=MANAGER, counter=1, ticket=number))
    desk = queue.desk_view(2, at(3))
    assert [t.number for t in desk.next_up] == [number]
    sent = desk.next_up[0]
    assert (sent.transferred_from, sent.transfer_note) == (1, "缺身份证复印件")  # where from, and why
    queue.handle(CallTicket(at=at(3), actor=MANAGER, counter=2, ticket=number))
    assert queue.desk_view(2, at(4)).current.transferred_from == 1


def test_the_list_is_the_order_call_next_would_follow() -> None:
    queue = demo_queue(open_counters=(10,))  # prefers housing-fund items, serves property too
    issue(queue, "p0", "BD01", 0)
    issue(queue, "f0", "GJ01", 1)
    issue(queue, "g0", "BD02", 2, Priority.GREEN)
    issue(queue, "p1", "BD01", 3)
    issue(queue, "f1", "GJ02", 4)
    issue(queue, "old", "BD03", -50)  # past the 45-minute fairness limit at 5 minutes
    desk = queue.desk_view(10, at(5))
    listed = [t.number for t in desk.next_up]
    assert desk.waiting == 6 and desk.next_up[0].overdue and not desk.next_up[1].overdue
    assert desk.next_up[1].priority is Priority.GREEN
    called = []
    for _ in range(6):
        ticket_id = queue.handle(CallNext(at=at(5), actor=MANAGER, counter=10))[-1].event.ticket_id
        called.append(queue.tickets[ticket_id].number)
        queue.handle(CompleteService(at=at(5), actor=MANAGER, counter=10))
    assert called == listed
    assert queue.desk_view(10, at(6)).next_up == []


def test_a_reinstated_no_show_is_marked() -> None:
    queue = demo_queue(open_counters=(1,))
    number = issue(queue, "t0", "SB01", 0)
    queue.handle(CallNext(at=at(1), actor=MANAGER, counter=1))
    queue.handle(MarkNoShow(at=at(2), actor=MANAGER, counter=1))
    queue.handle(Reinstate(at=at(3), actor=MANAGER, ticket_id="t0"))
    waiting = queue.desk_view(1, at(4)).next_up
    assert [(t.number, t.reinstated) for t in waiting] == [(number, True)]
