"""Walk the transition tables exhaustively, through the real core.

For every ticket state and every step, bring a ticket into that state, try the step and
check the core accepts it exactly when the table says so, and that a refused step
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from queueing.commands import (
    CallNext,
    CancelTicket,
    CloseCounter,
    CompleteService,
    IssueTicket,
    MarkNoShow,
    OpenCounter,
    PauseCounter,
    Recall,
    Reinstate,
    Resume,
    StartDay,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import Conflict, Refusal
from queueing.hall import HallQueue
from queueing.lifecycle import (
    COUNTER_STEPS,
    TICKET_STEPS,
    CounterState,
    CounterStep,
    TicketState,
    TicketStep,
    next_ticket_state,
)
from tests.support import MANAGER, MONDAY_9, demo_queue

T0 = MONDAY_9
COUNTER = 1


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def ticket_in(state: TicketState) -> tuple[HallQueue, str]:
    """A demo hall with one ticket, at counter 1, brought into ``state``."""
    queue = demo_queue(open_counters=(COUNTER, 2))
    queue.handle(IssueTicket(at=_at(1), ticket_id="t", item="SB01"))
    path: dict[TicketState, list[Callable]] = {
        TicketState.WAITING: [],
        TicketState.CALLED: [lambda: CallNext(at=_at(2), actor=MANAGER, counter=COUNTER)],
        TicketState.SERVING: [
            lambda: CallNext(at=_at(2), actor=MANAGER, counter=COUNTER),
            lambda: StartService(at=_at(3), actor=MANAGER, counter=COUNTER),
        ],
        TicketState.SUSPENDED: [
            lambda: CallNext(at=_at(2), actor=MANAGER, counter=COUNTER),
            lambda: StartService(at=_at(3), actor=MANAGER, counter=COUNTER),
            lambda: Suspend(at=_at(4), actor=MANAGER, counter=COUNTER),
        ],
        TicketState.NO_SHOW: [
            lambda: CallNext(at=_at(2), actor=MANAGER, counter=COUNTER),
            lambda: MarkNoShow(at=_at(3), actor=MANAGER, counter=COUNTER),
        ],
        TicketState.COMPLETED: [
            lambda: CallNext(at=_at(2), actor=MANAGER, counter=COUNTER),
            lambda: CompleteService(at=_at(3), actor=MANAGER, counter=COUNTER),
        ],
        TicketState.CANCELLED: [lambda: CancelTicket(at=_at(2), actor=MANAGER, ticket_id="t")],
    }[state]
    for make in path:
        queue.handle(make())
    assert queue.tickets["t"].state is state
    return queue, "t"


# How each step is asked of the core, for the ticket "t" held (or once held) by counter 1.
STEP_COMMANDS: dict[TicketStep, Callable[[], object]] = {
    TicketStep.CALL: lambda: CallNext(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.RECALL: lambda: Recall(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.START: lambda: StartService(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.COMPLETE: lambda: CompleteService(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.NO_SHOW: lambda: MarkNoShow(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.REINSTATE: lambda: Reinstate(at=_at(5), actor=MANAGER, ticket_id="t"),
    TicketStep.TRANSFER: lambda: Transfer(at=_at(5), actor=MANAGER, counter=COUNTER, to_counter=2),
    TicketStep.SUSPEND: lambda: Suspend(at=_at(5), actor=MANAGER, counter=COUNTER),
    TicketStep.RESUME: lambda: Resume(at=_at(5), actor=MANAGER, counter=COUNTER, ticket_id="t"),
    TicketStep.CANCEL: lambda: CancelTicket(at=_at(5), actor=MANAGER, ticket_id="t"),
}

STATES = [s for s in TicketState if s not in (TicketState.NEW, TicketState.EXPIRED)]


@pytest.mark.parametrize("state", STATES, ids=str)
@pytest.mark.parametrize("step", list(STEP_COMMANDS), ids=str)
def test_every_step_in_every_state(state: TicketState, step: TicketStep) -> None:
    queue, ticket_id = ticket_in(state)
    before = queue.export()
    allowed = next_ticket_state(state, step)
    if allowed is None:
        try:
            recorded = queue.handle(STEP_COMMANDS[step]())
        except Refusal as refused:
            assert isinstance(refused, Conflict), refused
        else:
            # Only "call next" may answer "nobody to call" instead of refusing.
            assert step is TicketStep.CALL and recorded == [], recorded
        assert queue.export() == before, "a refused step changed the state"
    else:
        recorded = queue.handle(STEP_COMMANDS[step]())
        assert recorded, f"{step} in {state} was accepted but recorded nothing"
        assert queue.tickets[ticket_id].state is allowed


@pytest.mark.parametrize("state", [s for s in TicketState if s.is_open and s is not TicketState.NEW], ids=str)
def test_an_open_ticket_expires_when_the_day_ends(state: TicketState) -> None:
    queue, ticket_id = ticket_in(state)
    assert (state, TicketStep.EXPIRE) in TICKET_STEPS
    recorded = queue.handle(IssueTicket(at=T0 + dt.timedelta(days=1), ticket_id="next-day", item="SB01"))
    day_started = recorded[0].event
    assert ticket_id in day_started.expired
    assert ticket_id not in queue.tickets  # yesterday leaves memory; the store keeps it
    [expired] = queue.expired  # by the EXPIRE step of the table, for the store to keep
    assert (expired.id, expired.state, expired.ended_at) == (ticket_id, TicketState.EXPIRED, day_started.expired_at)
    assert queue.tickets["next-day"].number == "B001"  # numbering starts again


def test_terminal_tickets_do_not_expire_again() -> None:
    queue, ticket_id = ticket_in(TicketState.COMPLETED)
    recorded = queue.handle(IssueTicket(at=T0 + dt.timedelta(days=1), ticket_id="x", item="SB01"))
    assert ticket_id not in recorded[0].event.expired


def test_the_table_covers_only_known_states() -> None:
    for (state, step), target in TICKET_STEPS.items():
        assert state is not TicketState.EXPIRED and target is not TicketState.NEW, (state, step)
        if not state.is_open:
            pytest.fail(f"{state} is terminal but has a step {step}")


COUNTER_COMMANDS = {
    CounterStep.OPEN: lambda: OpenCounter(at=_at(5), actor=MANAGER, counter=3),
    CounterStep.PAUSE: lambda: PauseCounter(at=_at(5), actor=MANAGER, counter=3, reason="meeting"),
    CounterStep.CLOSE: lambda: CloseCounter(at=_at(5), actor=MANAGER, counter=3),
    CounterStep.DAY_END: lambda: StartDay(at=_at(5) + dt.timedelta(days=1)),  # the next day's start takes it
}
COUNTER_PATHS = {
    CounterState.CLOSED: [],
    CounterState.OPEN: [CounterStep.OPEN],
    CounterState.PAUSED: [CounterStep.OPEN, CounterStep.PAUSE],
}


@pytest.mark.parametrize("state", list(CounterState), ids=str)
@pytest.mark.parametrize("step", list(CounterStep), ids=str)
def test_every_counter_step_in_every_counter_state(state: CounterState, step: CounterStep) -> None:
    queue = demo_queue()
    for earlier in COUNTER_PATHS[state]:
        queue.handle(COUNTER_COMMANDS[earlier]())
    assert queue.counters[3].state is state
    before = queue.export()
    if (state, step) in COUNTER_STEPS:
        queue.handle(COUNTER_COMMANDS[step]())
        assert queue.counters[3].state is COUNTER_STEPS[(state, step)]
    else:
        with pytest.raises(Conflict):
            queue.handle(COUNTER_COMMANDS[step]())
        assert queue.export() == before
