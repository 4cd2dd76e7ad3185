"""Staffing advice: the plan with the fewest counter-hours that meets a target, by kind.

The target is per hour of arrival: each hour's arrivals wait at most ``T`` minutes on
average, or at least a share ``S`` of them is called within ``T`` minutes. Queues carry
over from hour to hour (an hour's late arrivals are served in the next), the day starts
empty and the last hour's queue is served after closing, so an hour's counters cannot be
sized alone: the search runs the simulator (the live rules) and moves one counter-hour at
a time.

1. **Start** (no simulation): for each hour, the counters of each kind that Erlang C (the
   M/M/c formulas, over the hour's pooled work) says the target needs, shared among the
   kinds so that no counter is loaded more than the others need (``capacity.hour_load``);
   a tie goes to no-difference counters (DB31/T 862 4.3.3.5 asks for more of them).
2. **Repair**: simulate (``search_replications`` days, the same citizens for every plan:
   common random numbers); while hours miss, add one counter to each (of the kind that
   relieves its work most), or, if the hour's counters are all open, at the hour before
   (its queue carries over); people left waiting at a closing want one in the hour after.
3. **Trim**: take one counter away from each hour with slack, all at once while the plan
   still meets the target, then from half as many (most slack first), down to one hour at
   a time; keep a removal only if every hour still meets the target; skip an hour whose
   slack is under half of what Erlang C says the removal costs. In the search an hour meets it only if it
   does so one standard error to the bad side of its estimate: a few days are noisy.
4. **Confirm** on ``confirm_replications`` days (at least 1,000): each hour's result with
   its 95 % interval; an hour that misses gets a counter more and the plan is confirmed
   again.

Limits: counters that exist (the hall file's, per kind) and, if given, staff (counters
open at once). An hour that cannot meet the target within them is said so, with its best.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import msgspec

from queueing.kinds import CounterKind
from queueing.simulation.capacity import hour_load
from queueing.simulation.model import Model, Plan, Pool
from queueing.simulation.results import Estimate, SimulationResult, Totals, combine, ratio_estimate
from queueing.simulation.scenario import Target

__all__ = ["Advice", "HourChange", "advise", "erlang_c"]


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (``load`` = λ·E[S], erlangs); 1 if ``load`` ≥ c."""
    if servers <= 0 or load >= servers:
        return 1.0
    term, total = 1.0, 1.0  # a^k / k!, summed from k = 0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers / (1 - load / servers)
    return last / (total + last)


def _erlang_slack(servers: float, load: float, mean_service: float, target: Target) -> float:
    """How far inside the target M/M/c is, in the units of ``_Search.slack`` (< 0: it misses;
    overloaded: -1). ``servers`` may be fractional (counters the kinds leave to the work)."""
    if load <= 0:
        return 1.0
    if servers <= load:
        return -1.0
    c = erlang_c(max(1, math.floor(servers)), load) if math.floor(servers) > load else 1.0
    rate = (servers - load) / mean_service  # per minute: the drain of the queue
    if target.hourly_mean_wait_minutes is not None:
        goal = target.hourly_mean_wait_minutes
        return (goal - c / rate) / goal
    assert target.service_level is not None
    within = 1 - c * math.exp(-rate * target.service_level.within_minutes)
    return within - target.service_level.share


def _erlang_meets(servers: int, load: float, mean_service: float, target: Target) -> bool:
    return _erlang_slack(servers, load, mean_service, target) >= 0


class HourChange(msgspec.Struct, frozen=True):
    """What the advice changes in one hour, and why, in words a manager reads."""

    start: str
    arrivals: float
    current: dict[str, int]
    advised: dict[str, int]
    current_wait: float | None  # the hour's mean wait, minutes (customer-weighted)
    advised_wait: float | None
    current_share: float | None  # called within the target's minutes
    advised_share: float | None
    met: bool
    why: str


class Advice(msgspec.Struct, frozen=True, kw_only=True):
    """What ``hall advise --json`` prints (a contract: see the README)."""

    plan: dict[str, list[int]]
    counter_hours: int
    result: SimulationResult
    target: Target
    current_plan: dict[str, list[int]]
    current_counter_hours: int
    current: SimulationResult
    hours: list[HourChange]
    unmet: list[str]  # hours that cannot meet the target within the limits
    search_replications: int
    steps: int  # plans simulated in the search
    seconds: float


_KIND_NAMES = {
    "no_difference": "无差别",
    "cross_province": "跨省通办",
    "pickup": "出件",
}


def kind_label(kind: str) -> str:
    if kind.startswith("domain:"):
        return "分领域(" + kind.removeprefix("domain:") + ")"
    return _KIND_NAMES.get(kind, kind)


class _Search:
    def __init__(self, model: Model, target: Target, pool: Pool, replications: int, seed: int) -> None:
        self.model = model
        self.target = target
        self.pool = pool
        self.replications = replications
        self.seed = seed
        self.hours = model.hours
        self.kinds = list(model.kinds)
        self.limit = {kind: len(numbers) for kind, numbers in model.kinds.items()}
        self.staff = model.scenario.limits.staff
        self.steps = 0
        self._work: dict[int, dict[str, float]] = {}
        served = model.served_by_kind()
        self.served = served
        demanded = {d.item for d in model.scenario.demand}
        # Kinds that serve nothing asked for stay closed.
        self.useful = [kind for kind in self.kinds if served[kind] & demanded]

    # ------------------------------------------------------------------ figures

    def work(self, hour: int) -> dict[str, float]:
        if hour not in self._work:
            self._work[hour] = self.model.work(hour)
        return self._work[hour]

    def load(self, hour: int, counts: dict[str, int]) -> float:
        return hour_load(self.work(hour), [(self.served[k], n) for k, n in counts.items() if n > 0])

    def room(self, plan: Plan, hour: int, kind: str) -> bool:
        if plan[kind][hour] >= self.limit[kind]:
            return False
        return self.staff is None or sum(plan[k][hour] for k in plan) < self.staff

    def best_kind(self, plan: Plan, hour: int) -> str | None:
        """The kind whose one more counter relieves ``hour``'s work most (no-difference on a tie)."""
        options = []
        for kind in self.useful:
            if not self.room(plan, hour, kind):
                continue
            counts = {k: plan[k][hour] + (k == kind) for k in plan}
            options.append((self.load(hour, counts), kind != CounterKind.NO_DIFFERENCE, kind))
        return min(options)[2] if options else None

    # ------------------------------------------------------------------ start

    def start(self) -> Plan:
        plan: Plan = {kind: [0] * self.hours for kind in self.kinds}
        for hour in range(self.hours):
            if math.fsum(self.work(hour).values()) <= 0:
                continue
            while not self.erlang_meets(hour, {k: plan[k][hour] for k in plan}):
                kind = self.best_kind(plan, hour)
                if kind is None:
                    break
                plan[kind][hour] += 1
        return plan

    def erlang_drop(self, hour: int, plan: Plan, kind: str) -> float:
        """How much slack one counter less of ``kind`` costs ``hour``, by Erlang C: a removal
        the hour's simulated slack cannot pay for is not worth simulating."""
        work = self.work(hour)
        total = math.fsum(work.values())
        if total <= 0:
            return 0.0
        means = self.model.mean_minutes
        mean_service = math.fsum(work[i] * means.get(i, 1.0) for i in work) / total

        def slack(counts: dict[str, int]) -> float:
            load = self.load(hour, counts)
            return -1.0 if load >= 1 else _erlang_slack(total / load, total, mean_service, self.target)

        now = {k: plan[k][hour] for k in plan}
        less = {k: now[k] - (k == kind) for k in plan}
        return max(0.0, slack(now) - slack(less))

    def erlang_meets(self, hour: int, counts: dict[str, int]) -> bool:
        """Whether Erlang C says ``counts`` meet the target in ``hour``: the hour's work on as
        many pooled counters as the kinds' restrictions leave it (work ÷ load), in a steady
        state (a start: the simulator knows better, either way)."""
        work = self.work(hour)
        total = math.fsum(work.values())
        if total <= 0:
            return True
        load = self.load(hour, counts)
        if load >= 1:
            return False
        means = self.model.mean_minutes
        mean_service = math.fsum(work[i] * means.get(i, 1.0) for i in work) / total  # work-weighted
        return _erlang_meets(int(total / load + 1e-9), total, mean_service, self.target)

    # ------------------------------------------------------------------ the simulator

    def evaluate(self, plan: Plan) -> list[Totals]:
        self.steps += 1
        return self.pool.totals(plan, self.seed, range(self.replications))

    def hour_estimates(self, days: Sequence[Totals], hour: int) -> tuple[Estimate, Estimate | None]:
        """The hour's customer-weighted mean wait and share called within the target's minutes."""
        rows = [d.hours[hour] for d in days]
        wait = ratio_estimate([r[2] for r in rows], [r[1] for r in rows])
        share = None
        if self.target.service_level is not None:
            k = list(days[0].thresholds).index(self.target.service_level.within_minutes)
            share = ratio_estimate([r[1] - r[4 + k] for r in rows], [r[1] for r in rows], 4)
        return wait, share

    def hour_figures(self, days: Sequence[Totals], hour: int) -> tuple[float | None, float | None]:
        wait, share = self.hour_estimates(days, hour)
        return wait.mean, None if share is None else share.mean

    def slack(self, days: Sequence[Totals], hour: int, side: float = 0.0) -> float:
        """How far inside the target the hour is (< 0: it misses); an hour nobody waits in: ∞.

        ``side``: judged that many standard errors to the bad side (< 0: the good side). The
        search's few days are
        noisy; a plan that meets the target only by its luck there would miss on the
        confirming thousand, and confirming again costs more than the counter-hour saved.
        """
        if self.stranded(days, hour) > _STRANDED_SHARE:
            return -1.0  # people sent home unserved: no plan should do that
        wait, share = self.hour_estimates(days, hour)
        if self.target.hourly_mean_wait_minutes is not None:
            if wait.mean is None:
                return math.inf
            goal = self.target.hourly_mean_wait_minutes
            worse = wait.mean + side * (_standard_error(wait.ci95[1] - wait.mean) if wait.ci95 else 0.0)
            return (goal - worse) / goal
        assert self.target.service_level is not None
        if share is None or share.mean is None:
            return math.inf
        worse = share.mean - side * (_standard_error(share.mean - share.ci95[0]) if share.ci95 else 0.0)
        # Those never called (no counter left for them) were not called in time either.
        called = math.fsum(d.hours[hour][1] for d in days)
        left = math.fsum(d.hours[hour][-1] for d in days)
        worse *= called / (called + left) if called + left else 1.0
        return worse - self.target.service_level.share

    def stranded(self, days: Sequence[Totals], hour: int) -> float:
        """The share of the hour's arrivals still waiting when no counter was left for them."""
        arrivals = math.fsum(d.hours[hour][0] for d in days)
        return math.fsum(d.hours[hour][-1] for d in days) / arrivals if arrivals else 0.0

    def misses(self, days: Sequence[Totals], skip: set[int], side: float = 0.0) -> list[int]:
        return [h for h in range(self.hours) if h not in skip and self.slack(days, h, side) < 0]

    # ------------------------------------------------------------------ repair and trim

    def repair(self, plan: Plan, days: list[Totals], unmet: set[int]) -> list[Totals]:
        """A counter more in every hour that misses (all at once: one simulation a round)."""
        for _ in range(self.hours * sum(self.limit.values()) + 1):
            missing = self.misses(days, unmet, side=_CAUTION)
            if not missing:
                return days
            added = False
            for hour in missing:
                if self.add(plan, days, hour):
                    added = True
                else:
                    unmet.add(hour)  # every counter it may have is open already
            if added:
                days = self.evaluate(plan)
        return days

    def add(self, plan: Plan, days: Sequence[Totals], hour: int) -> bool:
        """One counter more for an hour that misses: arrivals left waiting when the counters
        closed want one open in the next hour; waits too long want one more in the hour (or
        before it: the queue carries over). False: no room anywhere."""
        stranded = self.stranded(days, hour) > 0
        for at in (hour + 1, hour, hour - 1) if stranded else (hour, hour - 1, hour - 2):
            kind = self.best_kind(plan, at) if 0 <= at < self.hours else None
            if kind is not None:
                plan[kind][at] += 1
                return True
        return False

    def trim(self, plan: Plan, days: list[Totals], unmet: set[int]) -> list[Totals]:
        """Take counters away where there is slack: one from each of the hours with most slack
        at once (all of them first; when that misses, half as many), down to one hour at a
        time; an hour whose removal alone failed is not tried again."""
        done = set(unmet)
        batch = self.hours
        while True:
            slack = {h: self.slack(days, h, side=_CAUTION) for h in range(self.hours) if h not in done}
            hours = sorted((h for h, room in slack.items() if room > 0), key=slack.__getitem__, reverse=True)
            if not hours:
                return days
            removed = []
            for hour in hours[:batch]:
                kind = self.lightest(plan, hour)
                if kind is None or slack[hour] < _DROP_SHARE * self.erlang_drop(hour, plan, kind):
                    done.add(hour)  # nothing open, or its slack could not pay for one less
                    continue
                plan[kind][hour] -= 1
                removed.append((kind, hour))
            if not removed:
                continue
            trial = self.evaluate(plan)
            if not self.misses(trial, unmet, side=_CAUTION):
                days = trial
                continue
            for kind, hour in removed:
                plan[kind][hour] += 1
            if len(removed) > 1:
                batch = max(1, len(removed) // 2)  # some hour could not spare one: fewer at once
            else:
                done.add(removed[0][1])

    def lightest(self, plan: Plan, hour: int) -> str | None:
        """The kind whose loss in ``hour`` loads the others least (None: nothing open)."""
        kinds = [k for k in self.kinds if plan[k][hour] > 0]
        if not kinds:
            return None
        return min(kinds, key=lambda k: (self.load(hour, {q: plan[q][hour] - (q == k) for q in plan}), k))


_CURRENT_REPLICATIONS = 200
_CAUTION = 1.0  # standard errors to the bad side, in the search
# Erlang C's steady state overstates what a counter less costs a day that starts empty (and its
# first hours): a removal is simulated unless the hour's slack is below half what Erlang says.
_DROP_SHARE = 0.5
# An hour misses if more than this share of its arrivals were left waiting when no counter was
# left for them (a plan that closes with people waiting); fewer, a rare day's, count as not
# called in time.
_STRANDED_SHARE = 0.001


def _standard_error(half_width: float) -> float:
    """One standard error from a 95 % interval's half-width (large-sample: ÷ 1.96)."""
    return half_width / 1.96


def counter_hours(plan: Plan, hours: int) -> int:
    return sum(sum(counts[:hours]) for counts in plan.values())


def advise(
    model: Model,
    *,
    pool: Pool,
    target: Target | None = None,
    search_replications: int = 40,
    confirm_replications: int = 1000,
    seed: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Advice:
    """The plan with the fewest counter-hours meeting ``target`` (default: the scenario's)."""
    began = clock()
    target = target or model.scenario.target
    if target is None:
        raise model.fail("target", "hall advise needs a [target] (hourly_mean_wait_minutes or service_level)")
    seed = model.scenario.scenario.seed if seed is None else seed
    confirm = max(confirm_replications, model.scenario.scenario.replications)
    search = _Search(model, target, pool, search_replications, seed)
    unmet: set[int] = set()
    plan = search.start()
    days = search.repair(plan, search.evaluate(plan), unmet)
    days = search.trim(plan, days, unmet)
    # Confirm on many days; an hour that misses there gets one more counter.
    # The first quarter of the days first: an hour that misses there even on the good side
    # of its interval gets its counter before the whole thousand is run.
    for _ in range(3):
        search.steps += 1
        first = max(1, confirm // 4)
        days = pool.totals(plan, seed, range(first))
        missing = search.misses(days, unmet, side=-1.0)
        if not missing:
            days += pool.totals(plan, seed, range(first, confirm))
            missing = search.misses(days, unmet)
            if not missing:
                break
        for hour in missing:
            if not search.add(plan, days, hour):
                unmet.add(hour)
    else:  # the last pass may have changed the plan: what is said is of this plan, on every day
        days = pool.totals(plan, seed, range(confirm))
        unmet.update(search.misses(days, unmet))
    loads = model.loads(plan)
    result = combine(days, seed=seed, start=model.start, loads=loads)
    current_plan = model.plan() or model.default_plan()
    # The plan it replaces, on fewer days: it is compared with, not confirmed.
    current_days = pool.totals(current_plan, seed, range(min(confirm, _CURRENT_REPLICATIONS)))
    current = combine(current_days, seed=seed, start=model.start, loads=model.loads(current_plan))
    hours = _explain(model, search, plan, current_plan, days, current_days, unmet)
    kept = {kind: counts for kind, counts in plan.items() if any(counts)}
    return Advice(
        plan=kept,
        counter_hours=counter_hours(plan, model.hours),
        result=result,
        target=target,
        current_plan=current_plan,
        current_counter_hours=counter_hours(current_plan, model.hours),
        current=current,
        hours=hours,
        unmet=[model.clock(h) for h in sorted(unmet)],
        search_replications=search_replications,
        steps=search.steps,
        seconds=round(clock() - began, 2),
    )


def _explain(
    model: Model,
    search: _Search,
    plan: Plan,
    current_plan: Plan,
    days: Sequence[Totals],
    current_days: Sequence[Totals],
    unmet: set[int],
) -> list[HourChange]:
    target = search.target
    if target.hourly_mean_wait_minutes is not None:
        goal = f"平均等候≤{target.hourly_mean_wait_minutes:g}分钟 / mean wait ≤ {target.hourly_mean_wait_minutes:g} min"
    else:
        assert target.service_level is not None
        level = target.service_level
        goal = (
            f"{level.share:.0%}在{level.within_minutes:g}分钟内叫号 / "
            f"{level.share:.0%} called within {level.within_minutes:g} min"
        )
    changes = []
    for hour in range(model.hours):
        now = {k: _at(current_plan.get(k, []), hour) for k in model.kinds}
        advised = {k: plan[k][hour] for k in model.kinds}
        arrivals = sum(d.hours[hour][0] for d in days) / len(days)
        wait, share = search.hour_figures(days, hour)
        was_wait, was_share = search.hour_figures(current_days, hour)
        diff = [
            f"{kind_label(k)} {now[k]}→{advised[k]} ({advised[k] - now[k]:+d})"
            for k in model.kinds
            if advised[k] != now[k]
        ]
        met = hour not in unmet

        def shown(w: float | None, s: float | None) -> str:
            text = "无人等候" if w is None else f"平均等候 {w:.1f} 分钟"
            return text + ("" if s is None else f"，{s:.0%} 按时叫号")

        if not diff:
            why = f"不变：{shown(wait, share)}（目标 {goal}）"
        else:
            why = (
                f"{'；'.join(diff)}：预计到达 {arrivals:.0f} 人；现有安排下{shown(was_wait, was_share)}，"
                f"调整后{shown(wait, share)}（目标 {goal}）"
            )
        if not met:
            why += "；在现有窗口和人员限制内达不到目标 / cannot meet the target within the limits"
        changes.append(
            HourChange(
                start=model.clock(hour),
                arrivals=round(arrivals, 1),
                current=now,
                advised=advised,
                current_wait=was_wait,
                advised_wait=wait,
                current_share=was_share,
                advised_share=share,
                met=met,
                why=why,
            )
        )
    return changes


def _at(counts: Sequence[int], hour: int) -> int:
    if not counts:
        return 0
    return counts[min(hour, len(counts) - 1)]
