"""Display messages rendered from the core's state (pure): a completed service tells the
counter's evaluation pad what to rate."""

from __future__ import annotations

import datetime as dt

from displays.messages import CounterChanged
from displays.render import message_for
from queueing.commands import Actor, CallNext, CompleteService, IssueTicket, OpenCounter, PauseCounter, Role, SignIn
from tests.support import KIOSK, MANAGER, MONDAY_9, demo_hall, demo_queue


def minutes(n: int) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(minutes=n)


def test_a_completed_service_carries_what_the_pad_asks_to_rate() -> None:
    hall = demo_hall().display_part()
    queue = demo_queue()
    clerk = Actor("zhangwei", Role.STAFF, "张伟")
    queue.handle(SignIn(at=MONDAY_9, actor=clerk, counter=6))
    queue.handle(OpenCounter(at=MONDAY_9, actor=clerk, counter=6))
    queue.handle(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="t1", item="QY01"))
    queue.handle(CallNext(at=minutes(1), actor=clerk, counter=6))
    [done] = queue.handle(CompleteService(at=minutes(9), actor=clerk, counter=6))
    message = message_for(queue, hall, done)
    assert isinstance(message, CounterChanged) and message.seq == done.seq
    completed = message.completed
    assert completed is not None and completed.service == done.seq
    assert not hasattr(completed, "ticket_id")  # the slip's secret is heard by no device
    assert (completed.number, completed.item, completed.item_name) == ("A001", "QY01", "企业设立登记")
    assert (completed.staff, completed.staff_name) == ("zhangwei", "张伟")
    assert message.counter.number == 6 and message.counter.current is None
    # any other change at the counter asks for nothing
    [paused] = queue.handle(PauseCounter(at=minutes(10), actor=clerk, counter=6, reason="休息"))
    other = message_for(queue, hall, paused)
    assert isinstance(other, CounterChanged) and other.completed is None


def test_a_paused_board_says_why_and_when_back_only_for_the_halls_reasons() -> None:
    from displays.render import board

    queue = demo_queue(open_counters=(1, 2, 3))
    back = minutes(30)
    queue.handle(PauseCounter(at=minutes(1), actor=MANAGER, counter=1, reason="午休", back_at=back))
    queue.handle(PauseCounter(at=minutes(1), actor=MANAGER, counter=2, reason="张三的身份证号110101…"))
    queue.handle(PauseCounter(at=minutes(1), actor=MANAGER, counter=3, reason="培训"))
    assert board(queue, 1).state_text == "暂停服务（午休，约09:30回来）"  # the hall's zone
    assert board(queue, 2).state_text == "暂停服务"  # free text typed elsewhere is not for the public
    assert board(queue, 3).state_text == "暂停服务（培训）"
    queue.handle(OpenCounter(at=minutes(2), actor=MANAGER, counter=1))
    assert board(queue, 1).state_text == "服务中" and queue.counters[1].pause_back_at is None
