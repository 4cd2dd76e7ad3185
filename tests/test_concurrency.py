"""Two server processes sharing one database (PostgreSQL, or one SQLite file), hammered at once.

Real ``hall serve`` processes, real HTTP, a real database: tickets issued through both
get unique numbers without gaps, and counters calling through both never get the same
ticket; every ticket is called exactly once.
"""

from __future__ import annotations

import asyncio
import collections
import random
from pathlib import Path

import httpx
import pytest

from tests.support import DEMO_HALL, running

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
# Counters 1-12 serve every acceptance item between them; 13 and 14 are cross-province and pick-up.
COUNTERS = {
    n: name
    for n, name in enumerate(
        [
            "zhangwei",
            "lina",
            "wangfang",
            "liuyang",
            "chenjing",
            "yangtao",
            "zhaolei",
            "huangmin",
            "zhouqiang",
            "wujing",
            "xuhui",
            "sunli",
            "hujun",
            "zhuyan",
        ],
        start=1,
    )
}
ITEMS = ["QY01", "QY02", "SB01", "SB02", "BD01", "GJ01", "HZ01", "SW01", "KS01", "CJ01"]


async def _login(client: httpx.AsyncClient, base: str, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        f"{base}/api/auth/login", json={"hall": "demo", "username": username, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": "Bearer " + response.json()["token"]}


async def _scenario(bases: list[str]) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        # 1. Kiosks on both servers issue 240 tickets at once.
        async def issue(i: int) -> dict:
            response = await client.post(
                f"{bases[i % 2]}/api/halls/demo/tickets",
                json={"item": ITEMS[i % len(ITEMS)], "idempotency_key": f"tap-{i}"},
                headers=KIOSK,
            )
            assert response.status_code == 201, response.text
            return response.json()

        tickets = await asyncio.gather(*(issue(i) for i in range(240)))
        # A retried request (same key, other server) gives the same ticket.
        response = await client.post(
            f"{bases[1]}/api/halls/demo/tickets", json={"item": ITEMS[0], "idempotency_key": "tap-0"}, headers=KIOSK
        )
        assert response.json()["id"] == tickets[0]["id"], "a retry through the other server made a second ticket"
        numbers = collections.defaultdict(list)
        for ticket in tickets:
            numbers[ticket["group"]].append(int(ticket["number"][1:]))
        for group, seqs in numbers.items():
            assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"group {group}: duplicates or gaps {sorted(seqs)}"

        # 2. Every counter signs in and opens, on either server.
        clerks = {}
        for number, username in COUNTERS.items():
            base = bases[number % 2]
            clerks[number] = await _login(client, base, username, "demo-staff")
            for action in ("sign-in", "open"):
                response = await client.post(
                    f"{base}/api/halls/demo/counters/{number}/{action}", headers=clerks[number]
                )
                assert response.status_code == 200, response.text

        # 3. All 14 counters call and complete as fast as they can, each call through a random server.
        called: list[str] = []

        async def work(number: int) -> None:
            rng = random.Random(number)
            while True:
                base = rng.choice(bases)
                response = await client.post(
                    f"{base}/api/halls/demo/counters/{number}/call-next", headers=clerks[number]
                )
                if response.status_code == 204:
                    return
                assert response.status_code == 200, response.text
                called.append(response.json()["id"])
                response = await client.post(
                    f"{rng.choice(bases)}/api/halls/demo/counters/{number}/complete", headers=clerks[number]
                )
                assert response.status_code == 200, response.text

        await asyncio.gather(*(work(n) for n in COUNTERS))
        duplicates = [t for t, n in collections.Counter(called).items() if n > 1]
        assert not duplicates, f"tickets called twice: {duplicates}"
        assert set(called) == {t["id"] for t in tickets}, "some ticket was never called"

        # 4. Both servers agree on the hall.
        views = [(await client.get(f"{base}/api/halls/demo/queue")).json() for base in bases]
        assert views[0]["seq"] == views[1]["seq"] and views[0]["waiting"] == views[1]["waiting"] == 0


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_processes_share_one_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    shared = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'hall.db'}"
    env = {
        "DATABASE_URL": shared,
        "HALL_FILES": str(DEMO_HALL),
        "HALL_SECRET_KEY": "shared-secret-of-this-deployment",
        "HALL_LOG_FORMAT": "text",
        "HALL_LOG_LEVEL": "WARNING",
    }
    with (
        running({**env, "HALL_DATA_DIR": str(tmp_path / "a")}, log=tmp_path / "a.log") as first,
        running({**env, "HALL_DATA_DIR": str(tmp_path / "b")}, log=tmp_path / "b.log") as second,
    ):
        asyncio.run(_scenario([first.url, second.url]))
