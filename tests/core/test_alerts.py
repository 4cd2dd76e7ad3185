"""空岗提醒 in the core: an empty-post alert is raised only for an unstaffed counter that tickets
wait for, once, and cleared when the counter opens again."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from queueing.commands import Actor, AlertEmptyPost, IssueTicket, OpenCounter, PauseCounter, Role, SignOut
from queueing.errors import Conflict, Forbidden
from queueing.events import PostAlerted
from queueing.hall import HallQueue
from queueing.records import HallSnapshot
from tests.support import KIOSK, MONDAY_9, demo_hall, demo_queue, sign_in_and_open

WATCHER = Actor("watcher", Role.SYSTEM)


def minutes(n: int) -> dt.datetime:
    return MONDAY_9 + dt.timedelta(minutes=n)


def alert(queue: HallQueue, at: int, counter: int = 6) -> list:
    return queue.handle(AlertEmptyPost(at=minutes(at), actor=WATCHER, counter=counter, a="zhangwei", b="lina"))


def test_an_empty_post_with_tickets_waiting_is_alerted_once_and_cleared_on_opening() -> None:
    queue = demo_queue()
    clerk = sign_in_and_open(queue, 6, "zhangwei", MONDAY_9)
    queue.handle(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="t1", item="QY01"))
    with pytest.raises(Conflict, match="staffed"):
        alert(queue, 1)
    queue.handle(PauseCounter(at=minutes(2), actor=clerk, counter=6, reason="休息"))
    [raised] = alert(queue, 3)
    assert isinstance(raised.event, PostAlerted) and raised.event.waiting == 1
    assert (raised.event.a, raised.event.b, raised.event.counter) == ("zhangwei", "lina", 6)
    assert queue.counters[6].alerted_since == minutes(3)
    with pytest.raises(Conflict, match="already alerted"):
        alert(queue, 4)
    queue.handle(OpenCounter(at=minutes(5), actor=clerk, counter=6))
    assert queue.counters[6].alerted_since is None
    queue.handle(SignOut(at=minutes(6), actor=clerk, counter=6))
    assert alert(queue, 7)  # empty again: a new alert


def test_no_alert_without_waiting_tickets_or_from_a_clerk() -> None:
    queue = demo_queue()
    with pytest.raises(Conflict, match="nobody waits"):
        alert(queue, 1)
    queue.handle(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="t1", item="SB01"))
    with pytest.raises(Conflict, match="nobody waits"):
        alert(queue, 1)  # counter 6 (enterprise) does not serve social insurance
    with pytest.raises(Forbidden):
        queue.handle(AlertEmptyPost(at=minutes(2), actor=Actor("lina", Role.STAFF), counter=1))
    assert alert(queue, 3, counter=1)  # a no-difference counter does


def test_the_alert_survives_a_snapshot_and_a_replay() -> None:
    queue = demo_queue()
    queue.handle(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="t1", item="QY01"))
    recorded = alert(queue, 1)
    exported = msgspec.msgpack.decode(msgspec.msgpack.encode(queue.export()), type=HallSnapshot)
    restored = HallQueue.restore(demo_hall().rules, exported)
    assert restored.counters[6].alerted_since == minutes(1)
    replayed = demo_queue()
    replayed.handle(IssueTicket(at=MONDAY_9, actor=KIOSK, ticket_id="t1", item="QY01"))
    for entry in recorded:
        replayed.apply(entry)
    assert replayed.counters[6].alerted_since == minutes(1)
