"""Many clients book the last seats at once, through two ``hall serve`` processes on one
PostgreSQL database: never more bookings than seats, and one person never gets two bookings
of one item on one day however fast they click."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import psycopg

from tests.support import DEMO_HALL, booking_request, person, phone_code, running

BASE = "/api/halls/demo/appointments"


def address(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"10.0.0.{n + 1}"}


def _env(tmp_path: Path, pg_url: str) -> dict[str, str]:
    return {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_FILES": str(DEMO_HALL),
        "DATABASE_URL": pg_url,
        "HALL_LOG_FORMAT": "text",
        "HALL_LOG_LEVEL": "INFO",  # the demo's log notifier writes the phones' codes there
    }


def test_the_last_seats_are_never_overbooked_across_processes(tmp_path: Path, pg_url: str) -> None:
    env = _env(tmp_path, pg_url)
    with running(env, log=tmp_path / "a.log") as first, running(env, log=tmp_path / "b.log") as second:
        slots = httpx.get(f"{first.url}{BASE}/slots", params={"item": "QY01"}).json()
        slot = next(s for s in slots if s["state"] == "open")
        seats = slot["left"]
        assert seats == 4
        with httpx.Client(base_url=first.url) as to_first, httpx.Client(base_url=second.url) as to_second:
            asked = ((to_first, tmp_path / "a.log"), (to_second, tmp_path / "b.log"))
            codes = [
                phone_code(asked[n % 2][0], str(person(n + 1)["phone"]), log=asked[n % 2][1], headers=address(n))
                for n in range(60)
            ]

        async def storm() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            f"{(first, second)[n % 2].url}{BASE}",
                            json=booking_request("QY01", slot["start"], person(n + 1), phone_code=codes[n]),
                            headers=address(n),  # sixty people, sixty phones
                        )
                        for n in range(60)
                    )
                )

        answers = asyncio.run(storm())
        won = [a for a in answers if a.status_code == 201]
        lost = [a for a in answers if a.status_code == 409]
        assert len(won) == seats and len(lost) == 60 - seats, [a.text for a in answers if a.status_code >= 500][:3]
        assert {a.json()["code"] for a in lost} == {"full"}
        assert len({a.json()["code"] for a in won}) == seats
        after = httpx.get(f"{second.url}{BASE}/slots", params={"item": "QY01"}).json()
        assert next(s for s in after if s["start"] == slot["start"])["state"] == "full"
        with psycopg.connect(pg_url) as conn:
            booked = conn.execute(
                "SELECT booked FROM appointment_slot WHERE hall = 'demo' AND capacity_key = 'group:A'"
            ).fetchall()
            rows = conn.execute("SELECT count(*) FROM appointment WHERE state = 'booked'").fetchone()
        assert booked == [(seats,)] and rows == (seats,)


def test_one_person_clicking_many_times_gets_one_booking(tmp_path: Path, pg_url: str) -> None:
    env = _env(tmp_path, pg_url)
    with running(env, log=tmp_path / "a.log") as first, running(env, log=tmp_path / "b.log") as second:
        slots = [
            s for s in httpx.get(f"{first.url}{BASE}/slots", params={"item": "SB01"}).json() if s["state"] == "open"
        ]
        day = slots[0]["start"][:10]
        same_day = [s for s in slots if s["start"].startswith(day)][:6]
        with httpx.Client(base_url=first.url) as client:
            code = phone_code(client, str(person(7)["phone"]), log=tmp_path / "a.log")

        async def clicks() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            f"{(first, second)[n % 2].url}{BASE}",
                            json=booking_request("SB01", s["start"], person(7), phone_code=code),
                        )
                        for n, s in enumerate(same_day * 2)
                    )
                )

        answers = asyncio.run(clicks())
        assert sorted(a.status_code for a in answers).count(201) == 1, [a.text for a in answers]
        # the code is used once (then "phone_code"), or the booking made stands in the way
        assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"duplicate", "phone_code"}
        with psycopg.connect(pg_url) as conn:
            total = conn.execute("SELECT coalesce(sum(booked), 0) FROM appointment_slot").fetchone()
        assert total == (1,)  # the refused ones took no seat
