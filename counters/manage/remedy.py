"""The simulated remedy of a live alert: "open counter 7 → p90 wait back under 15 min by 10:40".

When the live view warns that a group waits too long (a ``queue`` or ``wait`` alert), the
counter that could relieve it is tried on the rest of today by the simulator (the what-if
from now, in the statistics worker): the closed or paused counter that serves the group's
items, a domain counter of their domain first, then a no-difference one. The answer (when
the p90 wait of arrivals is back within the alert's minutes, with the counter and without)
rides on the alert. Each hall's remedies are worked out at most every ``every`` seconds, in
the background: the live view never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable

from config.database import log_background_failure
from counters.manage.live import LiveAlert
from counters.manage.planning import WhatIfRequest
from counters.manage.planning_api import take_snapshot, what_if_now
from counters.manage.worker import ReportWorker
from counters.settings import CounterHall
from queueing.kinds import CounterKind, served_items
from queueing.lifecycle import CounterState
from queueing.records import CounterRecord
from queueing.service import HallRegistry
from queueing.simulation.whatif import Change, WhatIfResult

__all__ = ["Remedies"]

log = logging.getLogger("hall.manage")
REPLICATIONS = 100
_NO_COUNTER = (
    "没有可加开的窗口能办理该业务，可考虑调整窗口类型",
    "no closed counter serves it: change a counter's kind",
)


class Remedies:
    def __init__(
        self,
        registry: HallRegistry,
        reports: ReportWorker,
        halls: list[CounterHall],
        clock: Callable[[], dt.datetime],
        *,
        every: float = 120.0,
    ) -> None:
        self.registry, self.reports, self.clock, self.every = registry, reports, clock, every
        self.halls = {h.id: h for h in halls}
        self.found: dict[tuple[str, str], tuple[str, str]] = {}  # (hall, about) -> (text, text_en)
        self._looked: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task] = {}

    def attach(self, hall: str, alerts: list[LiveAlert]) -> None:
        """Put the known remedies on ``alerts``; look for new ones in the background when due."""
        wanted = [a for a in alerts if a.kind in ("queue", "wait") and a.about.startswith("group:")]
        for alert in wanted:
            known = self.found.get((hall, alert.about))
            if known is not None:
                alert.remedy, alert.remedy_en = known
        due = time.monotonic() - self._looked.get(hall, -1e9) >= self.every
        busy = hall in self._tasks and not self._tasks[hall].done()
        if wanted and due and not busy:
            self._looked[hall] = time.monotonic()
            self._tasks[hall] = asyncio.create_task(self._look(hall, wanted), name=f"remedies {hall}")

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _look(self, hall: str, alerts: list[LiveAlert]) -> None:
        part = self.halls[hall]
        runtime = self.registry.get(hall)
        target = part.alerts.wait_minutes
        try:
            taken = await take_snapshot(runtime)  # one look at the hall for all its alerts
        except Exception as exc:
            log_background_failure(log, "remedy: the hall could not be read", exc, hall=hall)
            return
        for alert in alerts:
            group = alert.about.removeprefix("group:")
            try:
                counter = _candidate(part, taken[0].counters, group)
                if counter is None:
                    self.found[(hall, alert.about)] = _NO_COUNTER
                    continue
                request = WhatIfRequest(
                    changes=[Change(counter=counter.number, action="open")],
                    replications=REPLICATIONS,
                    target_minutes=target,
                )
                answer = await what_if_now(runtime, self.reports, request, taken)
                self.found[(hall, alert.about)] = _words(counter.spec.name, answer, target)
            except Exception:
                log.warning("remedy not found", extra={"hall": hall, "about": alert.about}, exc_info=True)


def _candidate(part: CounterHall, counters: list[CounterRecord], group: str) -> CounterRecord | None:
    """The closed (or paused) counter that would relieve ``group`` most plainly."""
    items = {i.code for i in part.rules.items if i.group == group}
    domains = {i.domain for i in part.rules.items if i.code in items}
    options = []
    for record in counters:
        if record.state is CounterState.OPEN:
            continue
        if not items & served_items(record.spec, part.rules.items):
            continue
        own = record.spec.kind is CounterKind.DOMAIN and set(record.spec.domains) & domains
        rank = 0 if own else 1 if record.spec.kind is CounterKind.NO_DIFFERENCE else 2
        options.append((rank, record.state is CounterState.PAUSED, record.spec.number, record))
    return min(options)[3] if options else None


def _words(name: str, answer: WhatIfResult, target: int) -> tuple[str, str]:
    changed, baseline = answer.changed_recovers_at, answer.baseline_recovers_at
    without_zh = f"不加开：{baseline}" if baseline else "不加开：今日回不到"
    without_en = f"as it is: {baseline}" if baseline else "as it is: not today"
    if changed is None:
        return (f"加开{name}：模拟显示今日p90等候仍超过{target}分钟（{without_zh}）",
                f"open {name}: still over {target} min p90 today, simulated ({without_en})")  # fmt: skip
    return (f"加开{name} → p90等候在{changed}前回到{target}分钟内（模拟{answer.replications}次；{without_zh}）",
            f"open {name} → p90 wait back under {target} min by {changed} "
            f"(simulated {answer.replications}×; {without_en})")  # fmt: skip
