"""The manager's live view of a hall (大厅实况), from the core's state now (pure: no I/O).

``live_view`` reads a ``HallQueue`` at an instant: every counter (kind, state, the clerk, the
number at it and for how long, a pause's reason and for how long, served today), every group
and domain (waiting now, the longest wait now, the open counters that can serve it), and the
alerts the state itself shows, with the hall file's ``[alerts]`` thresholds:

- more waiting for a group or domain than ``waiting_per_counter`` per open counter that can
  serve it (or people waiting and no such counter open);
- anyone of a group waiting longer than ``wait_minutes``;
- a counter paused longer than ``paused_minutes``;
- an empty AB post (空岗, the core's own alert).

Alerts from outside the core (printers, devices, overdue 差评 cases) are added by the feed
(``feed.py``). Each alert says what it is about and where to act (``link``).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from counters.settings import AlertSettings
from queueing.hall import HallQueue
from queueing.lifecycle import CounterState, TicketState

__all__ = ["LiveAlert", "LiveCounter", "LiveGroup", "LiveView", "live_view", "state_alerts"]


class LiveCounter(msgspec.Struct, kw_only=True):
    number: int
    name: str
    kind: str
    kind_name: str
    state: str
    state_name: str
    state_minutes: float  # in this state for
    clerk: str  # username ("" nobody signed in)
    clerk_name: str
    current: str | None  # the number at the counter
    current_item: str | None
    current_minutes: float | None  # since it was called
    pause_reason: str
    served_today: int
    waiting: int  # tickets it could call now
    suspended: int
    empty_post: bool  # 空岗提醒 stands


class LiveGroup(msgspec.Struct, kw_only=True):
    key: str  # a group's prefix or a domain's code
    name: str
    waiting: int
    longest_wait_minutes: float | None
    over_target: int  # waiting longer than the alert's wait_minutes
    open_counters: int  # open counters that can serve one of its items


class LiveAlert(msgspec.Struct, kw_only=True):
    kind: str  # queue, wait, paused, empty_post, printer, device, case
    severity: str  # warning, critical
    about: str  # what it is about: "group:B", "counter:3", "printer:kiosk-1", "case:…"
    text: str  # in Chinese, for the manager
    text_en: str
    link: str  # where to act
    since: dt.datetime | None = None
    remedy: str = ""  # what the simulator says would help (``remedy.py``), when it has said
    remedy_en: str = ""


class LiveView(msgspec.Struct, kw_only=True, tag="live", tag_field="type"):
    hall: str
    seq: int
    at: dt.datetime
    waiting: int
    longest_wait_minutes: float | None
    served_today: int
    counters: list[LiveCounter]
    groups: list[LiveGroup]
    domains: list[LiveGroup]
    alerts: list[LiveAlert]


def _minutes(since: dt.datetime | None, at: dt.datetime) -> float | None:
    return None if since is None else round(max((at - since).total_seconds(), 0.0) / 60, 1)


def live_view(queue: HallQueue, at: dt.datetime, thresholds: AlertSettings, staff_names: dict[str, str]) -> LiveView:
    rules = queue.rules
    waiting = [t for t in queue.tickets.values() if t.state is TicketState.WAITING]
    views = {number: queue.counter_view(number) for number in sorted(queue.counters)}  # once: each is work
    serving_now = [set(views[n].items) for n, c in queue.counters.items() if c.state is CounterState.OPEN]
    counters = []
    for number, view in views.items():
        record = queue.counters[number]
        current = queue.tickets.get(record.current) if record.current else None
        item = rules.item_by_code.get(current.item) if current else None
        counters.append(
            LiveCounter(
                number=number,
                name=view.name,
                kind=view.kind.value,
                kind_name=view.kind_name,
                state=record.state.value,
                state_name=record.state.label_zh,
                state_minutes=_minutes(record.state_since, at) or 0.0,
                clerk=record.staff or "",
                clerk_name=record.staff_name or staff_names.get(record.staff or "", ""),
                current=current.number if current else None,
                current_item=(item.name if item else current.item) if current else None,
                current_minutes=_minutes(current.called_at, at) if current else None,
                pause_reason=record.pause_reason,
                served_today=record.served,
                waiting=view.waiting,
                suspended=len(record.parked),
                empty_post=record.alerted_since is not None,
            )
        )
    over = thresholds.wait_minutes * 60

    def group_of(key: str, name: str, items: set[str], tickets: list) -> LiveGroup:
        oldest = min((t.issued_at for t in tickets), default=None)
        return LiveGroup(
            key=key,
            name=name,
            waiting=len(tickets),
            longest_wait_minutes=_minutes(oldest, at),
            over_target=sum(1 for t in tickets if (at - t.issued_at).total_seconds() > over),
            open_counters=sum(1 for served in serving_now if items & served),  # open ones serving any of them
        )

    groups = [
        group_of(
            g.prefix,
            g.name,
            {i.code for i in rules.items if i.group == g.prefix},
            [t for t in waiting if t.group == g.prefix],
        )
        for g in rules.groups
    ]
    domain_of = {i.code: i.domain for i in rules.items}
    domains = [
        group_of(
            d.code,
            d.name,
            {i.code for i in rules.items if i.domain == d.code},
            [t for t in waiting if domain_of.get(t.item) == d.code],
        )
        for d in rules.domains
    ]
    oldest = min((t.issued_at for t in waiting), default=None)
    view = LiveView(
        hall=rules.hall,
        seq=queue.seq,
        at=at,
        waiting=len(waiting),
        longest_wait_minutes=_minutes(oldest, at),
        served_today=sum(c.served for c in queue.counters.values()),
        counters=counters,
        groups=groups,
        domains=domains,
        alerts=[],
    )
    view.alerts = state_alerts(view, thresholds)
    return view


def state_alerts(view: LiveView, thresholds: AlertSettings) -> list[LiveAlert]:
    """What the live state itself warns of, most urgent first."""
    alerts: list[LiveAlert] = []
    hall = view.hall
    for kind_zh, rows in (("业务组", view.groups), ("领域", view.domains)):
        for row in rows:
            if not row.waiting:
                continue
            about = f"{'group' if rows is view.groups else 'domain'}:{row.key}"
            if row.open_counters == 0:
                alerts.append(
                    LiveAlert(
                        kind="queue",
                        severity="critical",
                        about=about,
                        text=f"{kind_zh}“{row.name}”有{row.waiting}人等候，但没有开放的窗口可以办理",
                        text_en=f"{row.waiting} waiting for {row.name} and no open counter serves it",
                        link="#counters",
                    )
                )
            elif row.waiting > thresholds.waiting_per_counter * row.open_counters:
                alerts.append(
                    LiveAlert(
                        kind="queue",
                        severity="warning",
                        about=about,
                        text=f"{kind_zh}“{row.name}”等候{row.waiting}人，开放窗口{row.open_counters}个"
                        f"（每窗口超过{thresholds.waiting_per_counter}人），请增开窗口",
                        text_en=f"{row.waiting} waiting for {row.name} at {row.open_counters} open counters "
                        f"(more than {thresholds.waiting_per_counter} each): open more",
                        link="#counters",
                    )
                )
            if rows is view.groups and row.over_target:
                alerts.append(
                    LiveAlert(
                        kind="wait",
                        severity="warning",
                        about=about,
                        text=f"“{row.name}”有{row.over_target}人等候超过{thresholds.wait_minutes}分钟"
                        f"（最长{row.longest_wait_minutes:g}分钟）",
                        text_en=f"{row.over_target} of {row.name} have waited over {thresholds.wait_minutes} min "
                        f"(longest {row.longest_wait_minutes:g} min)",
                        link="#groups",
                    )
                )
    for counter in view.counters:
        if counter.state == "paused" and counter.state_minutes > thresholds.paused_minutes:
            reason = f"（{counter.pause_reason}）" if counter.pause_reason else ""
            alerts.append(
                LiveAlert(
                    kind="paused",
                    severity="warning",
                    about=f"counter:{counter.number}",
                    text=f"{counter.name}暂停服务已{counter.state_minutes:g}分钟{reason}",
                    text_en=f"{counter.name} paused for {counter.state_minutes:g} min",
                    link=f"#counter-{counter.number}",
                )
            )
        if counter.empty_post:
            alerts.append(
                LiveAlert(
                    kind="empty_post",
                    severity="critical",
                    about=f"counter:{counter.number}",
                    text=f"{counter.name}空岗：有{counter.waiting}人可在此办理，无人在岗",
                    text_en=f"{counter.name} is an empty post while {counter.waiting} could be served there",
                    link=f"/halls/{hall}/manage/posts",
                )
            )
    return sorted(alerts, key=lambda a: a.severity != "critical")
