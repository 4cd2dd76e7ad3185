"""A booking's phone proves itself with a one-time code (手机验证码), and a person is the phone as
well as the document: the attacks of issue 14 (invented ID numbers with one phone, codes
guessed, reused, or sent to a stranger's phone over and over), on the real app (SQLite and
PostgreSQL) with the test's clock."""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from appointments.models import AppointmentPhoneCodeRow, AppointmentRow
from config.app import create_app
from config.limits import ClientLimits
from config.settings import Settings
from tests.support import SHANGHAI, Clock, booking_request, logged, person, phone_code

BASE = "/api/halls/demo/appointments"
PHONE = "13812340001"


def slot(index: int) -> str:
    """Open slots of QY01 on the Wednesday and the Thursday: two a day part, none the same."""
    day, half_hours = divmod(index, 10)
    start = dt.datetime(2026, 11, 25 + day, 9, 0, tzinfo=SHANGHAI) + dt.timedelta(minutes=30 * (half_hours % 5))
    return (start + dt.timedelta(hours=5 if half_hours >= 5 else 0)).isoformat()


def book(client: TestClient, serial: int, code: str, at: str | None = None, phone: str = PHONE):
    who = person(serial, phone=phone)
    return client.post(BASE, json=booking_request("QY01", at or slot(serial), who, phone_code=code))


def refused(answer, status: int, code: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["detail"] and body["detail_zh"], body
    if code:
        assert body.get("code") == code, body
    return body


def test_invented_id_numbers_on_one_phone_buy_no_more_than_one_person_may_hold(
    app_settings: Settings, clock: Clock
) -> None:
    # the attacker has addresses enough for the per-address bounds (test_limits.py): the phone bounds him
    unbounded = msgspec.structs.replace(app_settings, limits=ClientLimits(booking=0))
    with TestClient(create_app(unbounded, clock=clock, configure_logs=False)) as client:
        attack(client, clock)


def attack(client: TestClient, clock: Clock) -> None:
    answers = []
    for serial in range(1, 21):  # 20 made-up people, each with a valid check digit, one phone
        answers.append(book(client, serial, phone_code(client, PHONE)))
        clock.advance(minutes=13)  # a code a minute and five an hour: the attacker waits them out
    assert [a.status_code for a in answers[:3]] == [201, 201, 201]  # max_active: 3 open bookings
    for answer in answers[3:]:
        body = refused(answer, 409, "too_many_active")
        assert body["detail_zh"].startswith("该手机号已有3个未办理的预约")
    # the same people with phones of their own are three other people
    assert book(client, 30, phone_code(client, "13912340030"), at=slot(5), phone="13912340030").status_code == 201


def test_no_booking_without_the_phones_code(client: TestClient) -> None:
    body = refused(book(client, 1, ""), 422)
    assert body["detail_zh"] == "请先获取并填写手机验证码" and body["detail"].startswith("phone_code: ")
    refused(book(client, 1, "123456"), 409, "phone_code")  # none was sent
    code = phone_code(client, PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert refused(book(client, 1, wrong), 409, "phone_code_wrong")["detail_zh"].startswith("验证码不正确")
    # another phone's code proves nothing of this one
    other = phone_code(client, "13912340002")
    refused(book(client, 1, other), 409, "phone_code_wrong")
    assert book(client, 1, code).status_code == 201


def test_six_wrong_codes_kill_the_code(client: TestClient) -> None:
    code = phone_code(client, PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        refused(book(client, 1, wrong), 409, "phone_code_wrong")
    refused(book(client, 1, wrong), 409, "phone_code")  # the fifth wrong one killed it
    refused(book(client, 1, code), 409, "phone_code")  # the right one too, now


def test_a_code_is_used_once_and_holds_ten_minutes(client: TestClient, clock: Clock) -> None:
    code = phone_code(client, PHONE)
    assert book(client, 1, code).status_code == 201
    refused(book(client, 2, code), 409, "phone_code")  # reused: refused
    clock.advance(seconds=61)
    late = phone_code(client, PHONE)
    clock.advance(minutes=10)
    refused(book(client, 2, late), 409, "phone_code")  # expired


def test_a_refused_booking_leaves_its_code_to_use(client: TestClient) -> None:
    code = phone_code(client, PHONE)
    too_soon = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI).isoformat()
    refused(book(client, 1, code, at=too_soon), 409, "too_soon")
    assert book(client, 1, code).status_code == 201


def test_codes_to_one_phone_are_bounded(client: TestClient, clock: Clock) -> None:
    ask = {"phone": "+86 138 1234 0001"}
    path = f"{BASE}/phone-codes"
    first = client.post(path, json=ask)
    assert first.status_code == 202 and first.json() == {
        "phone": "138****0001",
        "valid_seconds": 600,
        "again_seconds": 60,
    }
    again = client.post(path, json={"phone": PHONE})  # the same phone, however typed
    body = refused(again, 429)
    assert body["detail_zh"].startswith("验证码已发送，请") and 0 < int(again.headers["Retry-After"]) <= 60
    for _ in range(4):
        clock.advance(seconds=61)
        assert client.post(path, json=ask).status_code == 202
    clock.advance(seconds=61)
    sixth = client.post(path, json=ask)
    assert "1小时内获取验证码已达5次" in refused(sixth, 429)["detail_zh"]
    assert client.post(path, json={"phone": "13912340002"}).status_code == 202  # another phone is another's
    clock.advance(hours=1)
    assert client.post(path, json=ask).status_code == 202
    refused(client.post(path, json={"phone": "6123"}), 422)


def test_the_code_is_logged_by_the_demos_notifier_and_kept_only_as_a_keyed_hash(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with logged(caplog, "hall.appointments", logging.INFO):
        code = phone_code(client, PHONE)
    lines = [r.getMessage() for r in caplog.records]
    assert f"one-time code {code} for phone 138****0001" in lines
    assert not any(PHONE in line for line in lines)
    assert book(client, 1, code).status_code == 201
    engine = client.app.state.appointments.store.engine
    codes: sa.Table = AppointmentPhoneCodeRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        kept = [tuple(map(str, row)) for row in conn.execute(sa.select(codes))]
        phone_key = conn.execute(sa.select(AppointmentRow.phone_key)).scalar_one()  # type: ignore[call-overload]
    assert kept and not any(code in value or PHONE in value for row in kept for value in row)
    assert len(phone_key) == 64 and PHONE not in phone_key


def test_anonymised_bookings_keep_no_phone_key(client: TestClient, clock: Clock) -> None:
    assert book(client, 1, phone_code(client, PHONE)).status_code == 201
    clock.advance(days=200)
    with client.portal() as portal:
        portal.call(client.app.state.appointments.forget_people)
    engine = client.app.state.appointments.store.engine
    with engine.connect() as conn:
        assert conn.execute(sa.select(AppointmentRow.phone_key)).scalar_one() == ""  # type: ignore[call-overload]
