"""Figure 6: appointments.

- Listing slots: ``GET /api/halls/demo/appointments/slots?item=…&days=7`` over HTTP against one
  ``hall serve`` (SQLite), the demo hall's 19 bookable items in turn (of 23: cross-province and
  pick-up items are not booked online), with bookings spread over the week first so the counts are read for real; one
  request at a time, each timed from sending to the whole answer; target p99 < 20 ms.
- Racing for one slot: 200 clients book the same slot at once (each a different person),
  through two ``hall serve`` processes on one PostgreSQL database; every answer must be a
  booking or "full", exactly as many bookings as seats; target: all resolved within 2 s.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack

import httpx

from tests.perf.common import Figure, Outcome, database, fmt, percentile, scratch_dir, server_env, servers
from tests.support import DEMO_HALL, booking_request, phone_code

__all__ = ["bench_appointments"]

BASE = "/api/halls/demo/appointments"


def _id_number(serial: int) -> str:
    body = f"110105198{serial % 10}0101{serial % 1000:03d}"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _person(serial: int) -> dict[str, str]:
    return {"id_number": _id_number(serial), "name": "测试", "phone": f"139{serial:08d}"}


def _phone(n: int) -> dict[str, str]:
    """Each citizen books from a phone of his own: an address the per-client bounds count apart."""
    return {"X-Forwarded-For": f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}"}


def bench_appointments(listings: int = 600, racers: int = 200, prebook: int = 120) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome("appointments")
    details: dict = {}

    with ExitStack() as stack:
        folder = stack.enter_context(scratch_dir("appointments"))
        url = stack.enter_context(database("sqlite", folder))
        env = {**server_env(folder, url), "HALL_FILES": str(DEMO_HALL)}
        [server] = stack.enter_context(servers(env, folder))
        with httpx.Client(base_url=server.url, timeout=30) as client:
            items = [i["code"] for i in client.get("/api/halls/demo").json()["items"]]
            bookable = [i for i in items if client.get(f"{BASE}/slots", params={"item": i}).status_code == 200]
            # bookings over the week: every bookable item, several slots each, made at the service
            # desk (no phones' codes: the data is what counts here)
            desk = client.post(
                "/api/auth/login", json={"hall": "demo", "username": "manager", "password": "demo-manager"}
            ).json()
            made = 0
            for serial in range(prebook):
                item = bookable[serial % len(bookable)]
                slots = [s for s in client.get(f"{BASE}/slots", params={"item": item}).json() if s["state"] == "open"]
                if not slots:
                    continue
                slot = slots[(serial * 7) % len(slots)]
                answer = client.post(
                    BASE,
                    json=booking_request(item, slot["start"], _person(10_000 + serial)),
                    headers={"Authorization": f"Bearer {desk['token']}"},
                )
                made += answer.status_code == 201
            for item in bookable[:5]:  # warm-up
                client.get(f"{BASE}/slots", params={"item": item, "days": 7})
            times = []
            slots_listed = 0
            for index in range(listings):
                item = bookable[index % len(bookable)]
                began = time.perf_counter()
                answer = client.get(f"{BASE}/slots", params={"item": item, "days": 7})
                body = answer.json()
                times.append(time.perf_counter() - began)
                assert answer.status_code == 200, answer.text
                slots_listed += len(body)
        times.sort()
        p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
        details["listing"] = {
            "requests": listings,
            "bookable_items": len(bookable),
            "items": len(items),
            "bookings_made": made,
            "slots_per_answer": slots_listed / listings,
            "p50_ms": p50,
            "p99_ms": p99,
            "max_ms": times[-1] * 1000,
        }
        outcome.figures.append(
            Figure(
                key="appointments.slots_week_p99_ms",
                label=f"a week of slots for an item, HTTP ({len(bookable)} bookable items, {made} bookings, SQLite)",
                value=p99,
                unit="ms",
                text=f"p50 {fmt(p50)} / p99 {fmt(p99)} / max {fmt(times[-1] * 1000)} ms; "
                f"{slots_listed / listings:.0f} slots an answer",
                target="p99 < 20 ms",
                ok=p99 < 20,
            )
        )

    with ExitStack() as stack:
        folder = stack.enter_context(scratch_dir("appointments_race"))
        url = stack.enter_context(database("postgres", folder))
        env = {**server_env(folder, url), "HALL_FILES": str(DEMO_HALL)}
        running = stack.enter_context(servers(env, folder, 2))
        slots = httpx.get(f"{running[0].url}{BASE}/slots", params={"item": "QY01"}).json()
        slot = next(s for s in slots if s["state"] == "open")
        # each racer has his phone's code first, as the booking page asks for it
        codes = []
        for n in range(racers):
            with httpx.Client(base_url=running[n % 2].url, timeout=30) as asking:
                codes.append(phone_code(asking, _person(n)["phone"], log=running[n % 2].log, headers=_phone(n)))

        async def race() -> tuple[list[httpx.Response], float]:
            limits = httpx.Limits(max_connections=racers, max_keepalive_connections=racers)
            async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                # connections first, so the race measures the bookings and not TCP handshakes
                await asyncio.gather(*(client.get(f"{s.url}/api/halls") for s in running for _ in range(20)))
                began = time.perf_counter()
                answers = await asyncio.gather(
                    *(
                        client.post(
                            f"{running[n % 2].url}{BASE}",
                            json=booking_request("QY01", slot["start"], _person(n), phone_code=codes[n]),
                            headers=_phone(n),
                        )
                        for n in range(racers)
                    )
                )
                return answers, time.perf_counter() - began

        answers, seconds = asyncio.run(race())
        won = sum(a.status_code == 201 for a in answers)
        full = sum(a.status_code == 409 and a.json().get("code") == "full" for a in answers)
        correct = won == slot["left"] and won + full == racers
        details["race"] = {"racers": racers, "seats": slot["left"], "booked": won, "full": full, "seconds": seconds}
        outcome.figures.append(
            Figure(
                key="appointments.race_seconds",
                label=f"{racers} clients book the same slot at once (2 servers, PostgreSQL)",
                value=seconds,
                unit="s",
                text=f"{fmt(seconds)} s; {won} booked of {slot['left']} seats, {full} told full"
                + ("" if correct else " — WRONG"),
                target="< 2 s, exactly the seats booked",
                ok=correct and seconds < 2,
            )
        )
    outcome.details = details
    outcome.seconds = time.perf_counter() - started
    return outcome
