"""A manager's report over any range of days, one hall or several: every figure from the record.

``ReportBuilder.build`` gathers, for the halls and days asked:

- the queue's figures from the facts of each hall day (``queueing.stats``): all tickets, and by
  each dimension asked (day, week, month, hour, weekday, item, group, domain, priority class,
  channel, counter, counter kind, clerk); the counters' time; how wrong the estimates were;
  the counter mix;
- the same figures for the period before, of the same length, to compare with;
- appointments (booked, on time, late, no-show, cancelled by the citizen or the hall, slot fill);
- per clerk: served, service time, open and busy time, their 好差评 score, and their AB-post
  coverage (minutes at their own post as A, covering as B).

It runs where it cannot slow a hall: in the statistics worker process (``worker.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
from sqlalchemy.engine import Engine

from appointments.schemas import AppointmentFigures
from appointments.service import AppointmentService
from appointments.settings import AppointmentHall
from counters.evaluation import EvaluationService
from counters.posts import PostCoverage, PostService
from counters.settings import CounterHall
from queueing.errors import Invalid, NotFound
from queueing.service import HallRegistry
from queueing.settings import QueueHall
from queueing.stats.figures import (
    DIMENSIONS,
    CounterFigures,
    EstimateFigures,
    MixFigures,
    Names,
    TicketFigures,
    counter_figures,
    estimate_figures,
    mix_figures,
    served_by_clerk,
    ticket_figures,
)
from queueing.stats.store import FactsStore
from queueing.stats.table import Columns, DayTable

__all__ = ["ClerkFigures", "HallParts", "Report", "ReportBuilder", "ReportRequest", "default_dimensions"]

MAX_DAYS = 366 * 3  # a request longer than this is refused: split it


def default_dimensions() -> tuple[str, ...]:
    return (
        "day", "hour", "weekday", "weekday_hour", "item", "group", "domain", "priority", "channel", "counter",
        "kind", "clerk",
    )  # fmt: skip


# The charts (counters/manage/charts.py draws them) and the dimensions each reads: a chart's
# report needs no others, nor the period before. Here, not there: naming them needs no matplotlib.
CHART_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "hourly": ("hour",),
    "groups": ("group",),
    "utilisation": ("counter",),
    "heatmap": ("weekday_hour",),
    "mix": (),
}
PERIODS = {"day": "日报", "week": "周报", "month": "月报", "year": "年报", "range": "统计报告"}  # the PDF reports


class ReportRequest(msgspec.Struct, kw_only=True, frozen=True):
    halls: tuple[str, ...]
    since: dt.date
    until: dt.date
    by: tuple[str, ...] = msgspec.field(default_factory=default_dimensions)
    target_minutes: int | None = None  # None: the (first) hall's [stats] service_level_minutes
    compare: bool = True  # also the period before, of the same length
    now: dt.datetime | None = None  # the server's clock (today's figures run to it)


class ClerkFigures(msgspec.Struct, kw_only=True):
    hall: str
    username: str
    name: str
    served: int = 0
    service_mean: float | None = None  # minutes
    open_hours: float = 0.0
    busy_hours: float = 0.0
    utilisation: float | None = None
    ratings: int = 0
    rating_score: float | None = None  # 好差评 mean score
    bad_share: float | None = None
    minutes_as_a: float = 0.0  # at their own post (A岗)
    minutes_as_b: float = 0.0  # covering another's post (B岗, 顶岗)


class HallRef(msgspec.Struct, frozen=True):
    id: str
    name: str


class Report(msgspec.Struct, kw_only=True):
    halls: list[HallRef]
    since: dt.date
    until: dt.date
    days: int  # hall days with any event in the range (summed over halls)
    target_minutes: int
    generated_at: dt.datetime
    total: TicketFigures
    previous: TicketFigures | None = None  # the period before, of the same length
    previous_since: dt.date | None = None
    previous_until: dt.date | None = None
    tickets: dict[str, list[TicketFigures]]
    counters: dict[str, list[CounterFigures]]
    estimates: dict[str, list[EstimateFigures]]
    mix: list[MixFigures]
    appointments: list[AppointmentFigures]
    clerks: list[ClerkFigures]


class HallParts(msgspec.Struct, frozen=True):
    queue: QueueHall
    counters: CounterHall
    appointments: AppointmentHall


def check_request(request: ReportRequest, known: set[str]) -> None:
    """A request a person can act on when it is wrong: the field named."""
    if not request.halls:
        raise Invalid("halls: name at least one hall", "请选择大厅")
    if unknown := sorted(set(request.halls) - known):
        raise NotFound(f"halls: no hall {', '.join(unknown)}; halls here: {', '.join(sorted(known))}", "没有该大厅")
    if request.until < request.since:
        raise Invalid(
            f"from ({request.since}) is after to ({request.until})", "开始日期不能晚于结束日期"
        )  # the API's names
    if (request.until - request.since).days >= MAX_DAYS:
        raise Invalid(f"from–to: at most {MAX_DAYS} days in one report", f"一次最多统计{MAX_DAYS}天")
    if unknown := sorted(set(request.by) - set(DIMENSIONS)):
        raise Invalid(f"by: unknown {unknown}; one of {', '.join(DIMENSIONS)}", "统计维度有误")
    if request.target_minutes is not None and not 1 <= request.target_minutes <= 240:
        raise Invalid("target: from 1 to 240 minutes", "服务目标应为1至240分钟")


class ReportBuilder:
    def __init__(self, engine: Engine, halls: list[HallParts]) -> None:
        self.halls = {h.queue.id: h for h in halls}
        self.facts = FactsStore(engine)
        clock = lambda: dt.datetime.now(dt.UTC)  # noqa: E731  (the request's ``now`` is what counts)
        counter_parts = [h.counters for h in halls]
        self.evaluation = EvaluationService(engine, counter_parts, clock, b"statistics read no secrets")
        self.posts = PostService(engine, HallRegistry([]), counter_parts, clock)
        self.appointments = AppointmentService(
            engine, HallRegistry([]), [h.appointments for h in halls], clock, b"statistics read no secrets"
        )

    def names(self, halls: tuple[str, ...]) -> Names:
        items, domains, groups, counters, clerks, hall_names, item_domain = {}, {}, {}, {}, {}, {}, {}
        for hall in halls:
            parts = self.halls[hall]
            rules = parts.queue.rules
            hall_names[hall] = parts.queue.info.name
            items.update({i.code: i.name for i in rules.items})
            item_domain.update({i.code: i.domain for i in rules.items})
            domains.update({d.code: d.name for d in rules.domains})
            groups.update({g.prefix: g.name for g in rules.groups})
            counters.update({f"{hall}/{c.number}": c.name for c in parts.queue.counters})
            clerks.update(parts.counters.staff_names())
        return Names(
            halls=hall_names,
            items=items,
            item_domain=item_domain,
            groups=groups,
            domains=domains,
            counters=counters,
            clerks=clerks,
        )

    def days(self, halls: tuple[str, ...], since: dt.date, until: dt.date, now: dt.datetime) -> list[DayTable]:
        found: list[DayTable] = []
        for hall in halls:
            found += self.facts.days(self.halls[hall].queue.rules, since, until, now)
        return found

    async def build(self, request: ReportRequest) -> Report:
        check_request(request, set(self.halls))
        now = request.now or dt.datetime.now(dt.UTC)
        first = self.halls[request.halls[0]]
        target = request.target_minutes or first.counters.stats.service_level_minutes
        names = self.names(request.halls)
        days = self.days(request.halls, request.since, request.until, now)
        columns = Columns.of(days)
        total, tickets = ticket_figures(columns, names, target, request.by)
        counters = counter_figures(columns, names, ["hall", *request.by])
        report = Report(
            halls=[HallRef(h, self.halls[h].queue.info.name) for h in request.halls],
            since=request.since,
            until=request.until,
            days=len(days),
            target_minutes=target,
            generated_at=now,
            total=total,
            tickets=tickets,
            counters=counters,
            estimates=estimate_figures(columns),
            mix=mix_figures(columns, "day"),
            appointments=[],
            clerks=[],
        )
        if request.compare:
            length = (request.until - request.since).days + 1
            before_until = request.since - dt.timedelta(days=1)
            before_since = before_until - dt.timedelta(days=length - 1)
            before = Columns.of(self.days(request.halls, before_since, before_until, now))
            report.previous, _ = ticket_figures(before, names, target, ())
            report.previous_since, report.previous_until = before_since, before_until
        # The halls' own reads (appointments, ratings, AB posts) wait on the database: side by side.
        for figures in await asyncio.gather(
            *(self.appointments.figures(hall, request.since, request.until) for hall in request.halls)
        ):
            report.appointments += figures if len(request.halls) == 1 else figures[:1]
        report.clerks = await self._clerks(request, columns, names)
        return report

    async def _posts(self, hall: str, since: dt.date, until: dt.date) -> list[PostCoverage]:
        """AB-post coverage of ``hall`` over the range (read at most 93 days at a time)."""
        posts: list[PostCoverage] = []
        start = since
        while start <= until:
            end = min(until, start + dt.timedelta(days=92))
            posts += await self.posts.coverage(hall, start, end)
            start = end + dt.timedelta(days=1)
        return posts

    async def _clerks(self, request: ReportRequest, columns: Columns, names: Names) -> list[ClerkFigures]:
        by_hall: dict[str, dict[str, ClerkFigures]] = {}
        for table in columns.tables:
            clerks = by_hall.setdefault(table.hall, {})
            for counter in table.counters:
                for clerk, open_s in counter.open_by_clerk.items():
                    if clerk:
                        figures = clerks.setdefault(clerk, ClerkFigures(hall=table.hall, username=clerk, name=""))
                        figures.open_hours += open_s
                        figures.busy_hours += counter.busy_by_clerk.get(clerk, 0.0)
        services = served_by_clerk(columns)
        for hall, clerk in services:
            by_hall.setdefault(hall, {}).setdefault(clerk, ClerkFigures(hall=hall, username=clerk, name=""))
        ratings = await asyncio.gather(
            *(self.evaluation.statistics(hall, "staff", request.since, request.until) for hall in request.halls)
        )
        coverages = await asyncio.gather(*(self._posts(hall, request.since, request.until) for hall in request.halls))
        result = []
        for hall, rated, posts in zip(request.halls, ratings, coverages, strict=True):
            clerks = by_hall.setdefault(hall, {})
            for rating in rated:
                if rating.key:
                    figures = clerks.setdefault(rating.key, ClerkFigures(hall=hall, username=rating.key, name=""))
                    figures.ratings, figures.rating_score, figures.bad_share = (
                        rating.ratings,
                        rating.score,
                        rating.bad_share,
                    )
            for post in posts:
                for interval in post.intervals:
                    if interval.who in ("A", "B") and interval.staff:
                        figures = clerks.setdefault(
                            interval.staff, ClerkFigures(hall=hall, username=interval.staff, name="")
                        )
                        if interval.who == "A":
                            figures.minutes_as_a += interval.minutes
                        else:
                            figures.minutes_as_b += interval.minutes
            for username in sorted(clerks):
                figures = clerks[username]
                figures.name = names.clerks.get(username, username)
                figures.served, figures.service_mean = services.get((hall, username), (0, None))
                figures.utilisation = round(figures.busy_hours / figures.open_hours, 4) if figures.open_hours else None
                figures.open_hours = round(figures.open_hours / 3600, 3)
                figures.busy_hours = round(figures.busy_hours / 3600, 3)
                figures.minutes_as_a = round(figures.minutes_as_a, 1)
                figures.minutes_as_b = round(figures.minutes_as_b, 1)
                result.append(figures)
        return result
