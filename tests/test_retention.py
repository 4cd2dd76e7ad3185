"""Personal data kept only as long as needed (个人信息保护法 Art. 19, GB/T 35273 6.1): a
booking's person and a real-name rating's phone go when their days are past, on the real app
(SQLite and PostgreSQL) with the test's clock; the figures stay, and each run is audited."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from litestar.testing import TestClient

from appointments.models import AppointmentPersonRow, AppointmentRow
from config.app import create_app
from config.audit.models import AuditEntryRow
from config.database import connect_engine
from config.settings import load_settings
from counters.models import RatingRow
from tests.support import DEMO_HALL, Clock, booking_request, login, person, phone_code
from tests.test_appointments import at
from tests.test_ratings import bad_web_rating, clerk  # noqa: F401 (a fixture)

BASE = "/api/halls/demo/appointments"


def forget(client: TestClient) -> tuple[dict[str, int], dict[str, int]]:
    """The server's own job, run now instead of within the hour."""
    state = client.app.state
    with client.portal() as portal:
        return portal.call(state.appointments.forget_people), portal.call(state.evaluation.forget_contacts)


def table(client: TestClient, model: type) -> list[sa.RowMapping]:
    with client.app.state.engine.connect() as conn:
        return list(conn.execute(sa.select(model.__table__)).mappings().all())  # type: ignore[attr-defined]


def test_a_bookings_person_and_a_closed_cases_phone_go_after_their_days(
    client: TestClient,
    clerk: dict,  # noqa: F811 (the fixture of tests.test_ratings)
    clock: Clock,
) -> None:
    code = phone_code(client, str(person(1)["phone"]))
    booking = client.post(BASE, json=booking_request("QY01", at(10), person(1, email="z@x.cn"), phone_code=code)).json()
    closed = bad_web_rating(client, clerk, phone="13812345678")
    manager = login(client, "manager", "demo-manager")
    for action in ("reply", "fix"):
        path = f"/api/halls/demo/rating-cases/{closed['id']}/{action}"
        assert client.post(path, json={"text": "已致歉并整改"}, headers=manager).status_code == 200
    still_open = bad_web_rating(client, clerk, phone="13900001111")

    clock.advance(days=90)  # the 90th day after: still kept
    assert forget(client) == ({"demo": 0, "small": 0}, {"demo": 0, "small": 0})
    clock.advance(days=1)
    assert forget(client) == ({"demo": 1, "small": 0}, {"demo": 1, "small": 0})

    [row] = table(client, AppointmentRow)
    assert (row["person_key"], row["id_masked"], row["name_masked"], row["phone_masked"], row["contact_sealed"]) == (
        "", "", "", "", b"",
    )  # fmt: skip
    assert (row["item"], row["state"], row["code"]) == ("QY01", "booked", booking["code"])  # the figures' part stays
    assert table(client, AppointmentPersonRow) == []
    status = client.get(f"{BASE}/{booking['code']}").json()
    assert (status["name"], status["id_number"], status["phone"]) == ("", "", "")

    phones = {r["contact_masked"]: r["contact_sealed"] is not None for r in table(client, RatingRow)}
    assert phones == {"": False, "139****1111": True}  # the case still handled keeps its phone
    manager = login(client, "manager", "demo-manager")  # a new day's sign-in
    cases = {c["id"]: c for c in client.get("/api/halls/demo/rating-cases", headers=manager).json()}
    assert cases[closed["id"]]["contact_masked"] == "" and not cases[closed["id"]]["phone_sealed"]
    assert cases[still_open["id"]]["phone_sealed"]

    runs = [e for e in table(client, AuditEntryRow) if e["actor_kind"] == "system"]
    assert sorted((e["action"], e["hall"]) for e in runs) == [
        ("appointments.forget_people", "demo"),
        ("ratings.forget_contacts", "demo"),
    ]
    assert all('"keep_personal_days":90' in e["details"] for e in runs)
    assert forget(client) == ({"demo": 0, "small": 0}, {"demo": 0, "small": 0})  # done once
    assert len([e for e in table(client, AuditEntryRow) if e["actor_kind"] == "system"]) == 2

    clock.advance(days=365)  # a case left unfinished a year past keeping: its phone goes too
    assert forget(client)[1] == {"demo": 1, "small": 0}
    assert {r["contact_masked"] for r in table(client, RatingRow)} == {""}


def test_the_command_forgets_now_and_says_what(tmp_path: Path) -> None:
    long_ago = Clock(dt.datetime.now(dt.UTC).replace(hour=1, minute=0) - dt.timedelta(days=100))
    settings = load_settings(env={}, halls=[str(DEMO_HALL)], data_dir=str(tmp_path / "var"), log_format="text")
    with TestClient(create_app(settings, clock=long_ago, configure_logs=False)) as client:
        slots = client.get(f"{BASE}/slots", params={"item": "QY01", "days": 7}).json()
        start = next(s["start"] for s in slots if s["state"] == "open")
        code = phone_code(client, str(person(3)["phone"]))
        assert client.post(BASE, json=booking_request("QY01", start, person(3), phone_code=code)).status_code == 201
    env = {**os.environ, "HALL_DATA_DIR": str(tmp_path / "var"), "HALL_FILES": str(DEMO_HALL)}
    done = subprocess.run(
        [sys.executable, "-m", "config.cli", "forget-personal-data"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "demo: 1 bookings anonymised (kept 90 days), 0 rating phones dropped (kept 90 days)"
    ]
    engine = connect_engine(settings.database)
    with engine.connect() as conn:
        audit = sa.select(AuditEntryRow.__table__).where(AuditEntryRow.actor_kind == "command")
        [entry] = conn.execute(audit).mappings().all()
        person_key = conn.execute(sa.select(AppointmentRow.__table__.c.person_key)).scalar_one()
    engine.dispose()
    assert (entry["actor_kind"], entry["action"], person_key) == ("command", "appointments.forget_people", "")
