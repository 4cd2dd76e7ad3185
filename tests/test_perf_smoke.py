"""The benchmarks (tests/perf) at a tiny size, so that their code keeps working.

Nothing here looks at how fast anything is: only that every benchmark runs, produces its
figures, and that the figures are sane (positive, finite, the counts as planned).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import msgspec
import pytest

from config.halls import load_hall
from tests.perf.__main__ import main as perf_main
from tests.perf.appointments import bench_appointments
from tests.perf.calling import bench_call_next_core, bench_call_next_http
from tests.perf.common import BENCH_HALL, Figure, Outcome, issue_pools, table
from tests.perf.displays import bench_displays
from tests.perf.estimates import bench_estimates
from tests.perf.floor import bench_floor
from tests.perf.halls import bench_halls, write_halls
from tests.perf.layers import bench_layers
from tests.perf.pace import bench_pace
from tests.perf.pdf import bench_pdf
from tests.perf.printing import bench_printing
from tests.perf.rebuild import bench_rebuild
from tests.perf.throughput import bench_throughput
from tests.support import DEMO_HALL


def _sane(outcome: Outcome, expected_keys: set[str]) -> dict[str, Figure]:
    figures = {f.key: f for f in outcome.figures}
    assert set(figures) == expected_keys
    for figure in outcome.figures:
        assert math.isfinite(figure.value), figure
        # CPU shares come from /proc in 10 ms ticks: a tiny run may see none.
        assert figure.value >= 0 if figure.unit == "cores" else figure.value > 0, figure
        assert figure.result in {"PASS", "MISS", "info"}, figure
        assert (figure.ok is None) == (not figure.target), figure
    assert table(outcome.figures).count("\n") == len(outcome.figures) + 1
    json.dumps(outcome.as_json())
    return figures


def test_the_bench_hall_is_the_demo_hall_without_caps() -> None:
    demo, bench = load_hall(DEMO_HALL), load_hall(BENCH_HALL)
    assert bench.id == "bench" and all(g.daily_cap is None for g in bench.rules.groups)
    assert [g.prefix for g in bench.rules.groups] == [g.prefix for g in demo.rules.groups]
    assert bench.rules.items == demo.rules.items and bench.rules.domains == demo.rules.domains
    assert bench.counters == demo.counters and bench.staff == demo.staff
    # The same devices, without the demo's dummy printer: the benchmarks measure the queue.
    assert bench.devices == tuple(msgspec.structs.replace(d, printer=None) for d in demo.devices)
    assert len(issue_pools(bench)) == len(bench.counters)


@pytest.mark.parametrize("setup", ["sqlite", "postgres", "postgres-2"])
def test_throughput_benchmark_runs(setup: str) -> None:
    floor = setup == "sqlite"  # the floor's code once is enough (its bare server starts while ours does)
    outcome = bench_throughput(
        setup,
        rate=40,
        rate_seconds=0.6,
        closed_seconds=0.4,
        warmup_seconds=0,
        kiosks=2,
        backlog=30,
        floor_rounds=1 if floor else 0,
        floor_seconds=0.3,
    )
    keys = {f"{setup}.at_rate_p99_ms", f"{setup}.max_ops_per_second", f"{setup}.at_rate_cpu_cores"}
    if floor:
        keys |= {f"{setup}.floor_ratio", f"{setup}.cpu_us_per_op", f"{setup}.floor_cpu_us_per_op"}
        rounds = outcome.details["floor"]["rounds"]
        assert [(r["phase"], r["target"]) for r in rounds] == [("ours-1", "ours"), ("floor-1", "floor")]
        assert all(r["errors"] == 0 and r["ops"] > 0 and r["server_cpu_seconds"] >= 0 for r in rounds)
    else:
        assert "floor" not in outcome.details
    _sane(outcome, keys)
    phases = {p["phase"]: p for p in outcome.details["phases"]}
    assert set(phases) == {"rate", "closed"}
    for phase in phases.values():
        assert phase["errors"] == 0 and phase["ops"] > 0
        assert phase["ops"] == sum(op["count"] for op in phase["per_op"].values())
        assert set(phase["per_op"]) <= {"issue", "call-next", "complete"} and "issue" in phase["per_op"]
    assert phases["rate"]["ops"] == 24  # 40 a second for 0.6 s, on schedule
    assert outcome.details["clients"] == {"kiosks": 2, "counters": 14}
    assert outcome.details["setup"]["servers"] == (2 if setup == "postgres-2" else 1)
    assert outcome.details["final_queue"]["seq"] > 30 + 28  # prefill, sign-ins and opens at least


def test_pace_benchmark_runs() -> None:
    outcome = bench_pace(rounds=2, seconds=0.3, warmup_seconds=0, backlog=6, idle_seconds=0.2)
    _sane(outcome, {"pace.cpu_us_per_op", "pace.floor_cpu_us_per_op", "pace.cpu_ratio"})
    rounds = outcome.details["rounds"]
    assert [r["phase"] for r in rounds] == ["ours-1", "floor-1", "floor-2", "ours-2"]  # ABBA
    for r in rounds:
        assert r["errors"] == 0 and r["ops"] > 0, r
        assert set(r["per_op"]) <= {"issue", "call-next", "complete"} and "issue" in r["per_op"]
    assert outcome.details["clients"] == {"kiosks": 2, "counters": 3}
    assert outcome.details["totals"]["ours"]["ops"] == sum(r["ops"] for r in rounds if r["target"] == "ours")
    assert outcome.details["server_cpu_at_rest_ms_per_s"] >= 0


def test_call_next_http_benchmark_runs() -> None:
    outcome = bench_call_next_http(waiting=60, samples=14, baseline_waiting=10)
    _sane(outcome, {"call_next_http.p99_ms", "call_next_http.baseline_p99_ms"})
    for key, waiting in (("loaded", 60), ("baseline", 10)):
        result = outcome.details[key]
        assert result["waiting_before"] == result["waiting_after"] == waiting
        assert result["latency"]["count"] == 14


def test_call_next_core_benchmark_runs() -> None:
    outcome = bench_call_next_core(sizes=(20, 200), samples=28)
    figures = _sane(outcome, {"call_next_core.20.p50_us", "call_next_core.200.p50_us"})
    assert figures["call_next_core.20.p50_us"].ok is None and figures["call_next_core.200.p50_us"].ok is not None
    assert {r["samples"] for r in outcome.details["by_waiting"].values()} == {28}


def test_rebuild_benchmark_runs() -> None:
    outcome = bench_rebuild(events=3000, repeats=1)
    _sane(outcome, {"rebuild.seconds", "rebuild.cli_seconds"})
    record = outcome.details["record"]
    assert record["events"] >= 3000 and record["days"] >= 1
    assert record["refused"] == {}
    assert sum(record["events_by_kind"].values()) == record["events"]
    for kind in ("ticket_issued", "ticket_called", "service_completed", "ticket_missed", "day_started"):
        assert record["events_by_kind"].get(kind), kind
    assert outcome.details["cli"]["identical"] and outcome.details["cli"]["events"] == record["events"]


def test_displays_benchmark_runs() -> None:
    outcome = bench_displays(
        devices=12,
        calls=6,
        many_devices=30,
        many_processes=2,
        many_rate=2,
        many_calls=4,
        redis_devices=12,
        redis_calls=6,
        steps=(4, 8),
        step_seconds=1,
        step_p99_ms=60_000,  # sanity, not speed: every step passes unless something fails
        heartbeat=1.0,
        prefill=3,
    )
    figures = _sane(
        outcome,
        {
            "displays.one.p99_ms",
            "displays.one.from_request_p99_ms",
            "displays.one.cpu_cores",
            "displays.max_calls_per_second",
            "displays.many.p99_ms",
            "displays.many.cpu_cores",
            "displays.redis.same_server.p99_ms",
            "displays.redis.other_server.p99_ms",
            "displays.redis.cpu_cores",
        },
    )
    assert figures["displays.one.p99_ms"].ok is not None and figures["displays.max_calls_per_second"].ok is None
    assert figures["displays.max_calls_per_second"].value == 8
    details = outcome.details
    one = details["one_worker"]
    assert one["connect"]["connected"] == 12 and set(one["phases"]) == {"latency", "rate-4", "rate-8"}
    assert [s["rate"] for s in details["rate_steps"]] == [4, 8]
    planned = {"latency": 6, "rate-4": 4, "rate-8": 8}
    for name, phase in one["phases"].items():
        assert phase["http"]["calls"] == phase["http"]["answered_200"] == planned[name], name
        delivery = phase["delivery"]["all"]
        assert delivery["calls"] == planned[name] and delivery["devices"] == 12
        # every (device, call) pair is either received, with its latency, or counted as missed
        assert delivery["from_answer"]["count"] + delivery["missed"] == 12 * planned[name]
        assert delivery["from_request"]["count"] == delivery["from_answer"]["count"]
    assert one["device_totals"]["heartbeats"] >= 12  # every device answered heartbeats between rounds
    assert one["device_totals"]["connect"]["count"] == 12
    many = details["many"]
    assert many["connect"]["connected"] == 30 and many["phase"]["http"]["answered_200"] == 4
    assert many["phase"]["delivery"]["all"]["from_answer"]["count"] + many["phase"]["delivery"]["all"]["missed"] == 120
    redis = details["redis"]["phase"]["delivery"]
    assert redis["same_server"]["devices"] == redis["other_server"]["devices"] == 6
    for part in redis.values():
        assert part["calls"] == 6 and part["from_answer"]["count"] + part["missed"] == 36


def test_floor_benchmark_runs() -> None:
    outcome = bench_floor(devices=20, calls=4)
    _sane(outcome, {"floor.p99_ms"})
    assert outcome.details == {"devices": 20, "connected": 20, "calls": 4, "missed": 0}


def test_appointments_benchmark_runs() -> None:
    outcome = bench_appointments(listings=20, racers=12, prebook=6)
    _sane(outcome, {"appointments.slots_week_p99_ms", "appointments.race_seconds"})
    race = outcome.details["race"]
    assert race["booked"] == race["seats"] == 4 and race["full"] == 8  # exactly the seats, the rest told full
    assert outcome.details["listing"]["bookable_items"] == 19 and outcome.details["listing"]["slots_per_answer"] > 0


def test_printing_benchmark_runs() -> None:
    outcome = bench_printing(count=30, rounds=2, service_count=20)
    figures = _sane(outcome, {"printing.slips_80", "printing.slips_58", "printing.service_seconds"})
    assert figures["printing.slips_80"].ok is not None and figures["printing.service_seconds"].ok is None
    assert outcome.details["service"]["jobs"] == 20 and len(outcome.details["80 mm, GB18030"]["seconds"]) == 2
    assert 600 < outcome.details["80 mm, GB18030"]["bytes_per_slip"] < 2000  # whole slips, QR code and cut


def test_pdf_benchmark_runs() -> None:
    outcome = bench_pdf(clients=3, seconds=1, rate=10, tickets=12)
    keys = {f"pdf.{mode}.{figure}" for mode in ("before", "after") for figure in ("loaded_p95_ms", "pdfs_per_second")}
    figures = _sane(outcome, keys)
    assert figures["pdf.before.loaded_p95_ms"].ok is None and figures["pdf.after.loaded_p95_ms"].ok is not None
    for mode in ("before", "after"):
        result = outcome.details[mode]
        assert result["alone"]["latency"]["count"] == result["loaded"]["latency"]["count"] == 10
        pdfs = result["loaded"]["pdfs"]
        assert set(pdfs["status"]) <= {"200", "503"} and pdfs["status"]["200"] > 0, pdfs
        assert pdfs["addresses"] == "127.0.0.2-127.0.0.4"
    assert "503" not in outcome.details["before"]["loaded"]["pdfs"]["status"]  # nothing bounded before


def test_estimates_benchmark_runs() -> None:
    outcome = bench_estimates(days=1)
    _sane(outcome, {"estimates.bias_300", "estimates.bands_300", "estimates.bias_420", "estimates.bands_420"})
    table = outcome.details["per_day_420"]
    assert table["quotes"] > 300 and table["bands"][0]["ahead"] == "0"
    assert table["table"][0].split() == ["ahead", "count", "actual", "quoted", "error", "floor", "×floor"]


def test_the_halls_are_copies_of_the_bench_hall_with_their_own_ids_and_tokens(tmp_path: Path) -> None:
    ids = write_halls(tmp_path, 2)
    first, second = (load_hall(tmp_path / f"{h}.toml") for h in ids)
    assert (first.id, second.id) == ("h001", "h002") == tuple(ids)
    assert {d.token_sha256 for d in first.devices}.isdisjoint(d.token_sha256 for d in second.devices)
    assert len({d.token_sha256 for d in first.devices}) == len(first.devices)
    assert first.rules.items == load_hall(BENCH_HALL).rules.items and first.staff == load_hall(BENCH_HALL).staff


@pytest.mark.parametrize("setup", ["sqlite"])  # the two-server set-up runs the same code (40 s more)
def test_halls_benchmark_runs(setup: str) -> None:
    outcome = bench_halls(
        setup, halls=2, rate=6, idle_seconds=0.3, warmup_seconds=0.3, seconds=1.0, prefill=2, baseline=False
    )
    keys = ("p99_ms", "cpu_cores", "idle_cores", "rss_mb")
    _sane(outcome, {f"halls-{setup}.{k}" for k in keys})
    details = outcome.details
    assert details["measured"]["errors"] == 0
    assert 6 <= details["measured"]["ops"] <= 18  # about 6 a second a hall for 1 s (the schedule's jitter)
    assert set(details["measured"]["per_op"]) <= {"issue", "call-next", "complete"}
    screens = details["screens"]
    assert screens["calls_made"] > 0 and screens["screens_missing_calls"] == 0 and screens["gaps"] == 0
    assert len(details["start_seconds"]) == (2 if setup == "postgres-2" else 1)


def test_layers_benchmark_runs() -> None:
    outcome = bench_layers(rounds=12, repeat=1, clients=2, backlog=6)
    layers = ("bare_one", "http_one", "hop_one", "full_one", "bare_clients", "full_clients")
    _sane(outcome, {f"layers.{k}_us" for k in layers} | {"layers.worker_steps_us"})
    details = outcome.details
    runs = {key: run for key, (run,) in details["runs"].items()}  # one run of each (repeat=1)
    assert set(runs) == {k.replace("_", "-") for k in layers}
    assert details["nothing_waiting"] == {}  # the backlog never runs dry: every round is its three requests
    assert all(run["requests"] == 36 for run in runs.values()), runs
    # Each layer is what it says: the stubbed ones never reach the hall, the hop's answers come
    # back through its thread, and only the full runs' worker thread works.
    real = runs["full-one"]["requests"] + runs["full-clients"]["requests"]
    assert details["answered"] == {"kept": 36, "hop": 36, "real": real}
    worker = {key: run["threads"]["worker"] for key, run in runs.items()}
    assert worker["full-one"] > 0 and worker["full-clients"] > 0 and runs["hop-one"]["threads"]["hop"] > 0
    assert worker["http-one"] < worker["full-one"] / 10 and worker["hop-one"] < worker["full-one"] / 10
    steps = {s["step"]: s for s in details["steps"]}
    assert steps["all of a command on the worker"]["calls"] == 1.0  # one command a request
    assert all(s["us_per_request"] > 0 for s in steps.values()), steps
    timing, whole = details["timing_us"], steps["all of a command on the worker"]["us_per_request"]
    assert 0 < timing["inside"] < timing["outside"] < whole < details["steps_worker_thread_us"]


def test_the_command_prints_a_table_and_writes_json(tmp_path: Path, capsys) -> None:
    report = tmp_path / "perf.json"
    assert perf_main(["--only", "core", "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "machine:" in out and "core CallNext" in out
    data = json.loads(report.read_text())
    assert data["summary"]["error"] == 0 and len(data["figures"]) == 3
