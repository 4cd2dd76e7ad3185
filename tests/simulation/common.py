"""Scenarios for the simulator's tests: written to a folder beside the test halls' files."""

from __future__ import annotations

import json
from pathlib import Path

from config.halls import load_hall
from queueing.simulation.model import Model
from queueing.simulation.scenario import load_scenario

__all__ = ["HALLS", "model_of", "scenario_file"]

HALLS = Path(__file__).parent


def scenario_file(folder: Path, body: str, *, hall: str = "one_item.toml", name: str = "scenario.toml") -> Path:
    """A scenario file in ``folder`` whose hall is one of the test halls; ``body``: the rest."""
    path = folder / name
    header = f'[scenario]\nhall = "{(HALLS / hall).as_posix()}"\n'
    path.write_text(header + body, encoding="utf-8")
    return path


def model_of(folder: Path, body: str, *, hall: str = "one_item.toml") -> Model:
    scenario = load_scenario(scenario_file(folder, body, hall=hall))
    return Model(load_hall(scenario.hall_path()).queue_part(), scenario)


# ---------------------------------------------------------------------- raw days

_MODEL: Model | None = None


def _take_model(model: Model) -> None:
    global _MODEL
    _MODEL = model


def _waits(args: tuple[dict | None, int, int]) -> list[tuple[float, float, int, str]]:
    plan, seed, replication = args
    assert _MODEL is not None
    record = _MODEL.engine.run(_MODEL.citizens(seed, replication), _MODEL.controls(plan))
    return [
        (c.at, called, c.rank, c.item)
        for c, called, gone in zip(record.citizens, record.called, record.no_show, strict=True)
        if called == called and not gone
    ]


def raw_days(
    model: Model, plan: dict | None, seed: int, replications: int
) -> list[list[tuple[float, float, int, str]]]:
    """Each simulated day's called citizens as (arrival, first call, class rank, item), straight
    from the engine: the tests' own tally, apart from ``results.py``. Two fresh processes:
    spawned, not forked, since the test process may hold other tests' threads and signal
    handlers, and a fork of it once hung CI for five minutes."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2, initializer=_take_model, initargs=(model,)) as pool:
        days = pool.map(_waits, [(plan, seed, r) for r in range(replications)])
        pool.close()
        pool.join()
    return days


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def record(check: str, rows: list) -> None:
    """Keep a check's figures (theory against the simulation, with its interval) in
    ``test-artifacts/simulation-checks.jsonl``: how close the simulator came, for the README."""
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "simulation-checks.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"check": check, "rows": rows}, ensure_ascii=False) + "\n")
