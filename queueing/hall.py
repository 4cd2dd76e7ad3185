"""``HallQueue``: the sans-I/O queue core of one hall.

Commands go in (``handle``), recorded events come out; the same events, replayed
through ``apply``, rebuild the state exactly. The core reads no clock (every command
carries its time), touches no database or network, and draws no random numbers (the
caller picks ticket ids). The live hall, the simulator and the tests all drive it the
same way:

    queue = HallQueue(rules)
    recorded = queue.handle(IssueTicket(at=now, ticket_id="t1", item="QY001"))
    # persist ``recorded``; on restart: queue.apply(r) for r in the record

``handle`` checks everything before it changes anything: a refused command raises a
``Refusal`` and leaves the state as it was (except a day rollover that came first,
which is real and is handed back in ``refusal.recorded`` to be kept).

The calling rule is in ``calling.py``, the transition tables in ``lifecycle.py``, the
estimates in ``estimates.py``; this file wires them to the state.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
from collections.abc import Callable
from typing import Any, ClassVar

import msgspec

from queueing.calling import Candidate, call_rank, choose_next
from queueing.commands import (
    Actor,
    AlertEmptyPost,
    Announce,
    CallNext,
    CallTicket,
    CancelTicket,
    CloseCounter,
    Command,
    CompleteService,
    DefineCounter,
    IssueTicket,
    MarkNoShow,
    MoveTicket,
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
    StartDay,
    StartService,
    Suspend,
    Transfer,
)
from queueing.errors import Conflict, Forbidden, Invalid, NotFound, Refusal
from queueing.estimates import ahead_at_counter, minutes, update_average, update_service_time, wait_range
from queueing.events import (
    Announced,
    CounterClosed,
    CounterDefined,
    CounterOpened,
    CounterPaused,
    CounterReconfigured,
    CounterRetired,
    DayStarted,
    Event,
    OrderKey,
    PostAlerted,
    Recorded,
    ServiceCompleted,
    ServiceStarted,
    StaffSignedIn,
    StaffSignedOut,
    TicketCalled,
    TicketCancelled,
    TicketIssued,
    TicketMissed,
    TicketMoved,
    TicketRecalled,
    TicketReinstated,
    TicketResumed,
    TicketSuspended,
    TicketTransferred,
)
from queueing.kinds import CounterSpec, default_profile_name, preferred_items, served_items, spec_problems
from queueing.lifecycle import (
    CounterState,
    CounterStep,
    TicketState,
    TicketStep,
    advance_counter,
    advance_ticket,
    next_counter_state,
    next_ticket_state,
)
from queueing.lines import Line, WaitingLines, key_time, micros
from queueing.numbering import format_number
from queueing.policy import HallRules, ReinstatePosition
from queueing.projection import AFTER_HOURS, ALWAYS, IF_EARLIER, FreeCounter, Trace, play
from queueing.records import CounterRecord, HallSnapshot, TicketRecord
from queueing.views import (
    CounterView,
    CurrentTicket,
    DeskCounter,
    DeskTicket,
    DeskView,
    Estimate,
    GroupWaiting,
    ItemWaiting,
    QueueView,
    ReconfigurePreview,
    TicketView,
    ticket_view,
)

__all__ = ["HallQueue"]

RANKS = tuple(p.rank for p in Priority)
_MANAGES = frozenset(role for role in Role if role.manages)
_candidate = tuple.__new__  # a NamedTuple without its Python-level constructor: hot
_ISSUED = advance_ticket(TicketState.NEW, TicketStep.ISSUE)  # a new ticket's state, looked up once
_DEFAULT_SERVICE_SECONDS = 600.0
_LONGEST_GAP = 300.0  # between a citizen leaving and the next call: longer, the counter was idle
_FIRST_GAP = 0.0  # the gap between citizens, until the hall has measured its own
_FIRST_PAUSE = 1800.0  # a pause with no time said, until the hall has measured its own
_STILL_AWAY = 300.0  # a pause longer than usual: back in this long, say
_MOST_TAKEN = 0.5  # of the counters' time by those who come into line ahead
_JUST_NOW = dt.timedelta(seconds=2)
_PROJECTED_CALLS = 600  # calls played forward at most: beyond, the quick estimate (hours of waiting anyway)
# A projection serves the estimates for this long of the hall's time and this many events
# (more with a long queue), the calls and services it foresaw happening and new tickets placed
# into it; a counter's change or a ticket's out of the common order plays it again at once.
_REPLAY_US = 10_000_000
_REPLAY_EVENTS = 64
_FORESEEN = 10.0  # seconds: a call or a citizen leaving this near when the projection said keeps it
_STAFF_ROLES = frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN, Role.SYSTEM})


class HallQueue:
    """The live state of one hall and the rules that move it."""

    def __init__(self, rules: HallRules, *, quotes: bool = True) -> None:
        self.rules = rules
        # Tell each new ticket its people ahead and minutes, and learn the hall's pace for it
        # (visits, gaps); the simulator needs neither, and its days are quicker without.
        self.quotes = quotes
        self.seq = 0
        self._day: dt.date | None = None
        # the midnight after ``day`` in the hall's zone, held in UTC like the clock's instants:
        # compared on every command, and instants of one tzinfo compare without asking offsets
        self._day_ends: dt.datetime | None = None
        self._spans_us: tuple[tuple[int, int], ...] = ()  # ``day``'s opening spans, in epoch µs
        self.tickets: dict[str, TicketRecord] = {}
        self.counters: dict[int, CounterRecord] = {}
        self.lines = WaitingLines()
        self.group_seq: dict[str, int] = {}
        self.idempotency: dict[str, str] = {}
        self.service_seconds: dict[str, float] = {}
        self.visit_seconds: dict[str, float] = {}  # from a call to the citizen leaving, per item
        self.call_gap_seconds: float | None = None  # from a citizen leaving to the counter's next call
        self.pause_seconds: float | None = None  # how long a pause lasts (a clerk who said no time)
        # Today, per class: new green-channel and appointment tickets (ahead of every later
        # class) and tickets back in line (transfers, reinstated no-shows: ahead of later ones of
        # their own class too); since when the day has tickets; and the counters that served
        # anyone on the hall's last day (those likely to open this morning).
        self.came_new = [0, 0, 0]
        self.came_back = [0, 0, 0]
        self.first_issued_at: dt.datetime | None = None
        self.staffed_last_day: list[int] = []
        # The estimate a ticket was told at issue, for its first view right after (a cache):
        # (ticket, the seq its issue got, the estimate).
        self._told: tuple[str, int, Estimate | None] | None = None
        self._told_now: tuple[str, Estimate | None] | None = None  # decided, not yet applied
        self.expired: list[TicketRecord] = []  # the tickets the latest day start expired, for the store
        # What a walk-in would be told per item, for (seq, half-minute): see ``queue_view``.
        self._item_estimates: tuple[tuple[int, int] | None, dict[str, Estimate | None]] = (None, {})
        # The estimates' projection (``_projection``), the seq it was played at and the tickets
        # that came into line since.
        self._trace: Trace | None = None
        self._played: Trace | None = None  # the last one played, valid or not: what it knew of the lines
        self._trace_seq = 0
        # Each (ticket, its line), as it came: a later move, transfer or reinstatement plays the
        # projection again; where in the list; where each was placed (``_placements``); the
        # decisions of idle counters they took, and when those counters are free again.
        self._trace_joined: list[tuple[TicketRecord, Line]] = []
        self._trace_index: dict[str, int] = {}
        self._trace_spots: list[tuple[float | None, bool]] = []
        self._trace_taken: set[int] = set()
        self._trace_free: list[tuple[float, int]] = []
        self._trace_ended: set[int] = set()
        # Derived from the counters; forgotten when a counter changes (``_forget``). The two
        # asked on every call have dictionaries of their own: no key to build.
        self._cache: dict[Any, Any] = {}
        self._served: dict[int, frozenset[str]] = {}
        self._preferred: dict[int, frozenset[str]] = {}
        self._fairness_us = (
            rules.calling.fairness_minutes * 60_000_000 if rules.calling.fairness_minutes else None  # 0: off
        )

    # ------------------------------------------------------------------ commands

    def handle(self, command: Command) -> list[Recorded]:
        """Decide a command, apply its events and return them for the record."""
        recorded: list[Recorded] = []
        at, ends = command.at, self._day_ends
        if (ends is None or at.tzinfo is None or at >= ends) and self.day_due(at):  # the check inlined: hot
            recorded = self._record([self._day_started(at)])
        try:
            events = self._DECIDERS[type(command)](self, command)
        except Refusal as refusal:
            refusal.recorded = recorded
            raise
        return recorded + self._record(events) if recorded else self._record(events)

    @property
    def day(self) -> dt.date | None:
        """The hall day ("today") the state is of; None before the first command."""
        return self._day

    @day.setter
    def day(self, day: dt.date | None) -> None:
        self._day = day
        self._day_ends = None if day is None else self.rules.day_start(day + dt.timedelta(days=1)).astimezone(dt.UTC)
        # Once a day, not per estimate: the projection compares plain numbers, no zone asked.
        midnight = None if day is None else self.rules.day_start(day)
        self._spans_us = (
            ()
            if midnight is None
            else tuple(
                (micros(midnight + dt.timedelta(minutes=start)), micros(midnight + dt.timedelta(minutes=end)))
                for start, end in self.rules.hours.spans_on(day)  # type: ignore[arg-type]
            )
        )

    def day_due(self, at: dt.datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("the core takes zone-aware times only")
        return self._day_ends is None or at >= self._day_ends

    def _record(self, events: list[Event]) -> list[Recorded]:
        # ``apply`` without its gap check: the numbers are made here, one after the other.
        recorded = []
        appliers = self._APPLIERS
        for event in events:
            seq = self.seq + 1
            appliers[type(event)](self, event)
            self.seq = seq
            recorded.append(Recorded(seq, event))
        return recorded

    def _day_started(self, at: dt.datetime) -> DayStarted:
        expired = tuple(t.id for t in self.tickets.values() if t.state.is_open)
        ended = None
        if self.day is not None:  # midnight after the old day, in the hall's zone
            ended = self._day_ends
        return DayStarted(at=at, day=self.rules.hall_day(at), expired=expired, expired_at=ended)

    def _start_day(self, command: StartDay) -> list[Event]:
        return []  # handle() has already rolled the day over if it was due

    def _issue(self, cmd: IssueTicket) -> list[Event]:
        if cmd.idempotency_key is not None and cmd.idempotency_key in self.idempotency:
            earlier = self.tickets[self.idempotency[cmd.idempotency_key]]
            if (earlier.item, earlier.priority) != (cmd.item, cmd.priority):
                raise Invalid(
                    f"idempotency key {cmd.idempotency_key!r} was already used for ticket {earlier.number} "
                    f"({earlier.item}); use a new key for a new ticket",
                    f"该请求编号已用于{earlier.number}号，请重新取号",
                )
            return []  # the same request again: the caller gets the same ticket
        rules = self.rules
        item = rules.item_by_code.get(cmd.item)
        if item is None:
            raise Invalid(f"unknown item {cmd.item!r} in hall {rules.hall}", f"事项 {cmd.item} 不存在")
        priority, slot = cmd.priority, cmd.appointment_slot
        if (priority is Priority.APPOINTMENT) != (slot is not None):
            raise Invalid("an appointment ticket needs its slot time, and only an appointment ticket has one")
        if cmd.ticket_id in self.tickets:
            raise Conflict(f"ticket id {cmd.ticket_id} is taken")
        if priority is Priority.GREEN and cmd.actor.role is Role.DEVICE and not rules.issuing.green_channel_at_kiosk:
            raise Forbidden(
                "green-channel tickets are issued at the reception desk in this hall",
                "绿色通道请到服务台取号",
            )
        if not rules.may_issue_at(cmd.at):
            raise Conflict(*self._closed_messages(cmd.at))
        if not self._item_counters().get(item.code):
            raise Conflict(
                f"no counter of hall {rules.hall} serves {item.code} ({item.name_en or item.name})",
                f"暂无窗口办理“{item.name}”，请咨询导服人员",
            )
        group = rules.group_by_prefix[item.group]
        seq = self.group_seq.get(group.prefix, 0) + 1
        if group.daily_cap is not None and seq > group.daily_cap:
            raise Conflict(
                f"today's {group.prefix} tickets ({group.name_en or group.name}) have run out: "
                f"the daily cap is {group.daily_cap}",
                f"今日“{group.name}”号已取完（每日限{group.daily_cap}个），请改日办理或网上预约",
            )
        # An appointment is ordered by its slot; one checked in late waits from its arrival.
        waiting_since = max(slot, cmd.at) if slot else cmd.at
        key = (micros(waiting_since), self.seq + 1)
        # What the citizen is told now (people ahead, minutes) is kept with the ticket, so the
        # estimate can be judged against the wait that followed.
        quoted = None
        if self.quotes:
            quoted = self.estimate(
                TicketRecord(
                    id=cmd.ticket_id, number="", group=group.prefix, seq=seq, item=item.code,
                    priority=cmd.priority, key=key, issued_at=cmd.at,
                ),
                cmd.at,
            )  # fmt: skip
            self._told_now = (cmd.ticket_id, quoted)
        return [
            TicketIssued(
                at=cmd.at,
                actor=cmd.actor.name,
                ticket_id=cmd.ticket_id,
                number=format_number(group.prefix, seq),
                group=group.prefix,
                seq=seq,
                item=item.code,
                priority=cmd.priority,
                key=key,
                appointment_slot=cmd.appointment_slot,
                idempotency_key=cmd.idempotency_key,
                channel=cmd.channel,
                quoted_ahead=quoted.people_ahead if quoted else None,
                quoted_minutes=quoted.wait_minutes if quoted else None,
            )
        ]

    def _closed_messages(self, at: dt.datetime) -> tuple[str, str]:
        window = self.rules.issuing_window(self.rules.hall_day(at))
        if window is None:
            return ("the hall does not issue tickets today", "今日大厅不办公，暂停取号")
        start, end = (f"{m // 60:02d}:{m % 60:02d}" for m in window)
        return (
            f"tickets are issued from {start} to {end} today",
            f"当前不在取号时间，今日取号时间为 {start}-{end}",
        )

    def _call_ticket(self, cmd: CallTicket) -> list[Event]:
        counter = self._ready_to_call(cmd.counter, cmd.actor)
        ref = cmd.ticket.strip().upper()
        ticket = self.tickets.get(cmd.ticket) or next((t for t in self.tickets.values() if t.number == ref), None)
        if ticket is None:
            raise NotFound(f"no ticket {cmd.ticket} today", f"今日没有{cmd.ticket}号")
        if ticket.state is not TicketState.WAITING:
            raise Conflict(
                f"ticket {ticket.number} is {ticket.state.value}: only a waiting ticket can be called",
                f"{ticket.number}号{ticket.state.label_zh}，只能叫等候中的号",
            )
        mine = (
            ticket.to_counter == counter.number
            if ticket.to_counter is not None
            else (ticket.item in self._served_by(counter.number))
        )
        if not mine:
            where = f"counter {ticket.to_counter}" if ticket.to_counter is not None else f"item {ticket.item}"
            raise Conflict(
                f"counter {counter.number} may not call {ticket.number}: it waits for {where}",
                f"{counter.number}号窗口不能叫{ticket.number}号（该号等候"
                + (f"{ticket.to_counter}号窗口）" if ticket.to_counter is not None else "其他窗口办理）"),
            )
        return [TicketCalled(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number, chosen=True)]

    def _ready_to_call(self, number: int, actor: Actor) -> CounterRecord:
        """The counter, if ``actor`` may call at it now: open, and nobody at it."""
        counter = self._operated_counter(number, actor)
        if counter.state is not CounterState.OPEN:
            raise Conflict(
                f"counter {counter.number} is {counter.state}: open it before calling",
                f"{counter.number}号窗口{counter.state.label_zh}，请先开始服务再叫号",
            )
        if counter.current is not None:
            held = self.tickets[counter.current].number
            raise Conflict(
                f"counter {counter.number} is still on ticket {held}: complete it, "
                "mark it no-show, suspend or transfer it first",
                f"{counter.number}号窗口当前还有{held}号，请先办结、过号、挂起或转移",
            )
        return counter

    def _call_next(self, cmd: CallNext) -> list[Event]:
        counter = self._ready_to_call(cmd.counter, cmd.actor)
        candidates = self._candidates(counter.number)
        if not candidates:
            return []
        if len(candidates) == 1:
            chosen = candidates[0]
        else:  # the time matters only to fairness
            fairness = self._fairness_us
            chosen = choose_next(candidates, micros(cmd.at) if fairness is not None else 0, fairness)
        return [TicketCalled(at=cmd.at, actor=cmd.actor.name, ticket_id=chosen.ticket_id, counter=cmd.counter)]

    def _candidates(self, number: int) -> list[Candidate]:
        """The head of every non-empty line counter ``number`` calls from: its items' lines
        (only of items someone waits for) and its own lines."""
        lines = self.lines
        head = lines.head
        found = []
        items = self._served_by(number).intersection(lines.items)
        if items:
            preferred = self._preferred_by(number)
            heads = lines.item_heads
            for item in items:
                mine = item in preferred
                for rank, key, ticket_id in heads(item):
                    found.append(_candidate(Candidate, (key, ticket_id, rank, mine)))
        if lines.named:
            for rank in RANKS:
                first = head(Line(None, number, rank))
                if first is not None:
                    found.append(Candidate(first[0], first[1], rank, True))
        return found

    def _recall(self, cmd: Recall) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.RECALL)
        limit = self.rules.calling.max_recalls
        if ticket.recalls >= limit:
            raise Conflict(
                f"ticket {ticket.number} has been recalled {ticket.recalls} times, the limit: "
                "mark it no-show or start serving",
                f"{ticket.number}号已重呼{ticket.recalls}次（上限{limit}次），请过号或开始办理",
            )
        return [
            TicketRecalled(
                at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number, recalls=ticket.recalls + 1
            )
        ]

    def _start(self, cmd: StartService) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.START)
        return [ServiceStarted(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number)]

    def _complete(self, cmd: CompleteService) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.COMPLETE)
        duration = self._service_duration(ticket, cmd.at)
        return [
            ServiceCompleted(
                at=cmd.at,
                actor=cmd.actor.name,
                ticket_id=ticket.id,
                counter=cmd.counter,
                duration_seconds=duration,
                item_seconds=update_service_time(self._service_seconds(ticket.item), duration),
                staff=counter.staff or "",
            )
        ]

    def _no_show(self, cmd: MarkNoShow) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.NO_SHOW)
        return [TicketMissed(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number)]

    def _suspend(self, cmd: Suspend) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.SUSPEND)
        return [TicketSuspended(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number)]

    def _transfer(self, cmd: Transfer) -> list[Event]:
        counter, ticket = self._current(cmd.counter, cmd.actor, cmd.expected_ticket, TicketStep.TRANSFER)
        if cmd.item is None and cmd.to_counter is None:
            raise Invalid("name the item or the counter to transfer the ticket to", "请选择要转移到的事项或窗口")
        item = cmd.item or ticket.item
        target = self._destination(item, cmd.to_counter)
        if target is not None:
            if target is counter:
                raise Invalid(
                    f"ticket {ticket.number} is already at counter {counter.number}",
                    f"{ticket.number}号已在{counter.number}号窗口",
                )
        else:
            if item == ticket.item:
                raise Invalid(
                    f"ticket {ticket.number} is already for {item}: choose another item or a counter",
                    "请选择其他事项或指定窗口",
                )
            if not self._item_counters().get(item):
                raise Conflict(f"no counter serves {item}", "暂无窗口办理该事项")
        return [
            TicketTransferred(
                at=cmd.at,
                actor=cmd.actor.name,
                ticket_id=ticket.id,
                counter=counter.number,
                item=item,
                to_counter=cmd.to_counter,
                note=cmd.note.strip()[:200],
            )
        ]

    def _destination(self, item: str, to_counter: int | None) -> CounterRecord | None:
        """Where a transfer or a move sends a ticket: an item of the hall, and a counter (if
        named) that exists and is not closed."""
        if item not in self.rules.item_by_code:
            raise Invalid(f"unknown item {item!r} in hall {self.rules.hall}", f"事项 {item} 不存在")
        if to_counter is None:
            return None
        target = self.counters.get(to_counter)
        if target is None:
            raise Invalid(f"counter {to_counter} does not exist", f"{to_counter}号窗口不存在")
        if target.state is CounterState.CLOSED:
            raise Conflict(f"counter {target.number} is closed", f"{target.number}号窗口已关闭")
        return target

    def _move(self, cmd: MoveTicket) -> list[Event]:
        self._require_staff(cmd.actor)
        ticket = self._find(cmd.ticket_id)
        if ticket.state is not TicketState.WAITING:
            raise Conflict(
                f"ticket {ticket.number} is not waiting: only a waiting ticket can be moved",
                f"{ticket.number}号不在等候中，不能改派",
            )
        item = cmd.item or ticket.item
        self._destination(item, cmd.to_counter)
        if not self._item_counters().get(item):  # else nobody calls it once that counter closes
            raise Conflict(f"no counter serves {item}", "暂无窗口办理该事项")
        if item == ticket.item and cmd.to_counter == ticket.to_counter:
            raise Invalid(
                f"ticket {ticket.number} already waits for that: choose another item or a counter",
                "该号已在此排队，请选择其他事项或指定窗口",
            )
        return [
            TicketMoved(
                at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, item=item, to_counter=cmd.to_counter,
                note=cmd.note.strip()[:200],
            )
        ]  # fmt: skip

    def _resume(self, cmd: Resume) -> list[Event]:
        counter = self._operated_counter(cmd.counter, cmd.actor)
        if counter.state is CounterState.CLOSED:
            raise Conflict(
                f"counter {counter.number} is closed: open it to resume a ticket",
                f"{counter.number}号窗口已关闭，请先开始服务",
            )
        if counter.current is not None:
            number = self.tickets[counter.current].number
            raise Conflict(
                f"counter {counter.number} is on ticket {number}: finish it first",
                f"{counter.number}号窗口当前还有{number}号，请先处理",
            )
        if cmd.ticket_id is None:
            if not counter.parked:
                raise Conflict(
                    f"counter {counter.number} has no suspended ticket", f"{counter.number}号窗口没有挂起的号"
                )
            if len(counter.parked) > 1:
                raise Invalid(
                    f"counter {counter.number} has {len(counter.parked)} suspended tickets: name the one to resume",
                    "该窗口有多个挂起的号，请选择要恢复的号",
                )
            ticket = self.tickets[counter.parked[0]]
        else:
            ticket = self._find(cmd.ticket_id)
            if ticket.id not in counter.parked:
                raise Conflict(
                    f"ticket {ticket.number} is not suspended at counter {counter.number}",
                    f"{ticket.number}号不是在{counter.number}号窗口挂起的",
                )
        self._step(ticket, TicketStep.RESUME)
        return [TicketResumed(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, counter=counter.number)]

    def _reinstate(self, cmd: Reinstate) -> list[Event]:
        self._require_staff(cmd.actor)
        ticket = self._find(cmd.ticket_id)
        self._step(ticket, TicketStep.REINSTATE)
        grace = self.rules.calling.no_show_grace_minutes
        assert ticket.missed_at is not None
        if cmd.at - ticket.missed_at > dt.timedelta(minutes=grace):
            raise Conflict(
                f"ticket {ticket.number} was marked no-show more than {grace} minutes ago: take a new ticket",
                f"{ticket.number}号过号已超过{grace}分钟，请重新取号",
            )
        return [
            TicketReinstated(
                at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id, key=self._reinstate_key(ticket, cmd.at)
            )
        ]

    def _reinstate_key(self, ticket: TicketRecord, at: dt.datetime) -> OrderKey:
        policy = self.rules.calling
        line = self._line_of(ticket)
        at_end = (micros(at), self.seq + 1)
        if policy.reinstate_position is ReinstatePosition.ORIGINAL:
            return ticket.key
        if policy.reinstate_position is ReinstatePosition.END:
            return at_end
        behind = policy.reinstate_behind
        if behind == 0:
            head = self.lines.key_at(line, 0)
            return ticket.key if head is None or ticket.key < head else (head[0] - 1, self.seq + 1)
        ahead = self.lines.key_at(line, behind - 1)
        if ahead is None:  # fewer than that wait: the end of the line
            return at_end
        return (*ahead, self.seq + 1)

    def _cancel(self, cmd: CancelTicket) -> list[Event]:
        self._require_staff(cmd.actor)
        ticket = self._find(cmd.ticket_id)
        self._step(ticket, TicketStep.CANCEL)
        return [TicketCancelled(at=cmd.at, actor=cmd.actor.name, ticket_id=ticket.id)]

    def _counter_step(self, cmd: OpenCounter | PauseCounter | CloseCounter) -> list[Event]:
        step = _COUNTER_COMMAND_STEPS[type(cmd)]
        counter = self._operated_counter(cmd.counter, cmd.actor)
        if next_counter_state(counter.state, step) is None:
            raise Conflict(
                f"counter {counter.number} is {counter.state}: it cannot {step}",
                f"{counter.number}号窗口{counter.state.label_zh}，不能{_COUNTER_STEP_ZH[step]}",
            )
        if step is CounterStep.CLOSE and counter.current is not None:
            number = self.tickets[counter.current].number
            raise Conflict(
                f"counter {counter.number} is still on ticket {number}: complete or transfer it before closing",
                f"{counter.number}号窗口还有{number}号未处理，请先办结或转移",
            )
        base: dict[str, Any] = {"at": cmd.at, "actor": cmd.actor.name, "counter": counter.number}
        if isinstance(cmd, PauseCounter):
            return [CounterPaused(**base, reason=cmd.reason, back_at=cmd.back_at)]
        if step is CounterStep.CLOSE:  # those sent to it by name go back to their item's line
            return [CounterClosed(**base, released=self._named_line(counter.number))]
        return [CounterOpened(**base)]

    def _sign_in(self, cmd: SignIn) -> list[Event]:
        counter = self._counter(cmd.counter)
        if cmd.actor.role not in _STAFF_ROLES:
            raise Forbidden("only staff accounts sign in at counters", "只有工作人员可以签到")
        if counter.staff == cmd.actor.name:
            return []
        if counter.staff is not None:
            raise Conflict(
                f"counter {counter.number} is signed in by {counter.staff}: "
                "they sign out first, or a manager signs them out",
                f"{counter.number}号窗口已由{counter.staff}签到，请其先签退或由管理员签退",
            )
        elsewhere = next((c for c in self.counters.values() if c.staff == cmd.actor.name), None)
        if elsewhere is not None:
            raise Conflict(
                f"{cmd.actor.name} is signed in at counter {elsewhere.number}: sign out there first",
                f"您已在{elsewhere.number}号窗口签到，请先签退",
            )
        return [
            StaffSignedIn(
                at=cmd.at,
                actor=cmd.actor.name,
                counter=counter.number,
                staff=cmd.actor.name,
                staff_name=cmd.actor.display_name,
            )
        ]

    def _sign_out(self, cmd: SignOut) -> list[Event]:
        counter = self._counter(cmd.counter)
        if counter.staff is None:
            raise Conflict(f"nobody is signed in at counter {counter.number}", f"{counter.number}号窗口无人签到")
        if not cmd.actor.role.manages and cmd.actor.name != counter.staff:
            raise Forbidden(
                f"counter {counter.number} is signed in by {counter.staff}, not {cmd.actor.name}",
                f"{counter.number}号窗口不是由您签到的",
            )
        if counter.current is not None:
            number = self.tickets[counter.current].number
            raise Conflict(
                f"counter {counter.number} is still on ticket {number}: finish it before signing out",
                f"{counter.number}号窗口还有{number}号未处理，请先处理再签退",
            )
        events: list[Event] = [
            StaffSignedOut(at=cmd.at, actor=cmd.actor.name, counter=counter.number, staff=counter.staff)
        ]
        if counter.state is CounterState.OPEN:  # nobody there: stop calling
            events.append(CounterPaused(at=cmd.at, actor=cmd.actor.name, counter=counter.number, reason="signed_out"))
        return events

    def _reconfigure(self, cmd: ReconfigureCounter) -> list[Event]:
        counter = self._counter(cmd.counter)
        if not cmd.actor.role.manages:
            raise Forbidden("only a manager can change a counter", "只有大厅管理员可以调整窗口")
        changes = {
            name: getattr(cmd, name)
            for name in ("name", "kind", "domains", "items", "profile")
            if getattr(cmd, name) is not None
        }
        spec = msgspec.structs.replace(counter.spec, **changes)
        self._check_spec(spec)
        if spec == counter.spec:
            return []
        if stranded := self._unserved_waiting_items({**self._specs(), counter.number: spec}):
            names = "、".join(self.rules.item_by_code[i].name for i in stranded if i in self.rules.item_by_code)
            raise Conflict(
                f"tickets for {', '.join(stranded)} are waiting and no other counter serves them: "
                "keep a counter for them, or transfer them first",
                f"“{names}”还有人在等候，且没有其他窗口可办理，请保留可办理的窗口或先转移",
            )
        return [CounterReconfigured(at=cmd.at, actor=cmd.actor.name, counter=counter.number, spec=spec)]

    def _announce(self, cmd: Announce) -> list[Event]:
        if not cmd.actor.role.manages:
            raise Forbidden("only a manager can make announcements", "只有大厅管理员可以发布广播")
        text, text_en = cmd.text.strip(), cmd.text_en.strip()
        if not text or len(text) > 200 or len(text_en) > 400:
            raise Invalid("an announcement has 1 to 200 characters (English: up to 400)", "广播内容应为1至200字")
        return [Announced(at=cmd.at, actor=cmd.actor.name, text=text, text_en=text_en)]

    def _alert_empty_post(self, cmd: AlertEmptyPost) -> list[Event]:
        if not (cmd.actor.role is Role.SYSTEM or cmd.actor.role.manages):
            raise Forbidden("only the hall's watcher or a manager raises an empty-post alert", "无权发出空岗提醒")
        counter = self._counter(cmd.counter)
        if counter.state is CounterState.OPEN and counter.staff is not None:
            raise Conflict(f"counter {cmd.counter} is staffed", f"{cmd.counter}号窗口有人在岗")
        if counter.alerted_since is not None:
            raise Conflict(f"counter {cmd.counter} is already alerted", f"{cmd.counter}号窗口已发出空岗提醒")
        waiting = self.waiting_for(cmd.counter)
        if waiting == 0:
            raise Conflict(f"nobody waits for counter {cmd.counter}", f"{cmd.counter}号窗口无人等候")
        return [PostAlerted(at=cmd.at, actor=cmd.actor.name, counter=cmd.counter, a=cmd.a, b=cmd.b, waiting=waiting)]

    def _define(self, cmd: DefineCounter) -> list[Event]:
        self._require_system(cmd.actor)
        self._check_spec(cmd.spec)
        existing = self.counters.get(cmd.spec.number)
        if existing is not None and existing.baseline == cmd.spec:
            return []
        return [CounterDefined(at=cmd.at, actor=cmd.actor.name, counter=cmd.spec.number, spec=cmd.spec)]

    def _retire(self, cmd: RetireCounter) -> list[Event]:
        self._require_system(cmd.actor)
        counter = self._counter(cmd.counter)
        held = ([counter.current] if counter.current else []) + counter.parked
        released = (*held, *self._named_line(counter.number))
        return [CounterRetired(at=cmd.at, actor=cmd.actor.name, counter=cmd.counter, released=released)]

    _DECIDERS: ClassVar[dict[type, Callable[[HallQueue, Any], list[Event]]]] = {
        StartDay: _start_day,
        IssueTicket: _issue,
        CallNext: _call_next,
        CallTicket: _call_ticket,
        Recall: _recall,
        StartService: _start,
        CompleteService: _complete,
        MarkNoShow: _no_show,
        Transfer: _transfer,
        MoveTicket: _move,
        Suspend: _suspend,
        Resume: _resume,
        Reinstate: _reinstate,
        CancelTicket: _cancel,
        OpenCounter: _counter_step,
        PauseCounter: _counter_step,
        CloseCounter: _counter_step,
        SignIn: _sign_in,
        SignOut: _sign_out,
        ReconfigureCounter: _reconfigure,
        Announce: _announce,
        AlertEmptyPost: _alert_empty_post,
        DefineCounter: _define,
        RetireCounter: _retire,
    }

    # ------------------------------------------------------------------ checks

    def _counter(self, number: int) -> CounterRecord:
        counter = self.counters.get(number)
        if counter is None:
            raise NotFound(f"counter {number} does not exist in hall {self.rules.hall}", f"{number}号窗口不存在")
        return counter

    def _operated_counter(self, number: int, actor: Actor) -> CounterRecord:
        """The counter, if ``actor`` may operate it: the staff signed in there, or a manager."""
        counter = self._counter(number)
        role = actor.role
        if role in _MANAGES or (role is Role.STAFF and counter.staff == actor.name):
            return counter
        if counter.staff is None:
            raise Forbidden(
                f"{actor.name} is not signed in at counter {number}: sign in first", f"请先在{number}号窗口签到"
            )
        raise Forbidden(
            f"counter {number} is signed in by {counter.staff}, not {actor.name}",
            f"{number}号窗口由{counter.staff}签到，您无权操作",
        )

    def _current(
        self, number: int, actor: Actor, expected: str | None, step: TicketStep
    ) -> tuple[CounterRecord, TicketRecord]:
        counter = self._operated_counter(number, actor)
        if counter.current is None:
            raise Conflict(
                f"counter {number} has no current ticket to {step.replace('_', '-')}",
                f"{number}号窗口当前没有可{step.label_zh}的号",
            )
        ticket = self.tickets[counter.current]
        if expected is not None and expected not in (ticket.id, ticket.number):
            raise Conflict(
                f"counter {number} is on ticket {ticket.number}, not {expected}",
                f"{number}号窗口当前是{ticket.number}号，不是{expected}",
            )
        self._step(ticket, step)
        return counter, ticket

    def _step(self, ticket: TicketRecord, step: TicketStep) -> TicketState:
        new = next_ticket_state(ticket.state, step)
        if new is None:
            raise Conflict(
                f"ticket {ticket.number} is {ticket.state.replace('_', '-')}: it cannot {step.replace('_', '-')}",
                f"{ticket.number}号{ticket.state.label_zh}，不能{step.label_zh}",
            )
        return new

    def _find(self, id_or_number: str) -> TicketRecord:
        ticket = self.tickets.get(id_or_number)
        if ticket is None:  # numbers are unique within a hall day, ids forever
            ticket = next((t for t in self.tickets.values() if t.number == id_or_number), None)
        if ticket is None:
            raise NotFound(f"no ticket {id_or_number} in hall {self.rules.hall} today", f"今日没有{id_or_number}号")
        return ticket

    def _require_staff(self, actor: Actor) -> None:
        if actor.role not in _STAFF_ROLES:
            raise Forbidden("only staff may do this", "只有工作人员可以操作")

    def _require_system(self, actor: Actor) -> None:
        if actor.role is not Role.SYSTEM:
            raise Forbidden("counters are defined in the hall file", "窗口定义来自大厅配置文件")

    def _check_spec(self, spec: CounterSpec) -> None:
        rules = self.rules
        problems = spec_problems(spec, rules.items, [d.code for d in rules.domains], rules.all_profiles)
        if problems:
            field, message = problems[0]
            where = f"{field}: " if field else ""
            raise Invalid(f"counter {spec.number}: {where}{message}", f"{spec.number}号窗口设置有误：{where}{message}")

    # ------------------------------------------------------------------ events

    def apply(self, recorded: Recorded) -> None:
        """Apply one recorded event: the only way the state changes."""
        if recorded.seq != self.seq + 1:
            raise ValueError(f"hall {self.rules.hall}: event {recorded.seq} follows {self.seq}; the record has a gap")
        self._APPLIERS[type(recorded.event)](self, recorded.event)
        self.seq = recorded.seq

    def _on_day_started(self, e: DayStarted) -> None:
        # Yesterday's open tickets expire and leave memory (the store keeps them, from
        # ``expired``); counters end the day closed, everybody signed out.
        ended = e.expired_at or e.at
        self.expired = []
        for ticket_id in e.expired:
            ticket = self.tickets[ticket_id]
            ticket.state, ticket.ended_at = advance_ticket(ticket.state, TicketStep.EXPIRE), ended
            self.expired.append(ticket)
        self.day = e.day
        self.tickets.clear()
        self.lines = WaitingLines()
        self.group_seq.clear()
        self.idempotency.clear()
        self.came_new, self.came_back, self.first_issued_at = [0, 0, 0], [0, 0, 0], None
        self.staffed_last_day = sorted(n for n, c in self.counters.items() if c.served)
        for counter in self.counters.values():
            counter.state = advance_counter(counter.state, CounterStep.DAY_END)
            counter.state_since, counter.pause_reason, counter.pause_back_at = e.at, "", None
            counter.staff, counter.staff_name, counter.current = None, "", None
            counter.alerted_since, counter.served, counter.visit_ended_at = None, 0, None
            counter.parked.clear()
        self._forget()

    def _on_issued(self, e: TicketIssued) -> None:
        ticket = TicketRecord(
            id=e.ticket_id,
            number=e.number,
            group=e.group,
            seq=e.seq,
            item=e.item,
            priority=e.priority,
            key=e.key,
            issued_at=e.at,
            state=_ISSUED,
            appointment_slot=e.appointment_slot,
            idempotency_key=e.idempotency_key,
            channel=e.channel,
        )
        self.tickets[ticket.id] = ticket
        self.lines.add(ticket.id, self._line_of(ticket), ticket.key)
        if self._trace is not None:
            line = self.lines.place(ticket.id)[0]
            if self.lines.key_at(line, -1) != ticket.key:  # not at the end of its line: not foreseen
                self._trace = None
            else:
                self._trace_index[ticket.id] = len(self._trace_joined)
                self._trace_joined.append((ticket, line))
        told, self._told_now = self._told_now, None
        self._told = (ticket.id, self.seq + 1, told[1]) if told is not None and told[0] == ticket.id else None
        if self.first_issued_at is None:
            self.first_issued_at = e.at
        self.came_new[e.priority.rank] += 1
        self.group_seq[e.group] = max(self.group_seq.get(e.group, 0), e.seq)
        if e.idempotency_key is not None:
            self.idempotency[e.idempotency_key] = ticket.id

    def _on_called(self, e: TicketCalled) -> None:
        ticket = self.tickets[e.ticket_id]
        if e.chosen:  # 叫此号: out of the calling rule's order
            self._trace = None
        else:
            self._follows(ticket, e.at, ended=False)
        ticket.state = advance_ticket(ticket.state, TicketStep.CALL)
        self.lines.remove(ticket.id)
        ticket.counter, ticket.to_counter, ticket.called_at, ticket.recalls = e.counter, None, e.at, 0
        counter = self.counters[e.counter]
        counter.current = ticket.id
        if counter.visit_ended_at is not None:
            gap = (e.at - counter.visit_ended_at).total_seconds()
            if 0 <= gap <= _LONGEST_GAP:  # longer: nobody was waiting for it, not a clerk's pace
                self.call_gap_seconds = update_average(self.call_gap_seconds, gap)
            counter.visit_ended_at = None

    def _on_recalled(self, e: TicketRecalled) -> None:
        ticket = self.tickets[e.ticket_id]
        ticket.state = advance_ticket(ticket.state, TicketStep.RECALL)
        ticket.recalls = e.recalls

    def _on_started(self, e: ServiceStarted) -> None:
        ticket = self.tickets[e.ticket_id]
        ticket.state, ticket.started_at = advance_ticket(ticket.state, TicketStep.START), e.at

    def _on_completed(self, e: ServiceCompleted) -> None:
        ticket = self.tickets[e.ticket_id]
        self._follows(ticket, e.at, ended=True)
        item_seconds = e.item_seconds  # decided with the event: replay is exact
        if item_seconds is None:  # recorded by the first release, which decided it here
            item_seconds = update_service_time(self._service_seconds(ticket.item), self._service_duration(ticket, e.at))
        ticket.state, ticket.ended_at = advance_ticket(ticket.state, TicketStep.COMPLETE), e.at
        counter = self.counters[e.counter]
        counter.current, counter.served = None, counter.served + 1
        self.service_seconds[ticket.item] = item_seconds
        if self.quotes:
            self._visit_ended(ticket, counter, e.at)

    def _visit_ended(self, ticket: TicketRecord, counter: CounterRecord, at: dt.datetime) -> None:
        """A citizen left ``counter`` at ``at``: how long the ticket held it, for the estimates;
        and, if someone waits for it, the clerk's gap to the next call starts (with nobody
        waiting, the time until someone comes is not the clerk's pace)."""
        counter.visit_ended_at = at if self.has_waiting_for(counter.number) else None
        if ticket.called_at is not None:
            held = max((at - ticket.called_at).total_seconds() - ticket.suspended_seconds, 0.0)
            # from the record alone: a replay (with quotes) learns exactly the same
            self.visit_seconds[ticket.item] = update_average(self.visit_seconds.get(ticket.item), held)

    def _on_missed(self, e: TicketMissed) -> None:
        ticket = self.tickets[e.ticket_id]
        self._follows(ticket, e.at, ended=True)
        ticket.state, ticket.missed_at = advance_ticket(ticket.state, TicketStep.NO_SHOW), e.at
        self.counters[e.counter].current = None
        if self.quotes:
            self._visit_ended(ticket, self.counters[e.counter], e.at)

    def _on_reinstated(self, e: TicketReinstated) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        ticket.state = advance_ticket(ticket.state, TicketStep.REINSTATE)
        ticket.key, ticket.counter, ticket.reinstated = e.key, None, True
        ticket.called_at = ticket.started_at = ticket.missed_at = None
        self.lines.add(ticket.id, self._line_of(ticket), ticket.key)
        self.came_back[ticket.priority.rank] += 1

    def _on_transferred(self, e: TicketTransferred) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        ticket.state = advance_ticket(ticket.state, TicketStep.TRANSFER)
        self.counters[e.counter].current = None
        if self.quotes:
            self._visit_ended(ticket, self.counters[e.counter], e.at)
        ticket.item, ticket.to_counter, ticket.transfers = e.item, e.to_counter, ticket.transfers + 1
        ticket.transferred_from, ticket.transfer_note = e.counter, e.note
        self.came_back[ticket.priority.rank] += 1
        self._back_in_line(ticket)

    def _on_moved(self, e: TicketMoved) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        self.lines.remove(ticket.id)
        ticket.item, ticket.to_counter = e.item, e.to_counter
        ticket.transferred_from, ticket.transfer_note = None, e.note  # sent by the desk, not a counter
        self.lines.add(ticket.id, self._line_of(ticket), ticket.key)  # its place kept, in its new line

    def _on_suspended(self, e: TicketSuspended) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        ticket.state, ticket.suspended_at = advance_ticket(ticket.state, TicketStep.SUSPEND), e.at
        counter = self.counters[e.counter]
        counter.current = None
        counter.parked.append(ticket.id)

    def _on_resumed(self, e: TicketResumed) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        ticket.state = advance_ticket(ticket.state, TicketStep.RESUME)
        if ticket.suspended_at is not None:  # the time away is not service time
            ticket.suspended_seconds += (e.at - ticket.suspended_at).total_seconds()
        ticket.suspended_at, ticket.started_at = None, ticket.started_at or e.at
        counter = self.counters[e.counter]
        counter.parked.remove(ticket.id)
        counter.current, counter.visit_ended_at = ticket.id, None

    def _on_cancelled(self, e: TicketCancelled) -> None:
        self._trace = None  # not foreseen by the projection
        ticket = self.tickets[e.ticket_id]
        if ticket.id in self.lines:
            self.lines.remove(ticket.id)
        if ticket.state is TicketState.SUSPENDED and ticket.counter in self.counters:
            self.counters[ticket.counter].parked.remove(ticket.id)
        ticket.state, ticket.ended_at = advance_ticket(ticket.state, TicketStep.CANCEL), e.at

    def _on_counter_state(self, e: CounterOpened | CounterPaused | CounterClosed) -> None:
        counter = self.counters[e.counter]
        was_paused = counter.state is CounterState.PAUSED and counter.state_since is not None
        if self.quotes and was_paused and isinstance(e, CounterOpened):  # learned with visits and gaps
            paused = (e.at - counter.state_since).total_seconds()  # how long this hall's pauses last
            self.pause_seconds = update_average(self.pause_seconds, paused)
        counter.state = advance_counter(counter.state, _COUNTER_EVENT_STEPS[type(e)])
        counter.state_since = e.at
        counter.pause_reason = e.reason if isinstance(e, CounterPaused) else ""
        counter.pause_back_at = e.back_at if isinstance(e, CounterPaused) else None
        counter.visit_ended_at = None  # a pause or a closing is not a gap between citizens
        if isinstance(e, CounterOpened):
            counter.alerted_since = None  # someone serves the post again
        if isinstance(e, CounterClosed):
            for ticket_id in e.released:  # sent to it by name: back in their item's line, same place
                ticket = self.tickets[ticket_id]
                self.lines.remove(ticket_id)
                ticket.to_counter = None
                self.lines.add(ticket_id, self._line_of(ticket), ticket.key)
        self._forget()

    def _on_post_alerted(self, e: PostAlerted) -> None:
        counter = self.counters[e.counter]
        counter.alerted_since, counter.alerted_a, counter.alerted_b = e.at, e.a, e.b

    def _on_signed_in(self, e: StaffSignedIn) -> None:
        self._trace = None  # not foreseen by the projection
        counter = self.counters[e.counter]
        counter.staff, counter.staff_name = e.staff, e.staff_name

    def _on_signed_out(self, e: StaffSignedOut) -> None:
        self._trace = None  # not foreseen by the projection
        counter = self.counters[e.counter]
        counter.staff, counter.staff_name = None, ""

    def _on_reconfigured(self, e: CounterReconfigured) -> None:
        self.counters[e.counter].spec = e.spec
        self._forget()

    def _on_defined(self, e: CounterDefined) -> None:
        counter = self.counters.get(e.counter)
        if counter is None:
            self.counters[e.counter] = CounterRecord(spec=e.spec, baseline=e.spec, state_since=e.at)
        else:
            counter.spec = counter.baseline = e.spec
        self._forget()

    def _on_retired(self, e: CounterRetired) -> None:
        self.counters.pop(e.counter)
        self._forget()
        for ticket_id in e.released:  # what it held or was sent by name waits again, in its old place
            ticket = self.tickets[ticket_id]
            if ticket_id in self.lines:
                self.lines.remove(ticket_id)
            else:
                ticket.state = advance_ticket(ticket.state, TicketStep.RELEASE)
            ticket.to_counter = None
            self._back_in_line(ticket)

    def _back_in_line(self, ticket: TicketRecord) -> None:
        """A ticket that was at a counter waits again, keeping its place: a new visit begins."""
        ticket.counter, ticket.called_at, ticket.started_at, ticket.recalls = None, None, None, 0
        ticket.suspended_at, ticket.suspended_seconds = None, 0.0
        self.lines.add(ticket.id, self._line_of(ticket), ticket.key)

    _APPLIERS: ClassVar[dict[type, Callable[[HallQueue, Any], None]]] = {
        DayStarted: _on_day_started,
        TicketIssued: _on_issued,
        TicketCalled: _on_called,
        TicketRecalled: _on_recalled,
        ServiceStarted: _on_started,
        ServiceCompleted: _on_completed,
        TicketMissed: _on_missed,
        TicketReinstated: _on_reinstated,
        TicketTransferred: _on_transferred,
        TicketMoved: _on_moved,
        TicketSuspended: _on_suspended,
        TicketResumed: _on_resumed,
        TicketCancelled: _on_cancelled,
        CounterOpened: _on_counter_state,
        CounterPaused: _on_counter_state,
        CounterClosed: _on_counter_state,
        StaffSignedIn: _on_signed_in,
        StaffSignedOut: _on_signed_out,
        Announced: lambda self, e: None,  # nothing in the queue changes
        PostAlerted: _on_post_alerted,
        CounterReconfigured: _on_reconfigured,
        CounterDefined: _on_defined,
        CounterRetired: _on_retired,
    }

    # ------------------------------------------------------------------ derived facts

    def _line_of(self, ticket: TicketRecord) -> Line:
        rank = ticket.priority.rank
        if ticket.to_counter is not None:
            return Line(None, ticket.to_counter, rank)
        return self.lines.item_line(ticket.item, rank)

    def _named_line(self, number: int) -> tuple[str, ...]:
        """The tickets transferred to counter ``number`` by name, waiting for it."""
        return tuple(t for rank in RANKS for t in self.lines.ticket_ids(Line(None, number, rank)))

    def _cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def forget_projection(self) -> None:
        """Play the estimates' projection afresh at the next estimate, as a hall restored from
        its record does (``_projection``: between plays, estimates come from the last one)."""
        self._trace = None

    def _forget(self) -> None:
        self._cache.clear()
        self._trace = None
        self._served.clear()
        self._preferred.clear()

    def _served_by(self, number: int) -> frozenset[str]:
        served = self._served.get(number)
        if served is None:
            served = self._served[number] = served_items(self.counters[number].spec, self.rules.items)
        return served

    def _preferred_by(self, number: int) -> frozenset[str]:
        preferred = self._preferred.get(number)
        if preferred is None:
            spec = self.counters[number].spec
            profile = self.rules.all_profiles[spec.profile or default_profile_name(spec.kind)]
            preferred = self._preferred[number] = preferred_items(spec, profile, self.rules.items)
        return preferred

    def _specs(self) -> dict[int, CounterSpec]:
        return {number: counter.spec for number, counter in self.counters.items()}

    def _item_counters(self) -> dict[str, tuple[int, ...]]:
        """For each item, the counters that may serve it (whatever their state)."""
        found = self._cache.get("item_counters")
        if found is None:
            serving: dict[str, list[int]] = {}
            for number in sorted(self.counters):
                for item in self._served_by(number):
                    serving.setdefault(item, []).append(number)
            found = self._cache["item_counters"] = {item: tuple(numbers) for item, numbers in serving.items()}
        return found

    def _unserved_waiting_items(self, specs: dict[int, CounterSpec]) -> list[str]:
        """Items with tickets waiting in their line that no counter of ``specs`` serves."""
        served = set().union(*(served_items(spec, self.rules.items) for spec in specs.values()))
        return sorted({line.item for line, _ in self.lines.lines() if line.item is not None} - served)

    def _available(self, numbers: tuple[int, ...]) -> tuple[int, ...]:
        """Who will serve: the open ones among ``numbers``; none if none is open (when a paused
        or closed counter's clerk comes back is not known: no minutes are made up for it)."""
        return tuple(n for n in numbers if self.counters[n].state is CounterState.OPEN)

    def _item_lines(self, number: int) -> tuple[tuple[Line, bool], ...]:
        """The lines of the items counter ``number`` serves, with whether it prefers each."""

        def compute() -> tuple[tuple[Line, bool], ...]:
            preferred = self._preferred_by(number)
            return tuple(
                (Line(item, None, rank), item in preferred)
                for item in sorted(self._served_by(number))
                for rank in RANKS
            )

        return self._cached(("item_lines", number), compute)

    def _own_lines(self, number: int) -> tuple[tuple[Line, bool], ...]:
        """Counter ``number``'s own lines: tickets transferred to it by name (always preferred)."""
        return self._cached(("own_lines", number), lambda: tuple((Line(None, number, rank), True) for rank in RANKS))

    def _sharers(self, line: Line) -> int:
        """How many counters share the work of a line (a counter's own line: one)."""
        if line.item is None:
            return 1
        return self._cached(
            ("sharers", line.item), lambda: len(self._available(self._item_counters().get(line.item, ()))) or 1
        )

    def _service_seconds(self, item: str) -> float:
        if item in self.service_seconds:
            return self.service_seconds[item]
        known = self.rules.item_by_code.get(item)
        return known.service_minutes * 60 if known else _DEFAULT_SERVICE_SECONDS

    def _service_duration(self, ticket: TicketRecord, end: dt.datetime) -> float:
        """Seconds at the counter, from the call (or the start) to ``end``, less time away suspended."""
        began = ticket.started_at or ticket.called_at or end
        return max((end - began).total_seconds() - ticket.suspended_seconds, 0.0)

    def _remaining(self, number: int, at: dt.datetime) -> float:
        """Seconds still to go at counter ``number`` with its current ticket."""
        current = self.counters[number].current
        if current is None:
            return 0.0
        ticket = self.tickets[current]
        began = ticket.started_at or ticket.called_at or at
        spent = (at - began).total_seconds() - ticket.suspended_seconds
        return max(self._service_seconds(ticket.item) - spent, 0.0)

    # ------------------------------------------------------------------ queries

    def ticket(self, ticket_id: str) -> TicketRecord | None:
        return self.tickets.get(ticket_id)

    def ticket_by_key(self, idempotency_key: str) -> TicketRecord | None:
        ticket_id = self.idempotency.get(idempotency_key)
        return None if ticket_id is None else self.tickets[ticket_id]

    def estimate(
        self, ticket: TicketRecord, at: dt.datetime, projected: tuple[float | None, float] | None = None
    ) -> Estimate | None:
        """People ahead and the estimated wait (see ``estimates.py``); None if it no longer
        waits, or if no counter of the hall can serve it at all. While none that can serve it
        is open, the people ahead are counted in the calling order of all of them,
        with no minutes but when the hall's next opening span begins (if one does today)."""
        if ticket.state is not TicketState.WAITING:
            return None
        told = self._told
        if told is not None and told[0] == ticket.id and told[1] == self.seq and at - ticket.issued_at < _JUST_NOW:
            return told[2]  # what the slip says, asked again at once: the same answer
        best: tuple[float, int] | None = None
        lines, rank, key = self.lines, ticket.priority.rank, ticket.key

        def consider(ahead: dict[Line, int], remaining: float) -> None:
            nonlocal best
            work = sum(
                n * self._service_seconds(line.item or ticket.item) / self._sharers(line) for line, n in ahead.items()
            )
            option = (remaining + work, sum(ahead.values()))
            best = option if best is None or option < best else best

        for item_lines, preferred, numbers in self._alike_counters(ticket.item, ticket.to_counter):
            # Counters alike see the same tickets ahead in their items' lines; those with
            # tickets sent to them by name (rare) are looked at one by one.
            ahead = ahead_at_counter(lines, item_lines, rank, key, preferred)
            alike: list[int] = []
            for number in numbers:
                own = self._own_lines(number)
                if lines.named and any(lines.size(line) for line, _ in own):
                    consider(
                        {**ahead, **ahead_at_counter(lines, own, rank, key, preferred)}, self._remaining(number, at)
                    )
                else:
                    alike.append(number)
            if alike:
                consider(ahead, min(self._remaining(number, at) for number in alike))
        if best is not None:
            # ``projected``: the seconds until it is called and the projection's last call, if
            # already known (the kiosk's items are projected all at once)
            projected, last = projected or self._projected_seconds(ticket, at)
            if projected is None:  # beyond the projection's horizon: the quick sum, never less
                return Estimate(people_ahead=best[1], wait_minutes=minutes(max(best[0], last)))
            if projected == AFTER_HOURS:  # today's service ends before its turn: no minutes made up
                return Estimate(people_ahead=best[1], wait_minutes=None)
            # Those who come into line later go ahead only until the fairness rule puts this one first.
            exposed = projected
            if self._fairness_us is not None:
                exposed = min(projected, max(self._fairness_us / 1e6 - (micros(at) - ticket.key[0]) / 1e6, 0.0))
            told = minutes(projected + exposed * (self._stretch(at, ticket.priority.rank) - 1))
            told = max(told, 1) if best[1] else told  # people ahead are never "0 minutes" away
            # Minutes are told only while a counter for it is open (best): of the wait only a
            # break of the hall's on the way is a certain absence; the rest may spread.
            closed = self._closed_seconds(at, projected) / 60
            return Estimate(people_ahead=best[1], wait_minutes=told, wait_range=wait_range(told, best[1], closed))
        fewest: int | None = None  # nobody serves it now: the people ahead at whichever counter opens
        for item_lines, preferred, numbers in self._alike_counters(ticket.item, ticket.to_counter, closed=True):
            for number in numbers:
                own = self._own_lines(number) if lines.named else ()
                n = sum(ahead_at_counter(lines, item_lines + own, rank, key, preferred).values())
                fewest = n if fewest is None else min(fewest, n)
        if fewest is None:
            return None
        return Estimate(people_ahead=fewest, wait_minutes=None, opens_at=self.rules.next_opening(at))

    def _projected_seconds(self, ticket: TicketRecord, at: dt.datetime) -> tuple[float | None, float]:
        """Seconds until ``ticket`` is called, the waiting tickets handed out to the counters as
        they come free by the calling rule (``projection.py``), None if no counter would call it
        within the horizon; and the last call the projection reached. A ticket not yet in line
        (being issued, or a kiosk's question) is put in its place."""
        trace, elapsed = self._projection(at)
        line = self._line_of(ticket)
        joined = self._trace_index.get(ticket.id)
        if ticket.key[1] <= self._trace_seq:  # in line when the projection was played
            projected = trace.called.get(ticket.id)
            if projected is None:
                projected = trace.unreached()
        elif joined is not None:  # came into line since: placed after those before it
            projected = self._placements(trace)[joined][0]
        elif (last := self.lines.key_at(line, -1)) is None or ticket.key > last:  # coming now, behind its line
            projected = self._place(trace, line, ticket.key, keep=False)[0]
        else:  # an appointment checked in ahead of tickets already in line: played with it
            return self._play_with(ticket, line, at)
        if projected is not None and projected != AFTER_HOURS:
            projected = trace.after(projected, self._joined_ahead(trace, line, ticket.key, ticket.id))
            if projected != AFTER_HOURS:
                projected = max(projected - elapsed, 0.0)
        return projected, max(trace.last - elapsed, 0.0)

    def _projection(self, at: dt.datetime) -> tuple[Trace, float]:
        """The hall played forward (``projection.play``) and the seconds since. Played again when
        the hall did not do what it foresaw (see ``_follows``), when a counter changed or a
        ticket moved otherwise, after ``_REPLAY_US`` or at the end of the span under way, or
        after enough events that the new tickets placed into it would be many."""
        now_us = micros(at)
        trace = self._trace
        if (
            trace is None
            or not 0 <= now_us - trace.now_us <= _REPLAY_US
            or (trace.hours is not None and now_us - trace.now_us >= trace.hours[0][1] * 1e6)
            or self.seq - self._trace_seq > max(_REPLAY_EVENTS, len(self.lines) // 4)
        ):
            trace = self._play(at)
            trace.inherit(self._played)
            self._trace = self._played = trace
            self._trace_seq, self._trace_joined, self._trace_index = self.seq, [], {}
            self._trace_spots, self._trace_taken, self._trace_free, self._trace_ended = [], set(), [], set()
        return trace, (now_us - trace.now_us) / 1e6

    def _follows(self, ticket: TicketRecord, at: dt.datetime, ended: bool) -> None:
        """Keep the projection only if the hall does what it foresaw, within ``_FORESEEN``: this
        ticket called (``ended``: leaving its counter) when it said; else play it again."""
        trace = self._trace
        if trace is None:
            return
        if ended:
            foreseen = trace.ends.get(ticket.id)
            if foreseen is None and ticket.counter in trace.counters and ticket.key[1] <= self._trace_seq:
                foreseen = trace.counters[ticket.counter].free_in  # at the counter when it was played
            if foreseen is not None:
                foreseen -= trace.gap
        else:
            foreseen = trace.called.get(ticket.id)
        if foreseen is None or abs(foreseen - (micros(at) - trace.now_us) / 1e6) > _FORESEEN:
            self._trace = None

    def _placements(self, trace: Trace) -> list[tuple[float | None, bool]]:
        """Where each ticket that came into line since the play was placed, in the order they
        came, each after those before it; and whether a counter with nothing else to call took
        it (exact: that counter is free again after its visit, the rest of the play unchanged).
        One that a busy counter takes counts by its share instead (``_joined_ahead``)."""
        spots = self._trace_spots
        while len(spots) < len(self._trace_joined):
            ticket, line = self._trace_joined[len(spots)]
            spots.append(self._place_next(trace, line, ticket.key, keep=True, item=ticket.item))
        return spots

    def _place(
        self, trace: Trace, line: Line, key: OrderKey, *, keep: bool, item: str | None = None
    ) -> tuple[float | None, bool]:
        """``Trace.place`` after every ticket that came into line since the play."""
        self._placements(trace)
        return self._place_next(trace, line, key, keep=keep, item=item)

    def _place_next(
        self, trace: Trace, line: Line, key: OrderKey, *, keep: bool, item: str | None = None
    ) -> tuple[float | None, bool]:
        """``Trace.place`` after the tickets placed so far; ``keep``: record that this one holds
        the counter that takes it (a question, or a ticket not yet in line, does not)."""
        when, where = trace.place(line, key, self._trace_taken, self._trace_free, self._trace_ended)
        if where is None:
            return when, False
        if keep and when is not None and item is not None:
            if where >= 0:
                self._trace_taken.add(where)
                number = trace.steps[where][1]
            else:
                number = self._trace_free.pop(-1 - where)[1]
            gap = _FIRST_GAP if self.call_gap_seconds is None else self.call_gap_seconds
            again = trace.after(when, [self._visit_seconds(item) + gap])
            if again == AFTER_HOURS:
                self._trace_ended.add(number)
            else:
                bisect.insort(self._trace_free, (again, number))
        return when, True

    def _play_with(self, ticket: TicketRecord, line: Line, at: dt.datetime) -> tuple[float | None, float]:
        """Played afresh with ``ticket`` in its place (one ahead of others in its line)."""
        trace = self._play(at, (line, ticket.key, ticket.id))
        projected = trace.called.get(ticket.id)
        return (trace.unreached() if projected is None else projected), trace.last

    def _joined_ahead(self, trace: Trace, line: Line, key: OrderKey, ticket_id: str) -> list[float]:
        """The counters' time taken by each ticket that came into line since ``trace`` was
        played, that a busy counter took, and that a counter calling from ``line`` would call
        before one there with ``key`` (a better class, a line it prefers, or the same and
        earlier), shared among those counters."""
        if not self._trace_joined:
            return []
        sharers = trace.sharers(line)
        if not sharers:
            return []
        gap = _FIRST_GAP if self.call_gap_seconds is None else self.call_gap_seconds
        shares = []
        before, waiting = trace.before, TicketState.WAITING
        for (other, their), (_, idle) in zip(self._trace_joined, self._placements(trace), strict=True):
            if idle:
                continue  # taken by a counter that had nothing else to call: it holds up nobody in the play
            ahead = before(their, line)
            if (
                (ahead == ALWAYS or (ahead == IF_EARLIER and other.key < key))
                and other.state is waiting
                and other.id != ticket_id
            ):
                shares.append((self._visit_seconds(other.item) + gap) / sharers)
        return shares

    def _stretch(self, at: dt.datetime, rank: int) -> float:
        """How much longer a wait of class ``rank`` gets from those who will come into line
        ahead of it (a higher class; one of its own class back in line) at today's rate so
        far: they take that share of the counters' time."""
        counters = sum(c.state is CounterState.OPEN for c in self.counters.values())
        if self.first_issued_at is None or not counters:
            return 1.0
        ahead = sum(self.came_new[r] + self.came_back[r] for r in range(rank)) + self.came_back[rank]
        seconds = max((at - self.first_issued_at).total_seconds(), 3600.0)  # a day's first hour says little
        visits = self.visit_seconds or self.service_seconds
        visit = sum(visits.values()) / len(visits) if visits else _DEFAULT_SERVICE_SECONDS
        share = min(ahead / seconds * visit / counters, _MOST_TAKEN)
        return 1 / (1 - share)

    def _probe_items(self, at: dt.datetime) -> tuple[dict[str, float], float]:
        """When a walk-in of each item taken now would be called, from one projection: each
        item's question at the end of its line, holding no counter (so none delays another)."""
        trace, elapsed = self._projection(at)
        key = (micros(at), self.seq + 1)
        probed = {}
        for item in self.rules.items:
            if not self._available(self._item_counters().get(item.code, ())):
                continue  # told when service begins instead: no projection asked
            line = self.lines.item_line(item.code, Priority.WALK_IN.rank)
            projected = self._place(trace, line, key, keep=False)[0]
            if projected is None:
                continue
            if projected != AFTER_HOURS:
                projected = trace.after(projected, self._joined_ahead(trace, line, key, ""))
            if projected != AFTER_HOURS:
                projected = max(projected - elapsed, 0.0)
            probed[item.code] = projected
        return probed, max(trace.last - elapsed, 0.0)

    def _play(self, at: dt.datetime, inserted: tuple[Line, OrderKey, str] | None = None) -> Trace:
        gap = _FIRST_GAP if self.call_gap_seconds is None else self.call_gap_seconds
        pause = _FIRST_PAUSE if self.pause_seconds is None else self.pause_seconds
        opening = self.rules.next_opening(at)  # before the hall opens: its usual counters open then
        free = []
        for number, counter in self.counters.items():
            if counter.state is CounterState.OPEN:
                back = 0.0
            elif counter.state is CounterState.PAUSED:
                if counter.pause_back_at is not None:  # the clerk said when (late: a few minutes more)
                    back = max((counter.pause_back_at - at).total_seconds(), _STILL_AWAY)
                else:  # as long as this hall's pauses last
                    away = (at - (counter.state_since or at)).total_seconds()
                    back = max(pause - away, _STILL_AWAY)
            elif opening is not None and (counter.staff or counter.served or number in self.staffed_last_day):
                back = (opening - at).total_seconds()  # signed in, or served today or on the last day
            else:
                continue
            busy = 0.0
            if counter.current is not None:
                current = self.tickets[counter.current]
                began = current.called_at or at
                held = (at - began).total_seconds() - current.suspended_seconds
                busy = max(self._visit_seconds(current.item) - held, 0.0) + gap
            own = self._own_lines(number) if self.lines.named else ()
            free.append(FreeCounter(number, max(back, busy), self._item_lines(number) + own))
        visits = _Visits(self, gap)
        now_us = micros(at)
        lines = self.lines.by_line()
        if inserted is not None:  # a ticket not yet in line (being issued), in its place
            line, key, ticket_id = inserted
            entries = lines[line] = list(lines.get(line, ()))
            bisect.insort(entries, (key, ticket_id))
        trace = play(lines, free, visits, now_us, self._fairness_us, _PROJECTED_CALLS, self._hours(now_us))
        trace.gap = gap  # what of each visit is the clerk's gap (``_follows``)
        return trace

    def _closed_seconds(self, at: dt.datetime, within: float) -> float:
        """How much of the next ``within`` seconds the hall's breaks take (as the projection
        sees them: see ``_hours``)."""
        hours = self._hours(micros(at))
        if not hours or within <= hours[0][1]:
            return 0.0  # the hot case: no break before the call
        return sum(max(min(within, start) - end, 0.0) for (_, end), (start, _) in itertools.pairwise(hours))

    def _hours(self, now_us: int) -> list[tuple[float, float]] | None:
        """Today's opening spans still to come, in seconds from now, for the projection; the
        first starts now if the hall is closed now (before opening, in a break): a counter
        open then is seen working and serves on to that span's end. None: no limit (a day
        with no hours, or after its last closing: counters still open serve on)."""
        hours = [((start - now_us) / 1e6, (end - now_us) / 1e6) for start, end in self._spans_us if end > now_us]
        if hours:
            hours[0] = (min(hours[0][0], 0.0), hours[0][1])
        return hours or None

    def _visit_seconds(self, item: str) -> float:
        """How long a ticket of ``item`` holds its counter, from the call to the citizen leaving."""
        known = self.visit_seconds.get(item)
        return known if known is not None else self._service_seconds(item)

    def serving_counters(self, item: str, to_counter: int | None = None) -> tuple[int, ...]:
        """The counters a ticket of ``item`` (or sent to ``to_counter``) may be called to, for
        the slip and the screens: the open ones, else every one that serves it."""
        if to_counter is not None:
            return (to_counter,) if to_counter in self.counters else ()
        numbers = self._item_counters().get(item, ())
        return self._available(numbers) or numbers

    def item_estimate(
        self, item: str, at: dt.datetime, probed: tuple[dict[str, float], float] | None = None
    ) -> Estimate | None:
        """What a walk-in ticket of ``item`` taken at ``at`` would be told (the kiosk shows it
        on the item's button, before the citizen chooses); ``probed``: every item's call,
        projected at once (``_probe_items``)."""
        known = self.rules.item_by_code.get(item)
        if known is None:
            return None
        probe = TicketRecord(
            id="", number="", group=known.group, seq=0, item=item, priority=Priority.WALK_IN,
            key=(micros(at), self.seq + 1), issued_at=at,
        )  # fmt: skip
        projected = None if probed is None else (probed[0].get(item), probed[1])
        return self.estimate(probe, at, projected)

    def _alike_counters(
        self, item: str, to_counter: int | None, closed: bool = False
    ) -> list[tuple[tuple[tuple[Line, bool], ...], bool, tuple[int, ...]]]:
        """The counters that would serve a ticket of ``item`` (or sent to ``to_counter``), in
        sets that call from the same items' lines with the same preferences: (those lines,
        whether these counters prefer the ticket, their numbers). Those open or paused, or
        with ``closed`` every one of them whatever its state."""

        def compute() -> list[tuple[tuple[tuple[Line, bool], ...], bool, tuple[int, ...]]]:
            if to_counter is not None:
                candidates: tuple[int, ...] = (to_counter,) if to_counter in self.counters else ()
            else:
                candidates = self._item_counters().get(item, ())
            alike: dict[tuple[tuple[tuple[Line, bool], ...], bool], list[int]] = {}
            for number in candidates if closed else self._available(candidates):
                preferred = to_counter == number or item in self._preferred_by(number)
                alike.setdefault((self._item_lines(number), preferred), []).append(number)
            return [(lines, preferred, tuple(numbers)) for (lines, preferred), numbers in alike.items()]

        return self._cached(("alike", item, to_counter, closed), compute)

    def preview_reconfigure(self, cmd: ReconfigureCounter) -> ReconfigurePreview:
        """What a manager's change of a counter would do, changing nothing: what it would
        serve, what it would gain and lose, which waiting tickets it could then call (in the
        order it would call them), or why the change would be refused."""
        counter = self._counter(cmd.counter)
        try:
            events = self._reconfigure(cmd)
        except Refusal as refusal:
            return ReconfigurePreview(counter=cmd.counter, allowed=False, refusal=refusal.message_zh)
        spec = events[0].spec if events else counter.spec  # type: ignore[union-attr]
        before = self._served_by(cmd.counter)
        after = served_items(spec, self.rules.items)
        profile = self.rules.all_profiles[spec.profile or default_profile_name(spec.kind)]
        preferred = preferred_items(spec, profile, self.rules.items)
        candidates = [
            (rank, item not in preferred, key, ticket_id)
            for item in after
            for rank in RANKS
            for key, ticket_id in self.lines.entries(Line(item, None, rank))
        ]
        candidates += [
            (rank, False, key, ticket_id)
            for rank in RANKS
            for key, ticket_id in self.lines.entries(Line(None, cmd.counter, rank))
        ]
        order = sorted(candidates)
        return ReconfigurePreview(
            counter=cmd.counter,
            allowed=True,
            changed=bool(events),
            serves=tuple(sorted(after)),
            gains=tuple(sorted(after - before)),
            loses=tuple(sorted(before - after)),
            could_call=tuple(self.tickets[t].number for *_, t in order[:50]),
            waiting=len(order),
        )

    def desk_view(self, number: int, at: dt.datetime, limit: int = 30) -> DeskView:
        """What the clerk at counter ``number`` sees: its ticket and the ``limit`` tickets it
        would call next, in the calling rule's order (fairness at ``at`` included)."""
        counter = self._counter(number)
        lines = self.lines
        fairness = self._fairness_us
        now_us = micros(at)
        preferred = self._preferred_by(number)
        order = []
        for item in self._served_by(number).intersection(lines.items):
            mine = item in preferred
            for rank in RANKS:
                for key, ticket_id in lines.entries(Line(item, None, rank)):
                    order.append((call_rank(Candidate(key, ticket_id, rank, mine), now_us, fairness), ticket_id))
        if lines.named:
            for rank in RANKS:
                for key, ticket_id in lines.entries(Line(None, number, rank)):
                    order.append((call_rank(Candidate(key, ticket_id, rank, True), now_us, fairness), ticket_id))
        waiting = len(order)
        order = heapq.nsmallest(limit, order)  # a long line: only its head is shown
        return DeskView(
            counter=self.counter_view(number),
            current=self._desk_ticket(self.tickets[counter.current], False) if counter.current else None,
            next_up=[self._desk_ticket(self.tickets[t], rank[0] == 0) for rank, t in order],
            waiting=waiting,
            counters=[
                DeskCounter(n, c.spec.name, c.state, tuple(sorted(self._served_by(n))))
                for n, c in sorted(self.counters.items())
                if n != number
            ],
        )

    def _desk_ticket(self, ticket: TicketRecord, overdue: bool) -> DeskTicket:
        item = self.rules.item_by_code.get(ticket.item)
        return DeskTicket(
            number=ticket.number,
            item=ticket.item,
            item_name=item.name if item else ticket.item,
            priority=ticket.priority,
            state=ticket.state,
            issued_at=ticket.issued_at,
            waiting_since=key_time(ticket.key),
            called_at=ticket.called_at,
            started_at=ticket.started_at,
            appointment_slot=ticket.appointment_slot,
            recalls=ticket.recalls,
            transferred_from=ticket.transferred_from,
            transfer_note=ticket.transfer_note,
            reinstated=ticket.reinstated,
            overdue=overdue,
        )

    def unserved_waiting_items(self) -> list[str]:
        """Items whose waiting tickets no counter can call (the hall file dropped their counter)."""
        return self._unserved_waiting_items(self._specs())

    def was_called(self, number: str, counter: int) -> bool:
        """Whether ticket ``number`` has been called to ``counter`` today (its call may be said)."""
        return any(t.number == number and t.counter == counter and t.called_at for t in self.tickets.values())

    def has_waiting_for(self, number: int) -> bool:
        """Whether any waiting ticket is one counter ``number`` could call now."""
        lines = self.lines
        if not self._served_by(number).isdisjoint(lines.items):
            return True
        return bool(lines.named) and any(lines.size(Line(None, number, rank)) for rank in RANKS)

    def waiting_for(self, number: int) -> int:
        """How many waiting tickets counter ``number`` could call now."""
        lines = self.lines
        served = lines.waiting_in_items(self._served_by(number))
        if not lines.named:
            return served
        return served + sum(lines.size(Line(None, number, rank)) for rank in RANKS)

    def ticket_view(self, ticket: TicketRecord, at: dt.datetime) -> TicketView:
        counter = self.counters.get(ticket.counter) if ticket.counter is not None else None
        waiting = ticket.state is TicketState.WAITING
        return ticket_view(
            ticket,
            self.rules.item_by_code.get(ticket.item),
            counter.spec.name if counter else None,
            self.estimate(ticket, at),
            self.serving_counters(ticket.item, ticket.to_counter) if waiting else (),
        )

    def _current_view(self, ticket_id: str) -> CurrentTicket:
        ticket = self.tickets[ticket_id]
        item = self.rules.item_by_code.get(ticket.item)
        return CurrentTicket(
            number=ticket.number,
            item=ticket.item,
            item_name=item.name if item else ticket.item,
            state=ticket.state,
            called_at=ticket.called_at,
            recalls=ticket.recalls,
        )

    def counter_view(self, number: int) -> CounterView:
        counter = self._counter(number)
        spec = counter.spec
        return CounterView(
            number=spec.number,
            name=spec.name,
            kind=spec.kind,
            kind_name=spec.kind.label_zh,
            domains=spec.domains,
            items=tuple(sorted(self._served_by(number))),
            profile=spec.profile or default_profile_name(spec.kind),
            state=counter.state,
            state_since=counter.state_since,
            pause_reason=counter.pause_reason,
            pause_back_at=counter.pause_back_at,
            staff=counter.staff,
            staff_name=counter.staff_name,
            current=self._current_view(counter.current) if counter.current else None,
            suspended=[self._current_view(t) for t in counter.parked],
            waiting=self.waiting_for(number),
        )

    def waiting_by_item(self) -> dict[str, int]:
        """How many wait for each item someone waits for (those sent to a counter by name too)."""
        lines = self.lines
        per_item = lines.waiting_per_item()
        if lines.named:  # counters' own lines: each ticket under its item
            for line, entries in lines.by_line().items():
                if line.counter is not None:
                    for _, ticket_id in entries:
                        item = self.tickets[ticket_id].item
                        per_item[item] = per_item.get(item, 0) + 1
        return per_item

    def waiting_by_group(self, per_item: dict[str, int] | None = None) -> list[GroupWaiting]:
        per_item = self.waiting_by_item() if per_item is None else per_item
        per_group: dict[str, int] = {}
        by_code = self.rules.item_by_code
        for code, n in per_item.items():  # the items someone waits for: fewer than the hall's
            item = by_code.get(code)
            if item is not None:  # an item the hall file no longer lists counts in no group
                per_group[item.group] = per_group.get(item.group, 0) + n
        return [GroupWaiting(g.prefix, g.name, g.name_en, per_group.get(g.prefix, 0)) for g in self.rules.groups]

    def queue_view(self, at: dt.datetime) -> QueueView:
        per_item = self.waiting_by_item()
        items = []
        # What a walk-in would be told, per item: kept for the same state and half-minute, as
        # every kiosk asks for it every few seconds and it costs an estimate per item.
        when = (self.seq, int(at.timestamp() // 30))
        if self._item_estimates[0] != when:
            probed = self._probe_items(at)
            self._item_estimates = (
                when, {item.code: self.item_estimate(item.code, at, probed) for item in self.rules.items}
            )  # fmt: skip
        estimates = self._item_estimates[1]
        for item in self.rules.items:
            estimate = estimates[item.code]
            items.append(
                ItemWaiting(
                    item.code, item.name, item.name_en, item.domain, item.group, per_item.get(item.code, 0),
                    wait_minutes=estimate.wait_minutes if estimate else None,
                    opens_at=estimate.opens_at if estimate else None,
                    serving=estimate is not None,
                    wait_range=estimate.wait_range if estimate else None,
                )
            )  # fmt: skip
        return QueueView(
            hall=self.rules.hall,
            day=self.day,
            seq=self.seq,
            at=at,
            waiting=len(self.lines),
            groups=self.waiting_by_group(per_item),
            items=items,
            counters=[self.counter_view(n) for n in sorted(self.counters)],
        )

    # ------------------------------------------------------------------ snapshots

    def export(self) -> HallSnapshot:
        return HallSnapshot(
            hall=self.rules.hall,
            seq=self.seq,
            day=self.day,
            tickets=list(self.tickets.values()),
            counters=list(self.counters.values()),
            group_seq=dict(self.group_seq),
            service_seconds=dict(self.service_seconds),
            visit_seconds=dict(self.visit_seconds),
            call_gap_seconds=self.call_gap_seconds,
            pause_seconds=self.pause_seconds,
            came_new=list(self.came_new),
            came_back=list(self.came_back),
            first_issued_at=self.first_issued_at,
            staffed_last_day=list(self.staffed_last_day),
        )

    @classmethod
    def restore(cls, rules: HallRules, snapshot: HallSnapshot, *, quotes: bool = True) -> HallQueue:
        queue = cls(rules, quotes=quotes)
        queue.seq, queue.day = snapshot.seq, snapshot.day
        queue.group_seq = dict(snapshot.group_seq)
        queue.service_seconds = dict(snapshot.service_seconds)
        queue.visit_seconds = dict(snapshot.visit_seconds)
        queue.call_gap_seconds = snapshot.call_gap_seconds
        queue.pause_seconds = snapshot.pause_seconds
        queue.came_new, queue.came_back = list(snapshot.came_new), list(snapshot.came_back)
        queue.first_issued_at, queue.staffed_last_day = snapshot.first_issued_at, list(snapshot.staffed_last_day)
        for counter in snapshot.counters:
            queue.counters[counter.number] = counter
        for ticket in snapshot.tickets:
            queue.tickets[ticket.id] = ticket
            if ticket.idempotency_key is not None:
                queue.idempotency[ticket.idempotency_key] = ticket.id
            if ticket.state is TicketState.WAITING:
                queue.lines.add(ticket.id, queue._line_of(ticket), ticket.key)
        return queue


_COUNTER_COMMAND_STEPS: dict[type, CounterStep] = {
    OpenCounter: CounterStep.OPEN,
    PauseCounter: CounterStep.PAUSE,
    CloseCounter: CounterStep.CLOSE,
}
_COUNTER_EVENT_STEPS: dict[type, CounterStep] = {
    CounterOpened: CounterStep.OPEN,
    CounterPaused: CounterStep.PAUSE,
    CounterClosed: CounterStep.CLOSE,
}
_COUNTER_STEP_ZH = {CounterStep.OPEN: "开始服务", CounterStep.PAUSE: "暂停", CounterStep.CLOSE: "关闭"}


class _Visits(dict[str, float]):
    """How long each waiting ticket would hold its counter (visit and gap), worked out only for
    those the projection reaches, once per item."""

    def __init__(self, queue: HallQueue, gap: float) -> None:
        super().__init__()
        self.queue, self.gap, self.per_item = queue, gap, {}

    def __missing__(self, ticket_id: str) -> float:
        ticket = self.queue.tickets.get(ticket_id)
        if ticket is None:  # a question (a ticket not issued): it holds no counter
            return 0.0
        item = ticket.item
        seconds = self.per_item.get(item)
        if seconds is None:
            seconds = self.per_item[item] = self.queue._visit_seconds(item) + self.gap
        return seconds
