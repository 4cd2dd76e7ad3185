"""Make a database fixture of an earlier schema version, with that version's own program.

The upgrade test (``tests/test_migrations.py``) loads these dumps and upgrades them, so a
database made by every earlier version of the project is proven to upgrade keeping every
row. Each dump is made by the old program itself, through its own HTTP API, exactly as a hall
would have filled it; tables its flows leave empty get a few generic rows.

Run it from a checkout of the old commit, with this project's virtual environment::

    git worktree add /tmp/v3 afa21d5
    cd /tmp/v3 && PYTHONPATH=/tmp/v3 /path/to/.venv/bin/python \\
        /path/to/tests/migrations/make_fixture.py --label v3 --out /path/to/tests/migrations

It writes ``<label>.sqlite.sql`` (SQLite's own dump) and ``<label>.postgresql.sql``
(``pg_dump --inserts``), each headed by the commit it was made with.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa
from litestar.testing import TestClient

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
PAD = {"Authorization": "Bearer demo-pad-token"}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)

    def __call__(self) -> dt.datetime:
        return self.now


def id_number(serial: int) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    body = f"32010219900101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def fill(url: str, data_dir: Path) -> None:
    from config.app import create_app
    from config.settings import PROJECT_ROOT, load_settings

    settings = load_settings(
        env={},
        halls=[str(PROJECT_ROOT / "config" / "halls" / "demo.toml")],
        data_dir=str(data_dir),
        database_url=url,
        log_level="WARNING",
        log_format="text",
    )
    clock = Clock()
    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as client:

        def ok(response, *codes: int):  # type: ignore[no-untyped-def]
            assert response.status_code in (codes or (200, 201, 204)), response.text
            return response.json() if response.content else None

        def login(username: str, password: str) -> dict[str, str]:
            body = {"hall": "demo", "username": username, "password": password}
            return {"Authorization": "Bearer " + ok(client.post("/api/auth/login", json=body))["token"]}

        clerk = login("zhangwei", "demo-staff")
        manager = login("manager", "demo-manager")
        paths = {r.path for r in client.app.routes}

        def at(counter: int, action: str, **body):  # type: ignore[no-untyped-def]
            return ok(client.post(f"/api/halls/demo/counters/{counter}/{action}", json=body or None, headers=clerk))

        at(1, "sign-in")
        at(1, "open")
        tickets = [
            ok(client.post("/api/halls/demo/tickets", json={"item": item, "idempotency_key": f"k{n}"}, headers=KIOSK))
            for n, item in enumerate(["SB01", "QY01", "SB01", "BD01", "SB02", "QY02"])
        ]
        served = []
        for _ in range(3):
            clock.now += dt.timedelta(minutes=4)
            called = ok(client.post("/api/halls/demo/counters/1/call-next", headers=clerk))
            at(1, "start")
            clock.now += dt.timedelta(minutes=6)
            at(1, "complete")
            served.append(called["id"])
        ok(client.post("/api/halls/demo/counters/1/call-next", headers=clerk))
        at(1, "recall")
        at(1, "no-show")
        ok(client.post("/api/halls/demo/counters/1/call-next", headers=clerk))
        at(1, "transfer", item="SB01")
        at(1, "pause", reason="lunch")
        if "/api/halls/{hall:str}/appointments" in paths:
            listed = client.get("/api/halls/demo/appointments/items")  # not in the first version of appointments
            item = listed.json()[0]["code"] if listed.status_code == 200 else "QY01"
            slots = [
                s for s in ok(client.get(f"/api/halls/demo/appointments/slots?item={item}")) if s["state"] == "open"
            ]
            bookings = []
            for serial, slot in enumerate(slots[:2], start=1):
                person = {"id_number": id_number(serial), "name": "张三", "phone": f"1380013800{serial}"}
                bookings.append(
                    ok(
                        client.post(
                            "/api/halls/demo/appointments",
                            json={"item": item, "slot_start": slot["start"], "person": person},
                        )
                    )
                )
            # the booking's phone proves the canceller (older versions ignore the body)
            cancel = f"/api/halls/demo/appointments/{bookings[1]['code']}/cancel"
            ok(client.post(cancel, json={"phone": "13800138002"}))
            clock.now = dt.datetime.fromisoformat(slots[0]["start"]) - dt.timedelta(minutes=10)
            ok(client.post("/api/halls/demo/appointments/check-in", json={"code": bookings[0]["code"]}, headers=KIOSK))
        if "/api/halls/{hall:str}/ratings" in paths:
            # the slip's rating key, from the versions whose ticket machine is given one
            keys = {t["id"]: t["rating_key"] for t in tickets if t.get("rating_key")}

            def slip(ticket_id: str) -> dict[str, str]:
                return {"ticket_id": ticket_id, **({"rating_key": keys[ticket_id]} if ticket_id in keys else {})}

            ok(client.post("/api/halls/demo/ratings", json={"level": "very_satisfied", **slip(served[0])}))
            bad = {"level": "dissatisfied", **slip(served[1]), "reason": "态度不好", "phone": "13900139000"}
            response = client.post("/api/halls/demo/ratings", json=bad)
            if response.status_code == 422:  # this version's reasons differ: take its first
                reasons = client.app.state.registry.get("demo").definition.ratings.bad_reasons
                response = client.post("/api/halls/demo/ratings", json={**bad, "reason": reasons[0]})
            ok(response)
            cases = ok(client.get("/api/halls/demo/rating-cases", headers=manager))
            ok(
                client.post(
                    f"/api/halls/demo/rating-cases/{cases[0]['id']}/reply", json={"text": "已回访"}, headers=manager
                )
            )
        if "/api/halls/{hall:str}/roster/{day:date}" in paths or any("roster" in p for p in paths):
            roster = [{"counter": 1, "a": "zhangwei", "b": "lina"}, {"counter": 2, "a": "lina", "b": ""}]
            ok(client.put("/api/halls/demo/roster/2026-11-23", json=roster, headers=manager))
        clock.now = dt.datetime(2026, 11, 24, 8, 45, tzinfo=SHANGHAI)  # a new day: yesterday's open tickets expire
        ok(client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK))
        assert tickets
    generic_rows(url)


def generic_rows(url: str) -> None:
    """Two rows in every table the flows above left empty, each value of its column's type."""
    from config.database import connect_engine

    engine = connect_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn, conn.begin():
        for table in meta.sorted_tables:
            if table.name == "schema_version" or conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                continue
            for n in (1, 2):
                conn.execute(table.insert().values({c.name: _value(c, n) for c in table.columns}))
    engine.dispose()


def _value(column: sa.Column, n: int):  # type: ignore[no-untyped-def]
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 11, 20 + n, 9, n)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 11, 20 + n)
    if isinstance(kind, sa.LargeBinary):
        return bytes([n]) * 8
    if isinstance(kind, sa.Float | sa.Numeric):
        return n + 0.5
    length = getattr(kind, "length", None) or 40
    return f"{column.name}-{n}"[:length]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    header = (
        f"-- schema fixture {args.label}: made by the program at commit {commit} (tests/migrations/make_fixture.py)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = folder / "hall.db"
        fill(f"sqlite:///{database}", folder / "var-sqlite")
        with sqlite3.connect(database) as conn:
            dump = "\n".join(conn.iterdump())
        (args.out / f"{args.label}.sqlite.sql").write_text(header + dump + "\n")

        name = f"hallq_fixture_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        try:
            fill(url, folder / "var-pg")
            dump = subprocess.run(
                ["pg_dump", "--inserts", "--no-owner", "--no-privileges", "--no-comments", url],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        (args.out / f"{args.label}.postgresql.sql").write_text(header + dump)
    print(f"{args.label}: {commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
