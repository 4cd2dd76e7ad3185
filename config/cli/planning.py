"""The manager's planning: ``hall simulate`` and ``hall advise`` on a scenario file.

    hall simulate SCENARIO.toml [--replications N] [--seed S] [--workers W] [--json]
    hall advise SCENARIO.toml [--workers W] [--json]

The scenario names its hall file (``queueing/simulation/scenario.py`` documents the file).
A demand with an ``empirical`` service time reads the hall's recorded services from the
database of the settings (DATABASE_URL), the last eight weeks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Callable
from typing import Any

import msgspec

from config.cli.common import settings_of
from config.halls import ConfigError, load_hall
from queueing.policy import HallRules
from queueing.simulation.advice import Advice, advise, kind_label
from queueing.simulation.model import Model, Pool
from queueing.simulation.results import Estimate, SimulationResult
from queueing.simulation.scenario import ScenarioError, ScenarioFile, load_scenario

__all__ = ["add_commands", "render_advice", "render_result"]


def _model(args: argparse.Namespace) -> Model:
    scenario = load_scenario(args.scenario)
    try:
        hall = load_hall(scenario.hall_path())
    except ConfigError as exc:
        raise ScenarioError(f"{scenario.path}: scenario.hall: {exc}") from None
    return Model(hall.queue_part(), scenario, _recorded_services(args, scenario, hall.rules))


def _recorded_services(args: argparse.Namespace, scenario: ScenarioFile, rules: HallRules) -> dict[str, list[float]]:
    if not any(d.service.distribution == "empirical" for d in scenario.demand):
        return {}  # no database to open
    from config.database import connect_engine
    from queueing.simulation.history import History

    engine = connect_engine(settings_of(args).database_url)
    try:
        return History(engine).scenario_services(rules, scenario, dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()


def _answer(
    args: argparse.Namespace,
    work: Callable[[Model, Pool], Any],
    render: Callable[[Any, Model], str],
) -> int:
    """Load the scenario, ``work`` on it in a pool, print the answer (``--json``: as JSON);
    a scenario error is a message and exit status 2."""
    try:
        model = _model(args)
        with Pool(model, args.workers) as pool:
            answer = work(model, pool)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(answer) + b"\n")
    else:
        print(render(answer, model))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.replications is not None and not 1 <= args.replications <= 100_000:
        print("error: --replications: from 1 to 100000", file=sys.stderr)
        return 2
    return _answer(
        args,
        lambda model, pool: model.simulate(replications=args.replications, seed=args.seed, pool=pool),
        render_result,
    )


def cmd_advise(args: argparse.Namespace) -> int:
    return _answer(args, lambda model, pool: advise(model, pool=pool), render_advice)


# ---------------------------------------------------------------------- text


def _ci(estimate: Estimate, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
    if estimate.mean is None:
        return "—"
    text = f"{estimate.mean * scale:.{digits}f}{unit}"
    if estimate.ci95 is not None:
        low, high = estimate.ci95
        text += f" [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"
    return text


def render_result(result: SimulationResult, model: Model) -> str:
    scenario = model.scenario.scenario
    lines = [
        f"{model.hall.info.name} [{model.hall.id}] — {result.replications} simulated days (seed {result.seed}), "
        f"arrivals {scenario.start}–{scenario.end}, {result.arrivals:.0f} a day",
    ]
    everywhere = bool(result.hours) and all(h.overloaded for h in result.hours)
    if everywhere:
        worst = max((h.load or 0.0) for h in result.hours)
        lines.append(
            f"OVERLOADED in every hour (load up to {worst:.0%}): more work arrives than the open counters can do, "
            "so the line grows as long as arrivals go on; there is no steady wait to give. "
            "Open more counters (see `hall advise`)."
        )
    else:
        wait = result.wait_minutes
        mean = Estimate(wait.mean, wait.ci95)
        lines.append(f"wait (minutes, 95% CI): mean {_ci(mean)}   p50 {_ci(wait.p50)}   p90 {_ci(wait.p90)}")
        over = "   ".join(f">{k} min {_ci(v, 100, 0, '%')}" for k, v in result.wait_over.items())
        lines.append(f"waited at all {_ci(result.waited_share, 100, 0, '%')}   {over}")
    lines.append(
        f"utilisation {_ci(result.utilisation, 100, 0, '%')}   last served {result.last_served or '—'}   "
        f"no-shows {result.no_shows:g}   turned away {result.turned_away:g}   unserved {result.unserved:g}"
    )
    if result.overloaded and not everywhere:
        lines.append(
            f"overloaded hours (the line grows through them, whatever the order of calling): "
            f"{', '.join(result.overloaded)}"
        )
    lines.append("")
    lines.append(
        f"{'hour':5}  {'arrivals':>8}  {'open':>5}  {'load':>5}  {'mean wait [95% CI]':>22}  {'>15 min':>8}  util"
    )
    for hour in result.hours:
        load = "—" if hour.load is None or math.isinf(hour.load) else f"{hour.load:.0%}"
        wait = "overloaded" if hour.overloaded else _ci(hour.wait_minutes)
        over15 = hour.wait_over.get("15")
        lines.append(
            f"{hour.start:5}  {hour.arrivals:8.1f}  {hour.open:5.1f}  {load:>5}  {wait:>22}  "
            f"{_ci(over15, 100, 0, '%') if over15 else '—':>8}  {_ci(hour.utilisation, 100, 0, '%')}"
        )
    for title, groups in (("priority class", result.classes), ("ticket group", result.groups)):
        if len(groups) > 1:
            lines.append("")
            lines.append(f"by {title}:")
            for group in groups:
                lines.append(
                    f"  {group.name:12} {group.called:8.1f} called a day   mean wait {_ci(group.wait_minutes)}   "
                    f"p90 {_ci(group.p90)}"
                )
    lines.extend(result.notes)
    return "\n".join(lines)


def render_advice(advice: Advice, model: Model) -> str:
    kinds = [k for k in model.kinds if any(advice.plan.get(k, [])) or any(advice.current_plan.get(k, []))]
    lines = [
        f"{model.hall.info.name} [{model.hall.id}] — advice: {advice.counter_hours} counter-hours "
        f"(now {advice.current_counter_hours}); searched {advice.steps} plans on {advice.search_replications} days "
        f"each, confirmed on {advice.result.replications} days, in {advice.seconds:.1f} s",
        "",
        f"{'hour':5}  " + "  ".join(f"{kind_label(k):>12}" for k in kinds) + "   mean wait now → advised",
    ]
    for change in advice.hours:
        cells = "  ".join(f"{change.current.get(k, 0):>5} → {change.advised.get(k, 0):<4}" for k in kinds)
        now = "—" if change.current_wait is None else f"{change.current_wait:.1f}"
        then = "—" if change.advised_wait is None else f"{change.advised_wait:.1f}"
        mark = "" if change.met else "  (target not met)"
        lines.append(f"{change.start:5}  {cells}   {now:>6} → {then}{mark}")
    lines.append("")
    lines.append("[plan]")
    for kind, counts in advice.plan.items():
        key = kind if kind.isidentifier() else f'"{kind}"'
        lines.append(f"{key} = [{', '.join(map(str, counts))}]")
    lines.append("")
    lines.append("why, hour by hour:")
    lines.extend(f"  {change.start} {change.why}" for change in advice.hours)
    if advice.unmet:
        lines.append(f"cannot meet the target within the limits at {', '.join(advice.unmet)}")
    lines.append("")
    lines.append("the advised plan, simulated:")
    lines.append(render_result(advice.result, model))
    return "\n".join(lines)


# ---------------------------------------------------------------------- commands


def add_commands(commands: argparse._SubParsersAction) -> None:
    simulate = commands.add_parser(
        "simulate", help="simulate a day of a scenario file through the live queue rules, many times"
    )
    simulate.add_argument("scenario", help="the scenario TOML file")
    simulate.add_argument("--replications", type=int, help="simulated days (default: the scenario's)")
    simulate.add_argument("--seed", type=int, help="first seed (default: the scenario's); the same seed, the same days")
    simulate.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    simulate.add_argument("--json", action="store_true", help="print one JSON object")
    simulate.set_defaults(run=cmd_simulate)
    advise_ = commands.add_parser(
        "advise", help="the plan with the fewest counter-hours that meets the scenario's [target]"
    )
    advise_.add_argument("scenario", help="the scenario TOML file, with a [target]")
    advise_.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    advise_.add_argument("--json", action="store_true", help="print one JSON object")
    advise_.set_defaults(run=cmd_advise)
