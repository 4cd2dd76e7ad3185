"""People ahead and the estimated wait: the numbers a citizen reads on the slip."""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from queueing.commands import (
    CallNext,
    CompleteService,
    DefineCounter,
    IssueTicket,
    OpenCounter,
    PauseCounter,
    Priority,
    Resume,
    RetireCounter,
    SignIn,
    StartService,
    Suspend,
)
from queueing.estimates import wait_range
from queueing.events import ServiceCompleted
from queueing.hall import HallQueue
from queueing.records import HallSnapshot
from queueing.views import Estimate, wait_words
from tests.support import MANAGER, MONDAY_9, demo_hall, demo_queue, staff

T0 = MONDAY_9


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def issue(queue: HallQueue, ticket_id: str, item: str, minute: float, priority=Priority.WALK_IN) -> None:
    queue.handle(IssueTicket(at=at(minute), ticket_id=ticket_id, item=item, priority=priority))


def estimate(queue: HallQueue, ticket_id: str, minute: float) -> Estimate | None:
    return queue.estimate(queue.tickets[ticket_id], at(minute))


def test_a_domain_item_is_not_stuck_behind_items_its_counter_never_takes() -> None:
    queue = demo_queue(open_counters=(1, 10))  # 1: no-difference; 10: property and housing fund
    for n in range(30):
        issue(queue, f"q{n}", "QY01", n * 0.1)  # 30 enterprise walk-ins: only counter 1 takes them
    issue(queue, "fund", "GJ01", 4)
    assert estimate(queue, "fund", 4) == Estimate(people_ahead=0, wait_minutes=0)  # counter 10 is idle
    called = queue.handle(CallNext(at=at(5), actor=MANAGER, counter=10))
    assert called[-1].event.ticket_id == "fund"  # as the slip said


def test_busy_counters_then_the_line_shared_among_them() -> None:
    queue = demo_queue(open_counters=(1, 2, 3, 4, 5))
    for n in range(5):
        issue(queue, f"first{n}", "SB01", 0)
    for counter in (1, 2, 3, 4, 5):  # all five just started a 10-minute service
        queue.handle(CallNext(at=at(1), actor=MANAGER, counter=counter))
    for n in range(10):
        issue(queue, f"w{n}", "SB01", 1)
    issue(queue, "mine", "SB01", 1)
    # 10 minutes until a counter frees, then 10 ahead over 5 counters: two more rounds of 10.
    assert estimate(queue, "mine", 1) == Estimate(people_ahead=10, wait_minutes=30, wait_range=(25, 35))
    assert estimate(queue, "mine", 6) == Estimate(
        people_ahead=10, wait_minutes=25, wait_range=(20, 30)
    )  # five minutes on


def test_green_channel_only_waits_for_green() -> None:
    queue = demo_queue(open_counters=(8,))
    for n in range(4):
        issue(queue, f"w{n}", "SB02", n)
    issue(queue, "g1", "SB03", 5, Priority.GREEN)
    issue(queue, "g2", "SB01", 6, Priority.GREEN)
    assert estimate(queue, "g2", 6).people_ahead == 1
    assert estimate(queue, "w0", 6).people_ahead == 2  # the green ones go first


def test_before_opening_the_people_ahead_and_when_the_hall_opens_not_minutes() -> None:
    early = MONDAY_9 - dt.timedelta(minutes=30)
    queue = demo_queue(at=early)  # 8:30, nothing open yet
    for n in range(6):
        queue.handle(IssueTicket(at=early + dt.timedelta(minutes=n), ticket_id=f"w{n}", item="SB01"))
    issued = queue.handle(IssueTicket(at=early + dt.timedelta(minutes=6), ticket_id="mine", item="SB01"))
    # Six ahead whichever counter opens; no minutes: who will staff which counter is not known.
    told = queue.estimate(queue.tickets["mine"], early + dt.timedelta(minutes=6))
    assert told == Estimate(people_ahead=6, wait_minutes=None, opens_at=MONDAY_9)
    view = queue.ticket_view(queue.tickets["mine"], early + dt.timedelta(minutes=6))
    assert (view.people_ahead, view.estimated_wait_minutes, view.opens_at) == (6, None, MONDAY_9)
    assert view.counters == (1, 2, 3, 4, 5, 8)  # where it may be called: every counter that serves SB01
    assert (issued[-1].event.quoted_ahead, issued[-1].event.quoted_minutes) == (6, None)  # as recorded


def test_in_opening_hours_with_no_counter_open_no_minutes_and_no_opening_time() -> None:
    queue = demo_queue()  # 9:00, the hall is open but nobody has opened a counter
    issue(queue, "w0", "SB01", 0)
    issue(queue, "mine", "SB01", 1)
    assert estimate(queue, "mine", 1) == Estimate(people_ahead=1, wait_minutes=None, opens_at=None)
    item = next(i for i in queue.queue_view(at(1)).items if i.code == "SB01")
    assert (item.wait_minutes, item.opens_at, item.serving) == (None, None, True)


def test_only_the_counters_open_share_the_work() -> None:
    # 14 counters in the hall, SB01 served by six of them; only counter 1 is staffed.
    queue = demo_queue(open_counters=(1,))
    for n in range(6):
        issue(queue, f"w{n}", "SB01", 0)
    issue(queue, "mine", "SB01", 0)
    # Counter 1 alone: six services of 10 minutes ahead, not one round shared by six counters.
    # Said as the middle half of what may happen: ±0.67 × 60 / √7, in fives.
    assert estimate(queue, "mine", 0) == Estimate(people_ahead=6, wait_minutes=60, wait_range=(45, 75))
    assert queue.ticket_view(queue.tickets["mine"], at(0)).counters == (1,)
    item = next(i for i in queue.queue_view(at(0)).items if i.code == "SB01")
    assert item.wait_minutes == 70  # a walk-in now has seven ahead at the one counter
    queue.handle(OpenCounter(at=at(1), actor=MANAGER, counter=2))
    assert estimate(queue, "mine", 1) == Estimate(
        people_ahead=6, wait_minutes=30, wait_range=(20, 40)
    )  # shared by two now


def test_after_the_morning_span_the_afternoon_opening_is_told() -> None:
    queue = demo_queue()
    lunch = dt.datetime(2026, 11, 23, 12, 30, tzinfo=MONDAY_9.tzinfo)
    split = msgspec.structs.replace(
        queue.rules, hours=msgspec.structs.replace(queue.rules.hours, mon=["09:00-12:00", "13:30-17:00"])
    )
    assert split.next_opening(lunch) == lunch.replace(hour=13, minute=30)
    assert split.next_opening(lunch.replace(hour=8)) == MONDAY_9
    # Open (the morning's span, or the afternoon's): a counter can open any minute, so no time is told.
    assert split.next_opening(MONDAY_9) is None
    assert split.next_opening(lunch.replace(hour=10)) is None
    assert split.next_opening(lunch.replace(hour=15)) is None
    assert split.next_opening(lunch.replace(hour=14)) is None  # nothing more opens today
    assert split.next_opening(lunch.replace(hour=17, minute=30).astimezone(dt.UTC)) is None  # any zone
    assert split.next_opening(lunch.replace(hour=12, minute=5).astimezone(dt.UTC)) == lunch.replace(hour=13, minute=30)


def test_a_paused_counter_gives_no_minutes_when_it_is_the_only_one() -> None:
    queue = demo_queue(open_counters=(10,))  # GJ01 (housing fund): of its counters only 10 is open
    issue(queue, "fund", "GJ01", 0)
    assert estimate(queue, "fund", 0) == Estimate(people_ahead=0, wait_minutes=0)
    queue.handle(PauseCounter(at=at(1), actor=MANAGER, counter=10, reason="lunch"))
    # When the clerk comes back is not known: no "0 minutes" while the counter is paused.
    assert estimate(queue, "fund", 1) == Estimate(people_ahead=0, wait_minutes=None, opens_at=None)
    assert queue.ticket_view(queue.tickets["fund"], at(1)).counters == (1, 2, 3, 4, 5, 9, 10)  # every one for GJ01


def test_the_counter_that_reaches_you_first_is_the_one_that_counts() -> None:
    queue = demo_queue(open_counters=(9, 10))  # 10 prefers housing-fund items, 9 has no preference
    issue(queue, "busy", "BD03", 0)
    queue.handle(CallNext(at=at(0), actor=MANAGER, counter=9))  # 9 is busy for 15 minutes
    issue(queue, "property", "BD01", 1)
    for n in range(3):
        issue(queue, f"fund{n}", "GJ01", 2)
    # At 10 the three fund tickets go first (its profile); at 9 nobody is ahead, after 10 more minutes.
    assert estimate(queue, "property", 5) == Estimate(people_ahead=0, wait_minutes=10)


def test_no_estimate_when_no_counter_serves_the_ticket() -> None:
    queue = demo_queue(open_counters=(13,))
    issue(queue, "far", "KS01", 0)
    queue.handle(RetireCounter(at=at(1), counter=13))  # the hall file dropped the only 跨省通办 counter
    assert estimate(queue, "far", 1) is None
    assert queue.unserved_waiting_items() == ["KS01"]
    assert queue.ticket_view(queue.tickets["far"], at(1)).people_ahead is None


def test_recent_service_times_drive_the_estimate_and_ignore_time_away() -> None:
    queue = demo_queue(open_counters=(8,))
    issue(queue, "a", "SB04", 0)  # expected 8 minutes
    queue.handle(CallNext(at=at(1), actor=MANAGER, counter=8))
    queue.handle(StartService(at=at(2), actor=MANAGER, counter=8))
    queue.handle(Suspend(at=at(4), actor=MANAGER, counter=8))  # fetches a document for 40 minutes
    queue.handle(Resume(at=at(44), actor=MANAGER, counter=8))
    done = queue.handle(CompleteService(at=at(50), actor=MANAGER, counter=8))[-1].event
    assert isinstance(done, ServiceCompleted)
    assert done.duration_seconds == 8 * 60  # 2 minutes, then 6 after coming back
    assert done.item_seconds == 8 * 60  # the average, seeded at 8 minutes, stays at 8
    issue(queue, "b", "SB04", 50)
    queue.handle(CallNext(at=at(50), actor=MANAGER, counter=8))
    queue.handle(CompleteService(at=at(70), actor=MANAGER, counter=8))  # a long one: 20 minutes
    assert queue.service_seconds["SB04"] == (0.7 * 8 + 0.3 * 20) * 60
    issue(queue, "c", "SB04", 70)
    issue(queue, "d", "SB04", 70)
    # The estimate counts whole visits, from the call to leaving (9 minutes less the time away,
    # then 20): 0.7 × 9 + 0.3 × 20 = 12.3 minutes, rounded up.
    assert queue.visit_seconds["SB04"] == (0.7 * 9 + 0.3 * 20) * 60
    assert estimate(queue, "d", 70) == Estimate(people_ahead=1, wait_minutes=13)


# ---------------------------------------------------------------------- the projection


def play_until_called(queue: HallQueue, ticket_id: str, start: float) -> float:
    """Run the hall from minute ``start`` as the estimate expects it to run: each open counter
    calls the moment it is free and serves each citizen for exactly the item's time. The
    minute ``ticket_id`` is called."""
    import heapq

    free = [(start, number) for number, c in sorted(queue.counters.items()) if c.state.value == "open"]
    heapq.heapify(free)
    while free:
        minute, number = heapq.heappop(free)
        counter = queue.counters[number]
        if counter.current is not None:
            queue.handle(CompleteService(at=at(minute), actor=MANAGER, counter=number))
        recorded = queue.handle(CallNext(at=at(minute), actor=MANAGER, counter=number))
        if not recorded:
            continue
        called = recorded[-1].event.ticket_id
        if called == ticket_id:
            return minute
        item = queue.tickets[called].item
        heapq.heappush(free, (minute + queue.rules.item_by_code[item].service_minutes, number))
    raise AssertionError(f"{ticket_id} was never called")


def test_the_quote_follows_the_calling_rule_preferences_and_fairness() -> None:
    # Counter 10 prefers housing fund (GJ01, 10 min) to property (BD01, 25 min): a property
    # citizen waits behind every fund citizen, until the fairness rule (45 min) puts him first.
    queue = demo_queue(open_counters=(10,))
    issue(queue, "property", "BD01", 0)
    for n in range(8):
        issue(queue, f"fund{n}", "GJ01", 0.1 + n * 0.01)
    told = estimate(queue, "property", 1)
    called = play_until_called(queue, "property", 1)
    assert called == 51  # five fund citizens called at 1, 11, …, 41; due at 45, first at 51
    assert told == Estimate(people_ahead=8, wait_minutes=50, wait_range=(40, 60))  # from minute 1: what happened


def test_a_counter_serving_several_lines_is_not_counted_once_per_line() -> None:
    # Counters 1 and 8 both take social insurance (SB01, 10 min); counter 1 also takes the
    # enterprise line (QY01, 20 min), which came first. Summing each line over its sharers
    # (the old way) promised the SB01 citizen the time of one SB01 round.
    queue = demo_queue(open_counters=(1, 8))
    for n in range(4):
        issue(queue, f"qy{n}", "QY01", n * 0.01)
    for n in range(4):
        issue(queue, f"sb{n}", "SB01", 0.1 + n * 0.01)
    issue(queue, "mine", "SB01", 0.5)
    told = estimate(queue, "mine", 0.5)
    called = play_until_called(queue, "mine", 0.5)
    assert told.wait_minutes == math.ceil(called - 0.5)


def test_a_paused_clerk_counts_from_when_he_said_or_from_the_halls_usual_pause() -> None:
    queue = demo_queue(open_counters=(10,))
    issue(queue, "fund", "GJ01", 0)
    queue.handle(PauseCounter(at=at(1), actor=MANAGER, counter=10, reason="午休", back_at=at(31)))
    issue(queue, "other", "GJ01", 1)
    # Counter 10 was the only one: no minutes (paused); with counter 9 open too, the work is shared.
    queue.handle(OpenCounter(at=at(1), actor=MANAGER, counter=9))
    queue.handle(CallNext(at=at(1), actor=MANAGER, counter=9))  # takes "fund" for 10 minutes
    assert estimate(queue, "other", 1) == Estimate(people_ahead=0, wait_minutes=10)  # 9 frees first
    issue(queue, "third", "GJ01", 2)
    assert estimate(queue, "third", 2).wait_minutes == 19  # 9 frees at 11 and serves "other"; 10 back at 31
    # A pause with no time said: the hall's own pauses so far (one of 20 minutes) are the guess.
    queue.handle(OpenCounter(at=at(21), actor=MANAGER, counter=10))
    queue.handle(PauseCounter(at=at(22), actor=MANAGER, counter=10, reason="临时离开"))
    assert queue.pause_seconds == 20 * 60
    issue(queue, "fourth", "GJ01", 23)
    # At 23 counter 9 is done with "fund" and takes "other", then "third" at 33; counter 10,
    # back at 42 (a 20-minute pause, one minute gone), takes "fourth" before 9 is free at 43.
    assert estimate(queue, "fourth", 23).wait_minutes == 19


def test_before_opening_the_counters_not_yet_open_count_from_the_opening() -> None:
    early = MONDAY_9 - dt.timedelta(minutes=10)
    queue = demo_queue(at=early, open_counters=(1,))  # 8:50: one clerk already at work
    for n in range(10):
        queue.handle(IssueTicket(at=early, ticket_id=f"w{n}", item="SB01"))
    queue.handle(IssueTicket(at=early, ticket_id="mine", item="SB01"))
    # Alone, counter 1 takes 100 minutes: the closed counters nobody has signed in to may stay closed.
    assert queue.estimate(queue.tickets["mine"], early).wait_minutes == 100
    # Clerks signed in at 2 and 8 (SB01's counters too) open at 9:00 as the hall does.
    for counter, who in ((2, "wangfang"), (8, "liuyang")):
        queue.handle(SignIn(at=early, actor=staff(who), counter=counter))
    told = queue.estimate(queue.tickets["mine"], early)
    assert told.people_ahead == 10
    # counter 1 calls at 8:50, 9:00 and 9:10 …; 2 and 8 from 9:00: the eleventh is called at 9:30
    assert told.wait_minutes == 40


def test_those_who_come_ahead_today_lengthen_a_walk_ins_wait() -> None:
    quiet, busy = demo_queue(open_counters=(8,)), demo_queue(open_counters=(8,))
    for n in range(12):  # the same morning, but one hall's green and appointment citizens came ahead
        issue(quiet, f"w{n}", "SB01", n * 5)
        issue(busy, f"w{n}", "SB01", n * 5, Priority.GREEN if n % 2 else Priority.WALK_IN)
    for queue in (quiet, busy):
        issue(queue, "mine", "SB01", 60)
    plain, longer = estimate(quiet, "mine", 60), estimate(busy, "mine", 60)
    assert plain.people_ahead == longer.people_ahead == 12
    assert longer.wait_minutes > plain.wait_minutes * 1.2


def test_what_the_estimates_learn_is_kept_in_a_snapshot_and_replayed_alike() -> None:
    from queueing import store

    queue = demo_queue(open_counters=(8, 10))
    record = []
    for command in [
        *(IssueTicket(at=at(n), ticket_id=f"w{n}", item="SB01") for n in range(6)),
        CallNext(at=at(6), actor=MANAGER, counter=8),
        CompleteService(at=at(13), actor=MANAGER, counter=8),
        CallNext(at=at(14), actor=MANAGER, counter=8),
        PauseCounter(at=at(15), actor=MANAGER, counter=10),
        OpenCounter(at=at(40), actor=MANAGER, counter=10),
        IssueTicket(at=at(41), ticket_id="g", item="SB01", priority=Priority.GREEN),
    ]:
        record += queue.handle(command)
    assert queue.visit_seconds["SB01"] == 7 * 60 and queue.call_gap_seconds == 60 and queue.pause_seconds == 1500
    assert queue.came_new == [1, 0, 6]
    # Through the store's own encoding, and replayed event by event from the same start.
    again = HallQueue.restore(queue.rules, msgspec.msgpack.decode(store.encode_snapshot(queue), type=HallSnapshot))
    assert again.export() == queue.export()
    replayed = demo_queue(open_counters=(8, 10))
    for recorded in record:
        replayed.apply(recorded)
    assert replayed.export() == queue.export()
    for other in (again, replayed):
        assert estimate(other, "w5", 41) == estimate(queue, "w5", 41)


def test_a_wide_wait_is_said_as_its_middle_half_a_short_one_as_minutes() -> None:
    assert wait_range(5, 0) is None and wait_range(10, 0) is None  # short: 「约 10 分钟」
    assert wait_range(20, 3) == (15, 25)
    assert wait_range(60, 20) == (50, 70)  # many ahead: the sum of many services spreads less
    assert wait_range(60, 2) == (35, 85)
    for minutes in range(0, 300, 7):
        for ahead in range(0, 80, 3):
            said = wait_range(minutes, ahead)
            assert said is None or (said[0] <= minutes <= said[1] and said[1] - said[0] >= 10)
    assert wait_words(30, (25, 35)) == ("约 25–35 分钟", "about 25–35 min")
    assert wait_words(8) == ("约 8 分钟", "about 8 min")


# ---------------------------------------------------------------------- the hall's hours


def split_day_queue(minute: float, open_counters: tuple[int, ...]) -> HallQueue:
    """The demo hall, its Mondays 09:00–12:00 and 13:30–17:00 (a 90-minute lunch break), at
    ``minute`` after 9:00 with ``open_counters`` open."""
    hall = demo_hall()
    hours = msgspec.structs.replace(hall.rules.hours, mon=["09:00-12:00", "13:30-17:00"])
    queue = HallQueue(msgspec.structs.replace(hall.rules, hours=hours))
    for spec in hall.counters:
        queue.handle(DefineCounter(at=at(minute), spec=spec))
    for number in open_counters:
        queue.handle(OpenCounter(at=at(minute), actor=MANAGER, counter=number))
    return queue


def test_a_wait_that_crosses_the_lunch_break_includes_it() -> None:
    queue = split_day_queue(160, (8,))  # 11:40, counter 8 alone takes SB01 (10 minutes each)
    for n in range(3):
        issue(queue, f"w{n}", "SB01", 160)
    issue(queue, "mine", "SB01", 160)
    # Called at 11:40 and 11:50; the third would be at 12:00, when the hall breaks: at 13:30
    # instead, and this one at 13:40. Only the 30 minutes of service spread, not the break.
    assert estimate(queue, "mine", 160) == Estimate(people_ahead=3, wait_minutes=120, wait_range=(110, 130))
    item = next(i for i in queue.queue_view(at(160)).items if i.code == "SB01")
    assert item.wait_minutes == 130  # a walk-in now: four ahead, the last called at 13:40


def test_a_service_begun_before_the_break_is_finished_and_enough_time_needs_no_break() -> None:
    queue = split_day_queue(60, (8,))  # 10:00: two hours before the break
    for n in range(3):
        issue(queue, f"w{n}", "SB01", 60)
    issue(queue, "mine", "SB01", 60)
    assert estimate(queue, "mine", 60) == Estimate(people_ahead=3, wait_minutes=30, wait_range=(20, 40))
    late = split_day_queue(165, (8,))  # 11:45: one ahead, called at once; this one at 11:55
    issue(late, "w0", "SB01", 165)
    issue(late, "mine", "SB01", 165)
    issue(late, "next", "SB01", 165)
    assert estimate(late, "mine", 165) == Estimate(people_ahead=1, wait_minutes=10)
    # Its service runs past 12:00 (the clerk finishes it); the next call waits for 13:30.
    assert estimate(late, "next", 165) == Estimate(people_ahead=2, wait_minutes=105, wait_range=(100, 110))


def test_at_the_days_end_a_turn_after_closing_is_told_no_minutes() -> None:
    queue = split_day_queue(460, (8,))  # 16:40, the hall closes at 17:00
    for n in range(3):
        issue(queue, f"w{n}", "SB01", 460)
    issue(queue, "mine", "SB01", 460)
    # Called at 16:40 and 16:50; the third would be at 17:00: nobody more is called today.
    assert estimate(queue, "w1", 460) == Estimate(people_ahead=1, wait_minutes=10)
    assert estimate(queue, "mine", 460) == Estimate(people_ahead=3, wait_minutes=None, opens_at=None)
    issued = queue.handle(IssueTicket(at=at(461), ticket_id="after", item="SB01"))[-1].event
    assert (issued.quoted_ahead, issued.quoted_minutes) == (4, None)  # what the slip says: no minutes
    item = next(i for i in queue.queue_view(at(461)).items if i.code == "SB01")
    assert (item.wait_minutes, item.opens_at, item.serving) == (None, None, True)
    # After the last closing a counter still open is seen working late: it serves on.
    assert estimate(queue, "mine", 485) == Estimate(people_ahead=3, wait_minutes=30, wait_range=(20, 40))


# ---------------------------------------------------------------------- the kept projection


def test_a_ticket_placed_into_the_kept_projection_is_told_what_playing_again_tells() -> None:
    # Many halls at random: counters open, paused, busy, tickets of every class overdue or not,
    # some sent to a counter by name, the lunch break and the day's end on the way. A ticket
    # issued now is placed into the play made just before it; played again with it, the hall
    # must call it at exactly the same second (or neither call it today, nor within the horizon).
    import random

    from queueing.commands import CallNext, PauseCounter, Transfer

    items = [item.code for item in demo_hall().rules.items]
    told = {"placed": 0, "after hours": 0, "beyond": 0}
    for seed in range(150):
        rng = random.Random(seed)
        start = rng.choice([0, 100, 150, 400, 460])  # 9:00, 10:40, 11:30, 15:40, 16:40
        queue = split_day_queue(start, tuple(rng.sample(range(1, 15), rng.randint(1, 6))))
        minute = start
        for n in range(rng.randint(0, 60)):
            minute += rng.random() * 2
            priority = rng.choices(list(Priority), weights=[1, 1, 6])[0]
            # an appointment waits from its slot: one checked in early is behind later walk-ins
            slot = at(minute + rng.choice([0, 0, 20, 60])) if priority is Priority.APPOINTMENT else None
            queue.handle(
                IssueTicket(at=at(minute), ticket_id=f"t{n}", item=rng.choice(items), priority=priority,
                            appointment_slot=slot)
            )  # fmt: skip
        for number, counter in sorted(queue.counters.items()):
            if counter.state.value != "open" or rng.random() < 0.3:
                continue
            recorded = queue.handle(CallNext(at=at(minute), actor=MANAGER, counter=number))
            others = [n for n, c in queue.counters.items() if n != number and c.state.value != "closed"]
            if recorded and others and rng.random() < 0.2:  # sent to another counter by name
                queue.handle(Transfer(at=at(minute), actor=MANAGER, counter=number, to_counter=rng.choice(others)))
            elif rng.random() < 0.2:
                queue.handle(PauseCounter(at=at(minute), actor=MANAGER, counter=number, reason="x"))
        minute += rng.random() * 40  # the fairness rule: some now overdue
        queue.forget_projection()
        item = rng.choice(items)
        priority = rng.choice(list(Priority))
        slot = at(minute) if priority is Priority.APPOINTMENT else None
        queue.handle(IssueTicket(at=at(minute), ticket_id="new", item=item, priority=priority, appointment_slot=slot))
        new = queue.tickets["new"]
        placed = queue._projected_seconds(new, at(minute))
        queue.forget_projection()
        again = queue._projected_seconds(new, at(minute))
        assert again[0] == placed[0], seed
        if placed[0] is None:  # beyond the horizon: told by the quick sum, but not before the last call played
            assert again[1] == placed[1], seed
        told["beyond" if placed[0] is None else "after hours" if placed[0] == math.inf else "placed"] += 1
    assert min(told.values()) >= 5, told  # every outcome was tried


def test_a_ticket_overdue_in_the_kept_projection_goes_before_a_better_class_as_a_fresh_play_says() -> None:
    from queueing.lines import Line
    from queueing.projection import FreeCounter, play

    now = 1_800_000_000_000_000
    minute = 60_000_000
    booked, walk_in = Line("SB01", None, Priority.APPOINTMENT.rank), Line("SB01", None, Priority.WALK_IN.rank)
    # One counter, busy for 50 minutes; an appointment checked in early waits from its slot in an
    # hour; a walk-in comes now. At 50 minutes the walk-in has waited past the fairness rule's 45
    # and goes first, though the appointment's class is better.
    counter = FreeCounter(1, 3000.0, ((booked, False), (walk_in, False)))
    lines = {booked: [((now + 60 * minute, 1), "booked")]}
    kept = play(lines, [counter], {"booked": 600.0, "mine": 600.0}, now, 45 * minute)
    again = play(
        {**lines, walk_in: [((now, 2), "mine")]}, [counter], {"booked": 600.0, "mine": 600.0}, now, 45 * minute
    )
    assert again.called == {"mine": 3000.0, "booked": 3600.0}
    assert kept.place(walk_in, (now, 2)) == (3000.0, None)  # taken from the appointment: not idle
    # Without the fairness rule the appointment goes first, in both.
    assert play(lines, [counter], {"booked": 600.0}, now, None).place(walk_in, (now, 2))[0] == 3600.0


def quotes_kept_and_fresh(queue: HallQueue, fresh: HallQueue, commands: list) -> list[tuple]:
    """Run the same commands on two halls, the second playing its projection afresh before
    each; the (kept, fresh) quote of every ticket issued."""
    quoted = []
    for command in commands:
        fresh.forget_projection()
        a, b = queue.handle(command), fresh.handle(command)
        if isinstance(command, IssueTicket):
            quoted.append((a[-1].event.quoted_minutes, b[-1].event.quoted_minutes))
    return quoted


def seconds(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def test_counters_with_nothing_to_call_take_the_new_tickets_together_in_the_kept_projection() -> None:
    # Three counters free, five citizens a second apart: the first three are called at once.
    commands = [IssueTicket(at=seconds(n), ticket_id=f"j{n}", item="SB01") for n in range(5)]
    quoted = quotes_kept_and_fresh(demo_queue(open_counters=(1, 2, 3)), demo_queue(open_counters=(1, 2, 3)), commands)
    assert [kept for kept, _ in quoted] == [fresh for _, fresh in quoted] == [0, 1, 1, 10, 10]


def test_a_citizen_leaving_early_or_not_coming_plays_the_projection_again() -> None:
    from queueing.commands import CallNext, MarkNoShow

    for leaves in (CompleteService, MarkNoShow):
        commands: list = []
        for n in range(3):  # the hall learns its 10-minute visits
            commands += [
                IssueTicket(at=seconds(n * 600), ticket_id=f"p{n}", item="SB01"),
                CallNext(at=seconds(n * 600), actor=MANAGER, counter=8),
                CompleteService(at=seconds(n * 600 + 600), actor=MANAGER, counter=8),
            ]
        commands += [
            IssueTicket(at=seconds(1800), ticket_id="w0", item="SB01"),
            CallNext(at=seconds(1800), actor=MANAGER, counter=8),
            IssueTicket(at=seconds(1860), ticket_id="w1", item="SB01"),
            IssueTicket(at=seconds(1871), ticket_id="w2", item="SB01"),  # played, w1 in it: w0 has 9 minutes to go
            leaves(at=seconds(1873), actor=MANAGER, counter=8),  # gone after one: not what it foresaw
            CallNext(at=seconds(1873), actor=MANAGER, counter=8),  # w1, as it foresaw (but early)
            IssueTicket(at=seconds(1875), ticket_id="new", item="SB01"),
        ]
        quoted = quotes_kept_and_fresh(demo_queue(open_counters=(8,)), demo_queue(open_counters=(8,)), commands)
        assert quoted[-1][0] == quoted[-1][1], leaves


def test_an_appointment_checked_in_ahead_of_one_already_waiting_is_played_in_its_place() -> None:
    commands = [  # the first checked in an hour early: it waits from its slot
        IssueTicket(at=at(0), ticket_id="early", item="SB01", priority=Priority.APPOINTMENT, appointment_slot=at(60)),
        IssueTicket(at=at(0.25), ticket_id="other", item="GJ01"),  # played, "early" in it
        IssueTicket(at=at(0.3), ticket_id="now", item="SB01", priority=Priority.APPOINTMENT, appointment_slot=at(0.3)),
        IssueTicket(at=at(0.35), ticket_id="after", item="SB01", priority=Priority.APPOINTMENT, appointment_slot=at(2)),
    ]
    queue, fresh = demo_queue(open_counters=(8,)), demo_queue(open_counters=(8,))
    quoted = quotes_kept_and_fresh(queue, fresh, commands)
    # "now" and "after" come before "early" (an hour away), and the counter is free: "now" at once.
    assert quoted == [(0, 0), (None, None), (0, 0), (10, 10)]
    fresh.forget_projection()
    assert estimate(queue, "early", 0.35) == estimate(fresh, "early", 0.35)


def test_the_kept_projection_is_played_again_when_the_hall_closes_under_it() -> None:
    queue = split_day_queue(459, (8,))  # 16:39
    for n in range(2):
        queue.handle(IssueTicket(at=seconds(459 * 60 + 55 + 60), ticket_id=f"w{n}", item="SB01"))  # 16:40:55
    # At 16:59:55 the second would be called after 17:00: no minutes. Eight seconds later the
    # hall has closed and the counter, still open, is seen working late: it serves on.
    assert queue.estimate(queue.tickets["w1"], seconds(479 * 60 + 55)).wait_minutes is None
    assert queue.estimate(queue.tickets["w1"], seconds(480 * 60 + 3)).wait_minutes == 10


def test_a_quote_for_an_appointment_checked_in_ahead_plays_it_in_its_place() -> None:
    from queueing.commands import CallNext
    from queueing.lines import micros
    from queueing.records import TicketRecord

    queue = demo_queue(open_counters=(8,))
    issue(queue, "first", "SB01", 0)
    queue.handle(CallNext(at=at(0), actor=MANAGER, counter=8))  # busy for SB01's 10 minutes
    queue.handle(
        IssueTicket(at=at(0.1), ticket_id="early", item="SB01", priority=Priority.APPOINTMENT, appointment_slot=at(60))
    )
    # Checked in now for a slot now: ahead of "early" (an hour away), called when counter 8 frees.
    coming = TicketRecord(
        id="now", number="", group="B", seq=0, item="SB01", priority=Priority.APPOINTMENT,
        key=(micros(at(0.2)), queue.seq + 1), issued_at=at(0.2),
    )  # fmt: skip
    assert queue._projected_seconds(coming, at(0.2))[0] == 600 - 12


def test_a_citizen_leaving_when_the_projection_said_keeps_it_though_the_clerk_takes_a_minute_between() -> None:
    from queueing.commands import CallNext

    queue = demo_queue(open_counters=(8,))
    for n in range(3):  # the hall learns 10-minute visits and a minute between citizens
        issue(queue, f"p{n}", "SB01", n * 11)
        issue(queue, f"q{n}", "SB01", n * 11)
        queue.handle(CallNext(at=at(n * 11), actor=MANAGER, counter=8))
        queue.handle(CompleteService(at=at(n * 11 + 10), actor=MANAGER, counter=8))
    assert queue.call_gap_seconds == 60
    queue.handle(CallNext(at=at(33), actor=MANAGER, counter=8))
    issue(queue, "mine", "SB01", 33.1)  # played: the one at counter 8 leaves at 43, the next call at 44
    kept = queue._trace
    assert kept is not None
    queue.handle(CompleteService(at=at(43), actor=MANAGER, counter=8))
    assert queue._trace is kept  # as foreseen
