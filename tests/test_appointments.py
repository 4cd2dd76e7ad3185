"""Appointments through the API on the real app (SQLite and PostgreSQL), with the test's clock:
slots, booking and every refusal, cancelling, checking in into the queue, no-shows and what
they block, the hall cancelling slots, and what people are told."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from litestar.testing import TestClient

from appointments.models import AppointmentRow
from appointments.people import CONSENT_NOTICE, NOTICE_VERSION, Contact
from config.privacy import mask_id_number, mask_name, mask_phone
from config.settings import Settings
from tests.support import SHANGHAI, Clock, booking_request, id_number, login, person, phone_code, with_check_digit

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
BASE = "/api/halls/demo/appointments"


def at(hour: int, minute: int = 0, day: int = 23) -> str:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).isoformat()


def at_desk(client: TestClient) -> dict[str, str]:
    """The service desk's token: the clerk saw the person, no code to the phone is needed (the
    tests of the rules book there; the phone's code has tests of its own)."""
    return login(client, "manager", "demo-manager")


def book(client: TestClient, slot: str, serial: int = 1, item: str = "QY01", status: int = 201) -> dict:
    response = client.post(BASE, json=booking_request(item, slot, person(serial)), headers=at_desk(client))
    assert response.status_code == status, response.text
    return response.json()


def sweep(client: TestClient) -> None:
    with client.portal() as portal:
        portal.call(client.app.state.appointments.sweep)
        portal.call(client.app.state.appointments.settle)


def notices(client: TestClient) -> list:
    """What people were told (the demo's log notifier keeps it), once all has gone out."""
    with client.portal() as portal:
        portal.call(client.app.state.appointments.settle)
    return client.app.state.appointments.notifier.sent


def slot_of(client: TestClient, item: str, start: str) -> dict:
    day = start[:10]
    return next(
        s
        for s in client.get(f"{BASE}/slots", params={"item": item, "from": day, "days": 1}).json()
        if s["start"] == start
    )


def refusal(client: TestClient, slot: str, serial: int, code: str, item: str = "QY01") -> dict:
    body = book(client, slot, serial, item, status=409)
    assert body["code"] == code and body["detail"] and body["detail_zh"], body
    assert (body["error"], body["status_code"]) == (code, 409), body  # the API's one error body (ErrorBody)
    return body


# ---------------------------------------------------------------- slots and booking


def test_slots_of_a_monday_with_what_is_left(client: TestClient) -> None:
    slots = client.get(f"{BASE}/slots", params={"item": "QY01", "days": 1}).json()
    assert [s["start"][11:16] for s in slots][:3] == ["09:00", "09:30", "10:00"] and len(slots) == 16
    states = {s["start"][11:16]: s["state"] for s in slots}
    assert states["09:00"] == states["09:30"] == "not_bookable"  # less than an hour ahead (it is 09:00)
    assert states["10:00"] == "open"
    assert {s["capacity"] for s in slots} == {4}  # group A: 6 a slot, a quarter kept for on-site
    sunday = client.get(f"{BASE}/slots", params={"item": "QY01", "from": "2026-11-29", "days": 1}).json()
    assert sunday == []
    assert client.get(f"{BASE}/slots", params={"item": "KS01"}).status_code == 422  # not bookable online
    assert client.get(f"{BASE}/slots", params={"item": "NOPE"}).status_code == 404


def test_a_booking_is_masked_everywhere_and_has_a_code(client: TestClient) -> None:
    code = phone_code(client, "13812340001")  # a citizen, online: the phone proves itself
    response = client.post(BASE, json=booking_request("QY01", at(10), person(1, email="z@x.cn"), phone_code=code))
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["state"] == "booked" and len(booking["code"]) == 8 and booking["item_name"] == "企业设立登记"
    assert booking["id_number"] == "3201**********" + id_number(1)[-4:] and booking["name"] == "张**"
    assert booking["phone"] == "138****0001"
    assert id_number(1) not in response.text and "13812340001" not in response.text and "z@x.cn" not in response.text
    status = client.get(f"{BASE}/{booking['code']}").json()
    assert status["state"] == "booked" and status["slot_start"] == booking["slot_start"]
    assert client.get(f"{BASE}/{booking['code'].lower()}").status_code == 200  # typed in lower case
    slot = next(
        s for s in client.get(f"{BASE}/slots", params={"item": "QY01", "days": 1}).json() if s["start"] == at(10)
    )
    assert slot["left"] == 3
    # the confirmation went out, to the person's phone (the demo's log notifier keeps it)
    sent = notices(client)
    assert sent[-1].kind == "confirmation" and booking["code"] in sent[-1].text and sent[-1].to_phone == "13812340001"


def test_every_booking_refusal_says_why(client: TestClient) -> None:
    book(client, at(10), 1)
    refusal(client, at(14), 1, "duplicate")  # the same item the same day
    book(client, at(14), 1, item="SB01")  # another item is fine
    refusal(client, at(9, 30), 2, "too_soon")
    refusal(client, dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI).isoformat(), 2, "too_far")
    book(client, at(15), 1, item="GJ01")
    refusal(client, at(16), 1, "too_many_active", item="SB02")  # three open bookings already
    bad = client.post(BASE, json=booking_request("QY01", at(10), {**person(3), "id_number": "320102199001011230"}))
    assert bad.status_code in (400, 422) and "check digit" in bad.text
    not_a_slot = client.post(BASE, json=booking_request("QY01", at(10, 10), person(3)))
    assert not_a_slot.status_code in (400, 422) and "not a slot" in not_a_slot.text
    no_zone = client.post(BASE, json=booking_request("QY01", "2026-11-23T10:00:00", person(3)))
    assert no_zone.status_code in (400, 422)


def test_the_last_seat_and_then_full(client: TestClient) -> None:
    for serial in range(1, 5):
        book(client, at(11), serial)
    refusal(client, at(11), 5, "full")
    slot = next(
        s for s in client.get(f"{BASE}/slots", params={"item": "QY02", "days": 1}).json() if s["start"] == at(11)
    )
    assert slot["state"] == "full" and slot["left"] == 0  # QY02 shares group A's seats


def test_cancel_gives_the_seat_back_until_the_cut_off(client: TestClient, clock: Clock) -> None:
    first = book(client, at(11), 1)
    for serial in range(2, 5):
        book(client, at(11), serial)
    # The code alone is not enough (it is on slips and screenshots): the phone or the ID number.
    for proof in (None, {"phone": person(2)["phone"]}, {"id_number": id_number(2)}):
        refused = client.post(f"{BASE}/{first['code']}/cancel", json=proof)
        assert refused.status_code == 403 and refused.json()["detail_zh"] == "请输入预约时填写的手机号或证件号码"
    malformed = client.post(f"{BASE}/{first['code']}/cancel", json={"id_number": "123"})  # no number at all
    assert malformed.status_code == 422 and malformed.json()["detail"].startswith("id_number: ")
    assert client.get(f"{BASE}/{first['code']}").json()["state"] == "booked"
    cancelled = client.post(f"{BASE}/{first['code']}/cancel", json={"phone": "138-1234-0001"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    book(client, at(11), 5)  # its seat is free again
    again = client.post(f"{BASE}/{first['code']}/cancel", json={"id_number": id_number(1).lower()})
    assert again.status_code == 409 and again.json()["code"] == "not_active"
    late = book(client, at(12), 6)
    clock.advance(minutes=150)  # 11:30: half an hour before 12:00
    too_late = client.post(f"{BASE}/{late['code']}/cancel", json={"phone": person(6)["phone"]})
    assert too_late.status_code == 409 and too_late.json()["code"] == "cancel_too_late"


def test_find_my_booking_needs_the_id_number_and_the_phone(client: TestClient) -> None:
    mine, later = book(client, at(11), 1), book(client, at(14), 1, item="QY02")
    book(client, at(11), 2)  # someone else's
    found = client.post(f"{BASE}/find", json={"id_number": id_number(1).lower(), "phone": "138 1234 0001"})
    assert found.status_code == 200 and [b["code"] for b in found.json()] == [mine["code"], later["code"]]
    assert found.json()[0]["phone"] == "138****0001"  # masked, as everywhere
    wrong_phone = client.post(f"{BASE}/find", json={"id_number": id_number(1), "phone": "13812340002"})
    assert wrong_phone.status_code == 200 and wrong_phone.json() == []  # the ID number alone finds nothing
    bad = client.post(f"{BASE}/find", json={"id_number": "123", "phone": "13812340001"})
    assert bad.status_code == 422 and bad.json()["detail_zh"] == "居民身份证号码应为18位，17位数字加1位数字或X"
    client.post(f"{BASE}/{mine['code']}/cancel", json={"phone": "13812340001"})
    again = client.post(f"{BASE}/find", json={"id_number": id_number(1), "phone": "13812340001"}).json()
    assert [b["code"] for b in again] == [later["code"]]  # only bookings still ahead


def test_guessing_a_bookings_phone_is_slowed_and_typed_numbers_are_read_as_people_type_them(
    client: TestClient,
) -> None:
    mine, other = book(client, at(11), 1), book(client, at(11), 2)
    # Full-width digits (a phone keyboard), spaces, +86: the same number.
    found = client.post(f"{BASE}/find", json={"id_number": id_number(1), "phone": "+86 １３８ １２３４ ０００１"})
    assert [b["code"] for b in found.json()] == [mine["code"]]
    # Five wrong phone numbers against one code, then no more tries for a while, the right one included.
    for guess in range(5):
        wrong = client.post(f"{BASE}/{other['code']}/cancel", json={"phone": f"1381234{guess + 10:04d}"})
        assert wrong.status_code == 403
    blocked = client.post(f"{BASE}/{other['code']}/cancel", json={"phone": "13812340002"})
    assert blocked.status_code == 429 and "失败次数过多" in blocked.json()["detail_zh"]
    assert client.get(f"{BASE}/{other['code']}").json()["state"] == "booked"
    # The other booking is not held up by guesses at this one.
    assert client.post(f"{BASE}/{mine['code']}/cancel", json={"phone": "13812340001"}).status_code == 200


# ---------------------------------------------------------------- checking in


def test_check_in_issues_an_appointment_ticket_called_before_walk_ins(client: TestClient, clock: Clock) -> None:
    booking = book(client, at(10), 1)
    clock.advance(minutes=20)  # 09:20: too early
    early = client.post(f"{BASE}/check-in", json={"code": booking["code"]}, headers=KIOSK)
    assert early.status_code == 409 and "09:30" in early.json()["detail_zh"]
    walk_in = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    clock.advance(minutes=15)  # 09:35
    checked = client.post(f"{BASE}/check-in", json={"code": booking["code"]}, headers=KIOSK)
    assert checked.status_code == 201, checked.text
    result = checked.json()
    ticket = result["ticket"]
    assert (
        not result["late"]
        and ticket["priority"] == "appointment"
        and ticket["appointment_slot"] == booking["slot_start"]
    )
    assert result["booking"]["state"] == "checked_in" and result["booking"]["ticket_id"] == ticket["id"]
    assert ticket["print_job"]["number"] == ticket["number"]  # the ticket machine prints its slip
    twice = client.post(f"{BASE}/check-in", json={"code": booking["code"]}, headers=KIOSK)
    assert twice.status_code == 409 and "请勿重复签到" in twice.json()["detail_zh"]
    # a counter calls the appointment before the walk-in who came earlier (预约优先)
    clerk = login(client, "zhangwei", "demo-staff")
    client.post("/api/halls/demo/counters/1/sign-in", headers=clerk)
    client.post("/api/halls/demo/counters/1/open", headers=clerk)
    called = client.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()
    assert called["id"] == ticket["id"] and called["id"] != walk_in["id"]
    # checking in needs a ticket machine's or a clerk's token
    assert client.post(f"{BASE}/check-in", json={"code": booking["code"]}).status_code == 401


def test_check_in_by_id_number_or_the_qr_link(client: TestClient, clock: Clock) -> None:
    by_id = book(client, at(10), 1)
    by_link = book(client, at(10), 2)
    clock.advance(minutes=45)
    result = client.post(f"{BASE}/check-in", json={"id_number": id_number(1)}, headers=KIOSK).json()
    assert result["booking"]["code"] == by_id["code"]
    link = f"http://hall.example/halls/demo/appointments/{by_link['code']}"
    assert (
        client.post(f"{BASE}/check-in", json={"code": link}, headers=KIOSK).json()["booking"]["code"] == by_link["code"]
    )
    nobody = client.post(f"{BASE}/check-in", json={"id_number": id_number(9)}, headers=KIOSK)
    assert nobody.status_code == 404 and nobody.json()["detail_zh"] == "该证件今日没有预约"


def test_late_is_a_walk_in_and_no_shows_block_booking(client: TestClient, clock: Clock) -> None:
    late = book(client, at(10), 1)
    missed = book(client, at(10), 2, item="SB01")
    clock.advance(minutes=80)  # 10:20: five minutes past the window
    result = client.post(f"{BASE}/check-in", json={"code": late["code"]}, headers=KIOSK).json()
    assert result["late"] and result["ticket"]["priority"] == "walk_in" and result["booking"]["state"] == "late"
    sweep(client)  # the clock's work: what was not checked in is a no-show
    assert client.get(f"{BASE}/{missed['code']}").json()["state"] == "no_show"
    assert client.get(f"{BASE}/{late['code']}").json()["state"] == "late"  # came: not a no-show
    # a second no-show within 30 days blocks booking, and says until when
    again = book(client, at(15, day=24), 2, item="SB01")
    clock.advance(days=1, hours=6)  # the 24th, 16:20
    sweep(client)
    assert client.get(f"{BASE}/{again['code']}").json()["state"] == "no_show"
    blocked = refusal(client, at(10, day=26), 2, "blocked")
    assert "2次爽约" in blocked["detail_zh"] and "2026年12月24日" in blocked["detail_zh"]


def test_the_hall_cancels_slots_and_tells_people_without_counting_it(client: TestClient) -> None:
    manager = login(client, "manager", "demo-manager")
    kept = book(client, at(10, day=24), 1)
    gone = [book(client, at(14, day=24), serial) for serial in (2, 3)]
    answer = client.post(
        f"{BASE}/cancel-slots",
        json={"date": "2026-11-24", "from_time": "13:00", "until_time": "17:00", "reason": "系统升级"},
        headers=manager,
    )
    assert answer.status_code == 200, answer.text
    assert sorted(b["code"] for b in answer.json()) == sorted(b["code"] for b in gone)
    assert all(b["state"] == "cancelled_by_hall" and b["note"] == "系统升级" for b in answer.json())
    assert client.get(f"{BASE}/{kept['code']}").json()["state"] == "booked"
    afternoon = client.get(f"{BASE}/slots", params={"item": "QY01", "from": "2026-11-24", "days": 1}).json()
    assert {s["state"] for s in afternoon if s["start"] >= at(13, day=24)} == {"closed"}
    refusal(client, at(14, day=24), 4, "full")  # a closed slot takes no booking
    sent = notices(client)
    told = [m for m in sent if m.kind == "cancelled_by_hall"]
    assert sorted(m.booking_code for m in told) == sorted(b["code"] for b in gone) and "系统升级" in told[0].text
    # only managers cancel slots
    refused = client.post(f"{BASE}/cancel-slots", json={"date": "2026-11-24", "reason": "x"}, headers=KIOSK)
    assert refused.status_code == 403


def test_reminders_the_day_before_and_an_hour_before_each_once(client: TestClient, clock: Clock) -> None:
    booking = book(client, at(10, day=24), 1)

    def reminders() -> list:
        sweep(client)
        return [m for m in notices(client) if m.kind == "reminder" and m.booking_code == booking["code"]]

    assert reminders() == []  # 09:00 on the 23rd: more than a day ahead
    clock.advance(hours=1, minutes=5)  # 10:05 on the 23rd: a day before
    assert len(reminders()) == 1 and "11月24日 10:00" in reminders()[0].text
    assert len(reminders()) == 1  # once
    clock.advance(hours=22, minutes=10)  # 08:15 on the 24th
    assert len(reminders()) == 1
    clock.advance(minutes=50)  # 09:05: an hour before
    assert len(reminders()) == 2


def test_the_items_that_can_be_booked_online(client: TestClient) -> None:
    items = client.get(f"{BASE}/items").json()
    codes = [i["code"] for i in items]
    assert codes[:2] == ["QY01", "QY02"] and "KS01" not in codes and "KS02" not in codes  # capacity 0
    first = {"code": "QY01", "name": "企业设立登记", "name_en": "Company registration", "domain": "enterprise"}
    assert items[0] == first
    for code in codes:  # each one answers for its slots
        assert client.get(f"{BASE}/slots", params={"item": code, "days": 1}).status_code == 200


@pytest.mark.parametrize("path", ["/slots?item=QY01", "/ABCDEFGH", "/items"])
def test_a_hall_without_appointments_says_so(client: TestClient, path: str) -> None:
    response = client.get(f"/api/halls/small/appointments{path}")
    assert response.status_code == 404 and "网上预约" in response.json()["detail_zh"]


# ---------------------------------------------------------------- booking for everyone

PASSPORT = {"document_kind": "passport", "id_number": "E12345678", "name": "John Smith", "phone": "+852 6123 4567"}
AGENT = {"name": "王小明", "phone": "139 1234 0002"}


def book_as(client: TestClient, slot: str, who: dict, item: str = "QY01", **more: object):
    return client.post(BASE, json=booking_request(item, slot, who, **more), headers=at_desk(client))


def test_a_foreigner_books_with_a_passport_and_a_hong_kong_phone(client: TestClient) -> None:
    response = book_as(client, at(10), PASSPORT)
    assert response.status_code == 201, response.text
    booking = response.json()
    assert (booking["document_kind"], booking["document_name"]) == ("passport", "护照")
    assert (
        booking["id_number"] == "E1*****78" and booking["phone"] == "+852****4567" and booking["name"] == "J*********"
    )
    assert booking["agent_name"] == booking["agent_phone"] == ""
    assert "E12345678" not in response.text and "61234567" not in response.text
    told = notices(client)[-1]
    assert told.to_phone == "+85261234567" and "凭预约码签到取号" in told.text  # a passport has no card reader
    # the same person is the same kind and number, however typed: the same item that day is refused
    again = book_as(client, at(14), {**PASSPORT, "id_number": "ｅ1234 5678"})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    # the same characters on another kind of document are another person
    taiwan = {**PASSPORT, "document_kind": "taiwan_permit", "id_number": "12345678", "name": "陈大文"}
    as_passport = {**taiwan, "document_kind": "passport"}
    assert book_as(client, at(14), taiwan).status_code == 201
    assert book_as(client, at(14), as_passport).status_code == 201
    # found by the passport and the phone, as typed; cancelled with the passport's number
    found = client.post(
        f"{BASE}/find", json={"document_kind": "passport", "id_number": "e12345678", "phone": "00852-6123-4567"}
    )
    assert [b["code"] for b in found.json()] == [booking["code"]]
    as_resident_id = client.post(f"{BASE}/find", json={"id_number": "E12345678", "phone": "+85261234567"})
    assert as_resident_id.status_code == 422 and "居民身份证号码应为18位" in as_resident_id.json()["detail_zh"]
    assert as_resident_id.json()["detail"].startswith("id_number: ")  # the field as the request names it
    cancelled = client.post(f"{BASE}/{booking['code']}/cancel", json={"id_number": "E 1234 5678"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def test_a_son_books_for_his_mother_and_is_the_one_told(client: TestClient) -> None:
    mother = {"id_number": id_number(8, birth="19450302"), "name": "王秀英", "agent": AGENT}  # no phone of her own
    code = phone_code(client, "13912340002")  # the son's phone is the one that proves itself
    response = client.post(BASE, json=booking_request("QY01", at(10), mother, phone_code=code))
    assert response.status_code == 201, response.text
    booking = response.json()
    assert (booking["name"], booking["phone"]) == ("王**", "")
    assert (booking["agent_name"], booking["agent_phone"]) == ("王**", "139****0002")
    assert "13912340002" not in response.text and "王小明" not in response.text
    told = notices(client)[-1]
    assert told.to_phone == "13912340002" and "代办人请提醒王**携带本人居民身份证" in told.text
    assert client.get(f"{BASE}/{booking['code']}").json()["agent_phone"] == "139****0002"
    # the agent's phone finds and cancels it, as the person's own would
    found = client.post(f"{BASE}/find", json={"id_number": mother["id_number"], "phone": "+86 139 1234 0002"})
    assert [b["code"] for b in found.json()] == [booking["code"]]
    assert client.post(f"{BASE}/{booking['code']}/cancel", json={"phone": "13912340002"}).status_code == 200
    # for oneself, one's own phone is needed; for someone, the agent's
    alone = book_as(client, at(11), {"id_number": id_number(9), "name": "李四"})
    assert alone.status_code == 422 and alone.json()["detail"].startswith("person.phone: ")
    no_agent_phone = book_as(client, at(11), {**mother, "agent": {"name": "王小明", "phone": "6123"}})
    assert no_agent_phone.status_code == 422 and no_agent_phone.json()["detail"].startswith("person.agent.phone: ")
    assert no_agent_phone.json()["detail_zh"].startswith("代办人手机号应为")


@pytest.mark.parametrize(
    ("consents", "field", "zh"),
    [
        ({"document_consent": False}, "document_consent", "证件号码属于敏感个人信息，请单独勾选同意"),
        ({"privacy_consent": False}, "privacy_consent", "请阅读并同意个人信息处理说明"),
        ({"privacy_consent": False, "document_consent": False}, "privacy_consent", "请阅读并同意"),
    ],
)
def test_no_booking_without_both_consents(client: TestClient, consents: dict, field: str, zh: str) -> None:
    before = slot_of(client, "QY01", at(10))["left"]
    refused = book_as(client, at(10), PASSPORT, **consents)
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"].startswith(f"{field}: ") and body["detail_zh"].startswith(zh)
    assert slot_of(client, "QY01", at(10))["left"] == before  # nothing kept
    plain = client.post(BASE, json={"item": "QY01", "slot_start": at(10), "person": person(1)})  # an older client
    assert plain.status_code == 422 and plain.json()["detail"].startswith("privacy_consent: ")


def test_a_booking_keeps_when_both_consents_were_given_and_to_which_notice(client: TestClient, clock: Clock) -> None:
    booking = book_as(client, at(10), {**person(1), "agent": AGENT}).json()
    kept = client.app.state.appointments.store.by_code("demo", booking["code"])
    assert (kept.consent_at, kept.notice_version) == (clock(), NOTICE_VERSION)
    page = client.get("/halls/demo/book").text  # the notice of that version is what the page shows
    for zh, en in CONSENT_NOTICE.values():
        assert zh in page and en in page
    privacy, document = (zh for zh, _ in CONSENT_NOTICE.values())
    assert "授权" in privacy  # an agent confirms the person's authorisation
    assert "摘要" in document and "脱敏号码" in document  # what is kept: the hash and the masked number


def test_a_wrong_document_number_is_named_in_both_languages(client: TestClient) -> None:
    permit = with_check_digit("81000019900101001")
    wrong = book_as(client, at(10), {**person(1), "document_kind": "residence_permit", "id_number": permit[:-1] + "Y"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == (
        "person.id_number: a Residence Permit for Hong Kong, Macao and Taiwan Residents number is "
        "18 characters starting with 81, 82 or 83"
    )
    assert wrong.json()["detail_zh"] == "港澳台居民居住证号码应为18位，以81、82或83开头"
    typed_as_id = book_as(client, at(10), {**person(1), "id_number": permit})
    assert typed_as_id.status_code == 422 and "「港澳台居民居住证」" in typed_as_id.json()["detail_zh"]
    hk_permit = book_as(client, at(10), {**person(1), "document_kind": "hk_macao_permit", "id_number": "X1234567"})
    assert hk_permit.status_code == 422 and "H或M开头" in hk_permit.json()["detail_zh"]
    bad_phone = book_as(client, at(10), {**person(1), "phone": "6123 4567"})
    assert bad_phone.status_code == 422 and "+852" in bad_phone.json()["detail_zh"]


def test_check_in_by_a_residence_permits_number_or_a_passport_bookings_code(client: TestClient, clock: Clock) -> None:
    permit = with_check_digit("82000019800101002")  # Macao
    resident = book_as(client, at(10), {**person(2), "document_kind": "residence_permit", "id_number": permit})
    passport = book_as(client, at(10), {**PASSPORT, "agent": AGENT})
    assert resident.status_code == passport.status_code == 201
    clock.advance(minutes=45)
    assert "凭预约码或港澳台居民居住证签到取号" in notices(client)[0].text
    by_card = client.post(f"{BASE}/check-in", json={"id_number": permit}, headers=KIOSK)  # a card reader's
    assert by_card.status_code == 201 and by_card.json()["booking"]["code"] == resident.json()["code"]
    code = passport.json()["code"]
    by_code = client.post(f"{BASE}/check-in", json={"code": code}, headers=KIOSK).json()
    # the desk and the counter see who booked it (代办), masked; only staff
    clerk = login(client, "zhangwei", "demo-staff")
    seen = client.get(f"{BASE}/by-ticket/{by_code['ticket']['id']}", headers=clerk)
    assert seen.status_code == 200 and (seen.json()["code"], seen.json()["agent_name"]) == (code, "王**")
    assert seen.json()["id_number"] == "E1*****78" and seen.json()["document_name"] == "护照"
    assert client.get(f"{BASE}/by-ticket/{by_code['ticket']['id']}").status_code == 401
    assert client.get(f"{BASE}/by-ticket/{by_code['ticket']['id']}", headers=KIOSK).status_code == 403
    walk_in = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    assert client.get(f"{BASE}/by-ticket/{walk_in['id']}", headers=clerk).status_code == 404


def booked_before_the_upgrade(client: TestClient, secret: bytes, number: str, kind: str, phone: str) -> str:
    """A booking as the program before 0008 kept it (a card number keyed alone, taken as a
    resident ID) and 0008 then read it (its kind by the masked number's first digits): its code."""
    service = client.app.state.appointments
    lookup = hmac.new(secret, b"hallq appointments person v1", hashlib.sha256).digest()
    start = dt.datetime.fromisoformat(at(10))
    row = AppointmentRow(
        id=f"old-{number}", hall="demo", code="OLDBKNG2", item="QY01", group="A", capacity_key="group:A",
        slot_start=start, slot_end=start + dt.timedelta(minutes=30), state="booked",
        person_key=hmac.new(lookup, number.encode(), hashlib.sha256).hexdigest(), document_kind=kind,
        id_masked=mask_id_number(number), name_masked=mask_name("陈大文"), phone_masked=mask_phone(phone),
        contact_sealed=service.keys.seal(Contact(phone, name="陈大文")), created_at=start - dt.timedelta(days=1),
    )  # fmt: skip
    service.store.book(row, 4, lambda history, others: None)
    return row.code


def test_a_residence_permit_booking_made_before_the_upgrade_is_still_that_persons(
    client: TestClient, app_settings: Settings, clock: Clock
) -> None:
    permit = with_check_digit("81000019900101001")
    code = booked_before_the_upgrade(client, app_settings.secret(), permit, "residence_permit", "13812340031")
    found = client.post(
        f"{BASE}/find", json={"document_kind": "residence_permit", "id_number": permit, "phone": "13812340031"}
    )
    assert [b["code"] for b in found.json()] == [code], found.text
    assert found.json()[0]["document_name"] == "港澳台居民居住证"
    # the per-person rules see it: the same item that day is a duplicate
    again = book_as(client, at(14), {**person(31), "document_kind": "residence_permit", "id_number": permit})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    # the card's number checks it in at the kiosk
    clock.advance(minutes=45)
    checked = client.post(f"{BASE}/check-in", json={"id_number": permit}, headers=KIOSK)
    assert checked.status_code == 201 and checked.json()["booking"]["code"] == code


def test_a_2023_permanent_residence_card_booking_made_before_the_upgrade_is_cancelled_with_its_number(
    client: TestClient, app_settings: Settings
) -> None:
    card = with_check_digit("93184019900101003")
    code = booked_before_the_upgrade(client, app_settings.secret(), card, "foreign_permanent", "+85261234567")
    cancelled = client.post(f"{BASE}/{code}/cancel", json={"id_number": card})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def test_a_malformed_number_to_find_cancel_or_check_in_names_the_field_the_request_has(
    client: TestClient, clock: Clock
) -> None:
    booking = book_as(client, at(10), PASSPORT).json()
    code = booking["code"]
    # find: the phone is checked before anything is looked up, and named as sent
    bad_phone = client.post(
        f"{BASE}/find", json={"document_kind": "passport", "id_number": "E12345678", "phone": "6123"}
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"].startswith("phone: ")
    assert "+852" in bad_phone.json()["detail_zh"]
    bad_number = client.post(
        f"{BASE}/find", json={"document_kind": "passport", "id_number": "E1", "phone": "13812340001"}
    )
    assert bad_number.status_code == 422 and bad_number.json()["detail"].startswith("id_number: ")
    # cancel: a malformed phone is a 422 naming it, not a wrong guess
    cancel = f"{BASE}/{code}/cancel"
    assert client.post(cancel, json={"phone": "6123"}).json()["detail"].startswith("phone: ")
    assert client.post(cancel, json={"id_number": "E1"}).json()["detail"].startswith("id_number: ")
    neither = client.post(cancel, json={"phone": "E1", "id_number": "E1"})
    assert neither.status_code == 422 and neither.json()["detail_zh"].startswith("请输入预约时填写的手机号或护照号码")
    # what the booking page sends: what was typed, as both; one well formed and wrong is a 403
    assert client.post(cancel, json={"phone": "E99999999", "id_number": "E99999999"}).status_code == 403
    assert client.get(f"{BASE}/{code}").json()["state"] == "booked"
    # what the booking page sends: what was typed, as both; the passport's number or the phone cancels it
    for proof, booked in (("E12345678", code), ("00852 6123 4567", None)):
        booked = booked or book_as(client, at(14), PASSPORT).json()["code"]
        done = client.post(f"{BASE}/{booked}/cancel", json={"phone": proof, "id_number": proof})
        assert done.status_code == 200 and done.json()["state"] == "cancelled", proof
    # check-in: a passport's number says to use the booking code; a card's names id_number
    clock.advance(minutes=45)
    by_passport = client.post(f"{BASE}/check-in", json={"id_number": "E12345678"}, headers=KIOSK)
    assert by_passport.status_code == 422 and by_passport.json()["detail_zh"].startswith("护照、通行证请用预约码签到")
    mistyped = client.post(f"{BASE}/check-in", json={"id_number": id_number(1)[:-1] + "Y"}, headers=KIOSK)
    assert mistyped.status_code == 422 and mistyped.json()["detail"].startswith("id_number: ")
    assert mistyped.json()["detail_zh"].startswith("居民身份证号码应为18位")
    nothing = client.post(f"{BASE}/check-in", json={}, headers=KIOSK)
    assert nothing.status_code == 422 and nothing.json()["detail_zh"] == "请输入预约码或证件号码"


def test_the_booking_code_is_not_logged_in_clear(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """The code opens the booking's page: the log keeps its ends only (a complaint can be matched)."""
    from config.privacy import mask_code
    from tests.support import logged

    with logged(caplog, "hall.appointments"):
        booking = book(client, at(10), 1)
        client.post(f"{BASE}/{booking['code']}/cancel", json={"phone": "13812340001"})
    said = caplog.text + "".join(repr(vars(r)) for r in caplog.records)
    assert booking["code"] not in said
    assert mask_code(booking["code"]) in said and "booked" in caplog.text and "booking cancelled" in caplog.text
