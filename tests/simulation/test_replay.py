"""The live core and the simulator agree: a day recorded by the live service (tickets taken at
the kiosk, clerks calling through the API the moment they are free, a green-channel ticket, a
no-show recalled twice, a transfer, a citizen who left), replayed with its own counters,
gives every ticket its recorded wait; with one more counter, the waits fall.

The day is driven here by a plain event loop of our own (not the simulator's engine): the
clerks' timing is the test's, the choice of whom to call the live core's.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random

import pytest
from litestar.testing import TestClient

from tests.support import Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
COUNTERS = (1, 2, 3)  # no-difference counters of the demo hall
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def drive_a_day(client: TestClient, clock: Clock) -> dict[str, float]:
    """A morning at three counters; returns each ticket's wait (minutes) as the API reported
    the calls."""
    rng = random.Random(7)
    manager = login(client, "manager", "demo-manager")
    clock.now = START
    for number in COUNTERS:
        assert client.post(f"/api/halls/demo/counters/{number}/open", headers=manager).status_code == 200
    arrivals = sorted(rng.uniform(0, 150) for _ in range(60))
    events: list[tuple[float, int, str, object]] = []
    order = iter(range(10**6))
    for k, minute in enumerate(arrivals):
        heapq.heappush(events, (minute, next(order), "arrive", k))
    idle = {n: 0.0 for n in COUNTERS}  # counter -> idle since (longest idle calls first)
    issued: dict[str, dict] = {}  # number -> ticket
    called_at: dict[str, float] = {}
    durations: dict[str, float] = {}
    plans: dict[str, str] = {}  # number -> "no_show" | "transfer" | "green"

    def post(path: str, **kwargs: object) -> dict | None:
        answer = client.post(path, headers=manager, **kwargs)
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.status_code == 200 else None

    def call(counter: int, now: float) -> None:
        ticket = post(f"/api/halls/demo/counters/{counter}/call-next")
        if ticket is None:
            idle[counter] = now
            return
        idle.pop(counter, None)
        number = ticket["number"]
        first = number not in called_at
        called_at.setdefault(number, now)
        if first and plans.get(number) == "no_show":
            for k in (1, 2):
                heapq.heappush(events, (now + k, next(order), "recall", counter))
            heapq.heappush(events, (now + 3, next(order), "missed", counter))
            return
        minutes = durations[number] if first else 4.0  # the second visit, after a transfer
        heapq.heappush(events, (now + minutes, next(order), "done", (counter, number, first)))

    while events:
        now, _, kind, what = heapq.heappop(events)
        clock.now = START + dt.timedelta(minutes=now)
        if kind == "arrive":
            k = int(what)  # type: ignore[call-overload]
            green = k == 5
            body = {"item": "GJ01" if k % 7 == 3 else "SB01", **({"priority": "green"} if green else {})}
            ticket = client.post("/api/halls/demo/tickets", json=body, headers=manager if green else KIOSK).json()
            number = ticket["number"]
            issued[number] = ticket
            durations[number] = rng.uniform(3, 9)
            plans[number] = {8: "no_show", 12: "transfer"}.get(k, "green" if green else "")
            if k == 20:  # this one gives up after twelve minutes, if still waiting
                heapq.heappush(events, (now + 12, next(order), "leave", ticket["id"]))
            for counter in sorted(idle, key=idle.get):  # type: ignore[arg-type]
                call(counter, now)
                break
        elif kind == "recall":
            post(f"/api/halls/demo/counters/{what}/recall")
        elif kind == "missed":
            post(f"/api/halls/demo/counters/{what}/no-show")
            call(int(what), now)  # type: ignore[call-overload]
        elif kind == "leave":
            state = client.get(f"/api/halls/demo/tickets/{what}", headers=manager).json()["state"]
            if state == "waiting":
                post(f"/api/halls/demo/tickets/{what}/cancel")
        else:
            counter, number, first = what  # type: ignore[misc]
            if first and plans.get(number) == "transfer":
                post(f"/api/halls/demo/counters/{counter}/transfer", json={"item": "GJ01"})
                for other in sorted(idle, key=idle.get):  # type: ignore[arg-type]
                    call(other, now)  # a free counter takes the transferred ticket
                    break
            else:
                post(f"/api/halls/demo/counters/{counter}/complete")
            call(counter, now)
    clock.now = START + dt.timedelta(hours=4)
    for number in COUNTERS:
        post(f"/api/halls/demo/counters/{number}/close")
    return {number: called_at[number] - (dt.datetime.fromisoformat(t["issued_at"]) - START).total_seconds() / 60
            for number, t in issued.items() if number in called_at}  # fmt: skip


def test_a_recorded_day_replays_to_its_own_waits(client: TestClient, clock: Clock) -> None:
    waits = drive_a_day(client, clock)
    assert len(waits) >= 55 and max(waits.values()) > 10  # a day where people waited
    clock.now = START + dt.timedelta(days=1)  # the day is over
    manager = login(client, "manager", "demo-manager")
    answer = client.post("/api/halls/demo/planning/replay", json={"day": "2026-11-23"}, headers=manager)
    assert answer.status_code == 200, answer.text
    replay = answer.json()
    for number, wait in waits.items():
        recorded, own, _ = replay["waits"][number]
        assert recorded == pytest.approx(wait, abs=0.01), number
        assert own == pytest.approx(recorded, abs=0.01), (number, recorded, own)
    assert replay["own"]["wait_minutes"]["mean"] == pytest.approx(replay["recorded"]["wait_mean"], abs=0.01)
    assert replay["own"]["no_shows"] == 1
    assert replay["own"]["unserved"] == 0  # the citizen who left is not "unserved"
    # one more counter from 09:30 to 11:00: nobody waits longer, the mean falls
    more = client.post(
        "/api/halls/demo/planning/replay",
        json={"day": "2026-11-23", "changes": [
            {"at": "09:30", "counter": 4, "action": "open"}, {"at": "11:00", "counter": 4, "action": "close"}]},
        headers=manager,
    ).json()  # fmt: skip
    assert more["replayed"]["wait_minutes"]["mean"] < replay["own"]["wait_minutes"]["mean"]
    # a day that is not over, or has no tickets, is refused with the field named
    clock.now = START + dt.timedelta(hours=5)
    today = client.post("/api/halls/demo/planning/replay", json={"day": "2026-11-23"}, headers=manager)
    assert today.status_code == 422 and "day" in today.json()["detail"]
    clock.now = START + dt.timedelta(days=1)
    empty = client.post("/api/halls/demo/planning/replay", json={"day": "2026-11-16"}, headers=manager)
    assert empty.status_code == 404 and "no tickets" in empty.json()["detail"]
