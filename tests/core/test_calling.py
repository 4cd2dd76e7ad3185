"""The calling rule, case by case, and the README's example word for word."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from queueing.calling import Candidate, call_rank, choose_next
from queueing.commands import (
    CallNext,
    CompleteService,
    DefineCounter,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Priority,
    ReconfigureCounter,
    Reinstate,
    Transfer,
)
from queueing.errors import Conflict, Forbidden, Invalid
from queueing.hall import HallQueue
from queueing.kinds import CounterKind
from queueing.policy import ReinstatePosition
from tests.support import MANAGER, MONDAY_9, demo_hall, demo_queue, sign_in_and_open, staff


def at(hh_mm: str) -> dt.datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return MONDAY_9.replace(hour=hour, minute=minute)


def issue(queue: HallQueue, ticket_id: str, item: str, when: str, priority=Priority.WALK_IN, slot=None) -> str:
    queue.handle(IssueTicket(at=at(when), ticket_id=ticket_id, item=item, priority=priority, appointment_slot=slot))
    return queue.tickets[ticket_id].number


def call(queue: HallQueue, counter: int, when: str) -> str | None:
    recorded = queue.handle(CallNext(at=at(when), actor=MANAGER, counter=counter))
    called = [r.event.ticket_id for r in recorded if hasattr(r.event, "ticket_id")]
    return queue.tickets[called[0]].number if called else None


def done(queue: HallQueue, counter: int, when: str) -> None:
    queue.handle(CompleteService(at=at(when), actor=MANAGER, counter=counter))


def test_readme_example() -> None:
    """The example in the README's "Who is called next" section."""
    queue = demo_queue(at=at("08:30"), open_counters=(3, 10))
    issue(queue, "a1", "QY01", "09:00")  # A001 企业设立登记
    issue(queue, "c1", "BD01", "09:01")  # C001 不动产转移登记
    issue(queue, "c2", "GJ01", "09:02")  # C002 住房公积金提取
    issue(queue, "c3", "BD02", "09:05", Priority.GREEN)  # C003 不动产抵押登记, green channel
    # Counter 10 (公积金窗口, profile fund_first) calls three times:
    assert call(queue, 10, "09:10") == "C003"  # green channel first
    done(queue, 10, "09:20")
    assert call(queue, 10, "09:20") == "C002"  # its profile prefers housing-fund items
    done(queue, 10, "09:30")
    assert call(queue, 10, "09:30") == "C001"
    done(queue, 10, "09:40")
    assert call(queue, 10, "09:40") is None  # A001 is not a property or fund item
    # A no-difference counter takes the longest-waiting ticket: A001, from 09:00.
    issue(queue, "d1", "HZ01", "09:41")
    issue(queue, "d2", "HZ02", "09:46", Priority.GREEN)
    # 09:46: A001 has waited 46 minutes, past the 45-minute fairness threshold: it goes
    # before even the green-channel ticket D002.
    assert call(queue, 3, "09:46") == "A001"
    done(queue, 3, "09:50")
    assert call(queue, 3, "09:50") == "D002"
    done(queue, 3, "09:55")
    assert call(queue, 3, "09:55") == "D001"


def test_green_then_appointments_by_slot_then_walk_ins_fifo() -> None:
    queue = demo_queue(open_counters=(1,))
    issue(queue, "w1", "SB01", "09:00")
    issue(queue, "w2", "SB02", "09:01")
    issue(queue, "p2", "SB03", "09:02", Priority.APPOINTMENT, slot=at("09:30"))
    issue(queue, "p1", "SB04", "09:03", Priority.APPOINTMENT, slot=at("09:15"))
    issue(queue, "g1", "SB01", "09:04", Priority.GREEN)
    order = []
    for minute in range(5, 10):
        order.append(call(queue, 1, f"09:{minute:02d}"))
        done(queue, 1, f"09:{minute:02d}")
    # green; appointments by slot time (09:15 before 09:30) not by check-in; walk-ins FIFO
    assert order == ["B005", "B004", "B003", "B001", "B002"]


def test_priority_class_comes_before_the_profile() -> None:
    queue = demo_queue(open_counters=(10,))  # prefers housing-fund items
    issue(queue, "fund", "GJ01", "09:00")
    issue(queue, "property", "BD01", "09:01", Priority.GREEN)
    assert call(queue, 10, "09:02") == "C002"  # the green channel, though not preferred


def test_counter_only_calls_what_its_kind_serves() -> None:
    queue = demo_queue(open_counters=(1, 13, 14))
    issue(queue, "k", "KS01", "09:00")  # cross-province
    issue(queue, "q", "CJ01", "09:01")  # pick-up
    assert call(queue, 1, "09:02") is None  # a no-difference counter takes neither
    assert call(queue, 13, "09:02") == "K001"
    assert call(queue, 14, "09:02") == "Q001"


def test_explicit_items_override_the_kind() -> None:
    queue = demo_queue(open_counters=(6,))
    issue(queue, "s", "SB01", "09:00")
    assert call(queue, 6, "09:01") is None  # an enterprise counter
    queue.handle(ReconfigureCounter(at=at("09:02"), actor=MANAGER, counter=6, items=("SB01", "QY01")))
    assert call(queue, 6, "09:03") == "B001"  # effective on the next call


def test_reconfigure_is_for_managers_and_checked() -> None:
    queue = demo_queue()
    with pytest.raises(Forbidden):
        queue.handle(ReconfigureCounter(at=at("09:00"), actor=staff("zhangwei"), counter=6, kind=CounterKind.PICKUP))
    with pytest.raises(Invalid, match="unknown domains"):
        queue.handle(ReconfigureCounter(at=at("09:00"), actor=MANAGER, counter=6, domains=("nope",)))
    with pytest.raises(Invalid, match="unknown profile"):
        queue.handle(ReconfigureCounter(at=at("09:00"), actor=MANAGER, counter=6, profile="nope"))
    queue.handle(
        ReconfigureCounter(at=at("09:00"), actor=MANAGER, counter=6, kind=CounterKind.DOMAIN, domains=("tax",))
    )
    assert queue.counter_view(6).items == ("SW01", "SW02", "SW03")


def test_transfer_keeps_number_and_place() -> None:
    queue = demo_queue(open_counters=(1, 2, 5))
    queue.handle(PauseCounter(at=at("08:59"), actor=MANAGER, counter=5))
    issue(queue, "a", "SB01", "09:00")
    issue(queue, "b", "SB01", "09:01")
    issue(queue, "c", "QY01", "09:02")
    assert call(queue, 1, "09:03") == "B001"
    # B001 needs a housing-fund item instead: it keeps its number and its 09:00 place.
    queue.handle(Transfer(at=at("09:10"), actor=MANAGER, counter=1, item="GJ01"))
    assert queue.tickets["a"].number == "B001" and queue.tickets["a"].item == "GJ01"
    assert call(queue, 2, "09:11") == "B001"  # still the oldest
    # Transfer to a named counter (paused, not closed): only that counter calls it.
    queue.handle(Transfer(at=at("09:12"), actor=MANAGER, counter=2, to_counter=5))
    assert call(queue, 1, "09:13") == "B002"
    queue.handle(OpenCounter(at=at("09:13"), actor=MANAGER, counter=5))
    assert call(queue, 5, "09:14") == "B001"


def test_a_ticket_sent_by_name_is_preferred_and_keeps_its_place() -> None:
    """A ticket transferred to a named counter waits in that counter's own line, which the
    counter prefers, at the ticket's old place: ahead of its own later preferred items and of
    earlier items it does not prefer. (The property test once misjudged this call by ranking
    the ticket after the call had cleared its named counter.)"""
    queue = demo_queue(open_counters=(6, 10))  # 10: property and housing fund, prefers housing fund
    issue(queue, "c1", "BD01", "09:00")  # C001 property: counter 10 serves it, not preferred
    issue(queue, "a1", "QY01", "09:01")  # A001 enterprise: counter 10 does not serve it
    issue(queue, "c2", "GJ01", "09:02")  # C002 housing fund: preferred, later than A001
    assert call(queue, 6, "09:03") == "A001"
    queue.handle(Transfer(at=at("09:04"), actor=MANAGER, counter=6, to_counter=10))
    assert call(queue, 10, "09:05") == "A001"  # sent by name: preferred, and still from 09:01
    assert queue.tickets["a1"].to_counter is None  # called: it names no counter any more
    done(queue, 10, "09:06")
    assert call(queue, 10, "09:06") == "C002"
    done(queue, 10, "09:07")
    assert call(queue, 10, "09:07") == "C001"


def test_transfer_refusals() -> None:
    queue = demo_queue(open_counters=(1,))
    issue(queue, "a", "SB01", "09:00")
    call(queue, 1, "09:01")
    with pytest.raises(Invalid, match="unknown item"):
        queue.handle(Transfer(at=at("09:02"), actor=MANAGER, counter=1, item="NOPE"))
    with pytest.raises(Invalid, match="counter 99 does not exist"):
        queue.handle(Transfer(at=at("09:02"), actor=MANAGER, counter=1, to_counter=99))
    with pytest.raises(Conflict, match="closed"):
        queue.handle(Transfer(at=at("09:02"), actor=MANAGER, counter=1, to_counter=7))
    with pytest.raises(Invalid, match="name the item or the counter"):
        queue.handle(Transfer(at=at("09:02"), actor=MANAGER, counter=1))


@pytest.mark.parametrize(
    ("position", "behind", "expected"),
    [
        (ReinstatePosition.ORIGINAL, 0, ["B001", "B002", "B003", "B004", "B005"]),
        (ReinstatePosition.BEHIND, 2, ["B002", "B003", "B001", "B004", "B005"]),
        (ReinstatePosition.BEHIND, 0, ["B001", "B002", "B003", "B004", "B005"]),
        (ReinstatePosition.END, 0, ["B002", "B003", "B004", "B005", "B001"]),
    ],
)
def test_reinstated_no_show_reenters_where_the_hall_says(position, behind, expected) -> None:
    hall = demo_hall()
    calling = msgspec.structs.replace(hall.rules.calling, reinstate_position=position, reinstate_behind=behind)
    rules = msgspec.structs.replace(hall.rules, calling=calling)
    queue = HallQueue(rules)
    for spec in hall.counters:
        queue.handle(DefineCounter(at=at("08:00"), spec=spec))
    queue.handle(OpenCounter(at=at("08:00"), actor=MANAGER, counter=1))
    for n in range(5):
        issue(queue, f"t{n}", "SB01", f"09:0{n}")
    assert call(queue, 1, "09:10") == "B001"
    queue.handle(MarkNoShow(at=at("09:11"), actor=MANAGER, counter=1))
    queue.handle(Reinstate(at=at("09:20"), actor=staff("zhangwei"), ticket_id="B001"))
    order = []
    for minute in range(21, 26):
        order.append(call(queue, 1, f"09:{minute}"))
        done(queue, 1, f"09:{minute}")
    assert order == expected


def test_reinstate_after_the_grace_period_is_refused() -> None:
    queue = demo_queue(open_counters=(1,))
    issue(queue, "a", "SB01", "09:00")
    call(queue, 1, "09:01")
    queue.handle(MarkNoShow(at=at("09:02"), actor=MANAGER, counter=1))
    with pytest.raises(Conflict, match="more than 30 minutes"):
        queue.handle(Reinstate(at=at("09:33"), actor=MANAGER, ticket_id="a"))
    queue.handle(Reinstate(at=at("09:32"), actor=MANAGER, ticket_id="a"))


def test_only_the_signed_in_clerk_operates_a_counter() -> None:
    queue = demo_queue()
    clerk = sign_in_and_open(queue, 4, "zhangwei", at("08:55"))
    issue(queue, "a", "SB01", "09:00")
    with pytest.raises(Forbidden, match="signed in by zhangwei"):
        queue.handle(CallNext(at=at("09:01"), actor=staff("lina"), counter=4))
    queue.handle(CallNext(at=at("09:01"), actor=clerk, counter=4))


@given(
    heads=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(1, 50), st.integers(0, 2), st.booleans()),
        min_size=0,
        max_size=12,
        unique_by=lambda h: h[1],
    ),
    now=st.integers(0, 20_000),
    fairness=st.one_of(st.none(), st.integers(1, 8_000)),
)
def test_the_quick_choice_is_the_documented_rank(heads: list, now: int, fairness: int | None) -> None:
    """``choose_next`` (no tuple per candidate) picks what ``call_rank``, the rule as written, ranks first."""
    candidates = [Candidate((at_us, seq), f"t{seq}", rank, mine) for at_us, seq, rank, mine in heads]
    expected = min(candidates, key=lambda c: call_rank(c, now, fairness), default=None)
    assert choose_next(candidates, now, fairness) == expected
