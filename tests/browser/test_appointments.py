"""Appointments in a real browser: booking on a phone (预约取号), the booking's page (预约详情)
with its countdown and cancelling, and checking in at the ticket machine (预约签到).

Each test starts ``hall serve`` as a child process with a copy of the demo hall whose
``[appointments]`` is adjusted for a server on the real clock (see each test), on a fresh data
directory, and drives Debian's Chromium headless through Playwright. Outcomes are checked
through the public API. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.browser.common import (
    DESK,
    KIOSK_AUTH,
    PHONE,
    PORTRAIT,
    act,
    inside_viewport,
    log_in,
    no_sideways_scroll,
    overlay,
    slip_ticket_id,
    staff_login,
)
from tests.support import DEMO_HALL, Server, booking_request, code_in_log, running
from tests.test_appointments import id_number

BASE = "/api/halls/demo/appointments"
HALL_ZONE = ZoneInfo("Asia/Shanghai")
PHONE_NUMBER = "13812340001"
DEMO_DOMAINS = ["企业服务", "社保医保", "不动产登记", "住房公积金", "公安户政", "税务服务"]


# ---------------------------------------------------------------- helpers


@contextmanager
def serve(tmp_path: Path, **appointments: int) -> Iterator[tuple[Server, httpx.Client]]:
    """``hall serve`` with the demo hall, ``appointments`` added to its ``[appointments]``."""
    text = DEMO_HALL.read_text(encoding="utf-8")
    marker = "[appointments]\n"
    assert marker in text
    text = text.replace(marker, marker + "".join(f"{key} = {value}\n" for key, value in appointments.items()), 1)
    hall = tmp_path / "demo.toml"
    hall.write_text(text, encoding="utf-8")
    env = {"HALL_DATA_DIR": str(tmp_path / "var"), "HALL_FILES": str(hall), "HALL_LOG_FORMAT": "text"}
    # Idle connections are let go well before the server's 5 s keep-alive ends them: a request sent
    # on one the moment the server closes it is lost ("Server disconnected without sending a response").
    limits = httpx.Limits(keepalive_expiry=2.0)
    with (
        running(env, log=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, timeout=10, limits=limits) as api,
    ):
        yield server, api


def open_slots(api: httpx.Client, item: str = "QY01", **params) -> list[dict]:
    response = api.get(f"{BASE}/slots", params={"item": item, **params})
    assert response.status_code == 200, response.text
    return [s for s in response.json() if s["state"] == "open"]


def at_desk(api: httpx.Client) -> dict[str, str]:
    """Bookings made beside the page's: at the service desk (the clerk saw the person, no code)."""
    return staff_login(api, "manager", "demo-manager")


def book(api: httpx.Client, slot: str, serial: int, item: str = "QY01") -> dict:
    person = {"id_number": id_number(serial), "name": "张三丰", "phone": f"1381234{serial:04d}"}
    response = api.post(BASE, json=booking_request(item, slot, person), headers=at_desk(api))
    assert response.status_code == 201, response.text
    return response.json()


def booking(api: httpx.Client, code: str) -> dict:
    response = api.get(f"{BASE}/{code}")
    assert response.status_code == 200, response.text
    return response.json()


def qr_loaded(page: Page, selector: str) -> None:
    image = page.locator(selector)
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=5_000)


def fill_person(
    page: Page, id_no: str, kind: str = "resident_id", name: str = "张三丰", phone: str = PHONE_NUMBER
) -> None:
    """The person's details, and both consents given."""
    form = page.locator("#person")  # the booking's form (the page also has 找回我的预约)
    form.get_by_label("姓名 Name", exact=True).fill(name)
    form.get_by_label(re.compile("^证件类型")).select_option(kind)
    form.get_by_label(re.compile("^证件号码")).fill(id_no)
    form.get_by_label(re.compile("^手机号")).fill(phone)
    consent(page)


def get_code(page: Page, server: Server, phone: str = PHONE_NUMBER) -> None:
    """获取验证码, then the code typed in: read where the demo's log notifier writes it (the
    server's log), as someone trying the demo would."""
    button = page.locator("#get-code")
    button.click()
    expect(page.locator("#code-status")).to_contain_text("验证码已发送至")
    expect(button).to_be_disabled()  # a minute's countdown before another
    expect(button).to_have_text(re.compile("秒后重新获取"))
    assert server.log is not None
    page.locator("#person").get_by_label(re.compile("^短信验证码")).fill(code_in_log(server.log, phone))


def consent(page: Page, general: bool = True, document: bool = True) -> None:
    form = page.locator("#person")
    form.get_by_label(re.compile("同意为本次预约")).set_checked(general)
    form.get_by_label(re.compile("单独同意提供证件号码")).set_checked(document)


def choose_first_open_slot(page: Page, item: str = "QY01") -> tuple[str, str]:
    """Item, then the first day that has open slots, then its first open slot: (day, slot start)."""
    page.locator(f'[data-item="{item}"]').click()
    expect(page.locator(f'[data-item="{item}"]')).to_have_attribute("aria-pressed", "true")
    day = page.locator("#days .choice:enabled").first
    expect(day).to_be_visible()
    day_iso = day.get_attribute("data-day") or ""
    day.click()
    slot = page.locator("#slots .choice:enabled").first
    expect(slot).to_be_visible()
    start = slot.get_attribute("data-start") or ""
    slot.click()
    expect(page.locator("#step-person")).to_be_visible()
    return day_iso, start


def clear_data_nowhere(page: Page) -> None:
    html = page.content()
    assert id_number(1) not in html, "the clear ID number is on the page"
    assert PHONE_NUMBER not in html, "the clear phone number is on the page"


# ---------------------------------------------------------------- booking on a phone


def test_large_type_on_the_booking_page_is_kept_on_the_phone(tmp_path: Path, new_page, artifacts: Path) -> None:
    with serve(tmp_path) as (server, _):
        page = new_page(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(f"{server.url}/halls/demo/book")
        heading = page.locator("h3.domain").first  # one line of text: its height is the type's size
        before = heading.bounding_box()["height"]
        page.get_by_role("button", name="大字 Large type").click()
        assert heading.bounding_box()["height"] > before * 1.2
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "book-large-type.png")
        page.reload()  # 适老化 stays on for this phone
        expect(page.get_by_role("button", name="大字 Large type")).to_have_attribute("aria-pressed", "true")
        assert page.locator("h3.domain").first.bounding_box()["height"] > before * 1.2


def test_book_on_a_phone_then_follow_and_cancel_it(tmp_path: Path, new_page, artifacts: Path) -> None:
    # The real clock: the first open slot may be barely an hour ahead, so the cut-off for
    # cancelling is brought down from the demo's 60 minutes, or cancelling could race it.
    with serve(tmp_path, cancel_cutoff_minutes=10) as (server, api):
        page = new_page(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(f"{server.url}/halls/demo/book")
        expect(page).to_have_title("预约取号 · 示范区政务服务中心")

        # The items that can be booked online, grouped by domain; not the cross-province ones.
        expect(page.locator("h3.domain")).to_have_text([re.compile("^" + d) for d in DEMO_DOMAINS])
        bookable = {i["code"] for i in api.get(f"{BASE}/items").json()}
        shown = set(page.locator("[data-item]").evaluate_all("buttons => buttons.map(b => b.dataset.item)"))
        assert shown == bookable and {"QY01", "SB01"} <= shown and not {"KS01", "KS02"} & shown
        expect(page.locator("#step-day")).to_be_hidden()
        no_sideways_scroll(page)

        day, start = choose_first_open_slot(page)
        first_open = open_slots(api, days=8)[0]
        assert start == first_open["start"] and day == start[:10]
        expect(page.locator("#chosen")).to_have_text(re.compile(rf"^企业设立登记 · .*{start[11:16]}–"))
        # the days on offer: at most seven, the chosen one pressed
        days = page.locator("#days .choice")
        assert 1 <= days.count() <= 7
        expect(page.locator(f'#days [data-day="{day}"]')).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_text("单独同意提供证件号码（敏感个人信息）")).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-phone-form.png", full_page=True)
        page.set_viewport_size({"width": 360, "height": 740})  # the narrowest phones in use
        no_sideways_scroll(page)
        page.set_viewport_size(PHONE)

        # Without the phone's one-time code: asked for, its field marked; nothing is booked.
        wrong = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
        fill_person(page, wrong)
        page.get_by_role("button", name="提交预约 Book").click()
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(re.compile("^请先获取并填写手机验证码"))
        code_field = page.locator("#person").get_by_label(re.compile("^短信验证码"))
        expect(code_field).to_have_attribute("aria-invalid", "true")
        get_code(page, server)
        page.screenshot(path=artifacts / "booking-phone-code.png", full_page=True)

        # A typo in the ID number is named, and its field marked; nothing is booked.
        page.get_by_role("button", name="提交预约 Book").click()
        expect(alert).to_be_visible()
        expect(alert).to_have_text(re.compile("^居民身份证号码有误（校验位不符），请核对后重新输入"))
        number_field = page.locator("#person").get_by_label(re.compile("^证件号码"))
        expect(number_field).to_have_attribute("aria-invalid", "true")
        assert next(s for s in open_slots(api, days=8) if s["start"] == start)["left"] == first_open["left"]  # not kept

        number_field.fill(id_number(1))
        page.get_by_role("button", name="提交预约 Book").click()
        done = page.locator("#done")
        expect(done).to_be_visible()
        expect(alert).to_be_hidden()
        code = page.locator("#done-code").inner_text()
        assert re.fullmatch(r"[A-Z2-9]{8}", code), code
        qr_loaded(page, "#done-qr")
        expect(page.locator("#done-qr")).to_have_attribute("src", f"/halls/demo/appointments/{code}/qr.svg")
        expect(page.locator("#done-slot")).to_contain_text(f"{start[11:16]}–")
        expect(page.locator("#done")).to_contain_text("从开始前30分钟至开始后15分钟")
        inside_viewport(page, page.locator("#done-code"))
        no_sideways_scroll(page)

        # The API has it; the page shows the person only masked, as the API gives it.
        booked = booking(api, code)
        assert (booked["state"], booked["item"], booked["slot_start"]) == ("booked", "QY01", start)
        expect(page.locator("#done-name")).to_have_text(booked["name"])
        expect(page.locator("#done-id")).to_have_text(booked["id_number"])
        expect(page.locator("#done-phone")).to_have_text(booked["phone"])
        assert booked["phone"] == "138****0001" and booked["id_number"].endswith(id_number(1)[-4:])
        clear_data_nowhere(page)
        page.screenshot(path=artifacts / "booking-phone.png", full_page=True)

        # A refusal is shown where it can be seen: the same item the same day again (from
        # another phone: this one's code is used, and the next one is a minute away).
        page.get_by_role("button", name="再预约一项 Book another").click()
        choose_first_open_slot(page)
        fill_person(page, id_number(1), phone="13812340009")
        get_code(page, server, "13812340009")
        page.get_by_role("button", name="提交预约 Book").click()
        expect(alert).to_have_text(re.compile("^您当天已预约该事项，请勿重复预约"))
        inside_viewport(page, alert)
        expect(page.locator("#done")).to_be_hidden()

        # The booking's page, as its QR code or the link opens it.
        page.goto(f"{server.url}{booked['status_path']}")
        expect(page).to_have_title(re.compile(f"^预约详情 {code}"))
        expect(page.locator("#b-code")).to_have_text(code)
        expect(page.locator("#b-state")).to_have_text("已预约")
        expect(page.locator("#b-item")).to_contain_text("企业设立登记")
        expect(page.locator("#b-slot")).to_contain_text(f"{start[11:16]}–")
        expect(page.locator("#b-id")).to_have_text(booked["id_number"])
        expect(page.locator("#b-phone")).to_have_text("138****0001")
        expect(page.locator("#window-box")).to_contain_text("从开始前30分钟至开始后15分钟")
        qr_loaded(page, "#b-qr")
        answer = page.request.get(f"{server.url}/halls/demo/appointments/{code}/qr.svg")
        assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
        countdown = page.locator("#countdown")
        expect(countdown).to_have_text(re.compile(r"^(\d+天 )?\d\d小时 \d\d分 \d\d秒$"))
        before = countdown.inner_text()
        expect(countdown).not_to_have_text(before, timeout=2_000)  # it counts down every second
        expect(page.get_by_text("预约倒计时")).to_be_visible()
        clear_data_nowhere(page)
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-status.png", full_page=True)

        # The code lost: 找回我的预约 by the ID number and the phone finds it again.
        status_url = page.url
        page.goto(f"{server.url}/halls/demo/book")
        page.locator("#find summary").click()
        page.locator("#find-id").fill(id_number(1))
        page.locator("#find-phone").fill(PHONE_NUMBER)
        page.get_by_role("button", name="查找 Find").click()
        expect(page.locator("#find-message")).to_have_text(re.compile("^找到 1 个预约"))
        page.locator("#found-bookings a").click()
        expect(page).to_have_url(status_url)

        # 取消预约 needs the phone booked with, and asks first: saying no changes nothing.
        cancel = page.get_by_role("button", name="取消预约 Cancel booking")
        cancel.click()
        expect(page.locator("#message")).to_contain_text("请先输入预约时填写的手机号或证件号码")
        page.get_by_label(re.compile("^预约时填写的手机号或证件号码")).fill("13900000000")  # not the booking's
        page.once("dialog", lambda dialog: dialog.accept())
        cancel.click()
        expect(page.locator("#message")).to_contain_text("请输入预约时填写的手机号或证件号码")
        assert booking(api, code)["state"] == "booked"
        page.get_by_label(re.compile("^预约时填写的手机号或证件号码")).fill(PHONE_NUMBER)
        page.once("dialog", lambda dialog: dialog.dismiss())
        cancel.click()
        expect(page.locator("#b-state")).to_have_text("已预约")
        assert booking(api, code)["state"] == "booked"
        messages: list[str] = []

        def accept(dialog) -> None:
            messages.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        cancel.click()
        expect(page.locator("#b-state")).to_have_text("已取消")
        expect(cancel).to_be_hidden()
        expect(page.locator("#countdown-box")).to_be_hidden()
        assert "确定取消该预约吗" in messages[0]
        assert booking(api, code)["state"] == "cancelled"
        page.reload()  # the server's own rendering says the same
        expect(page.locator("#b-state")).to_have_text("已取消")
        expect(page.get_by_role("button", name="取消预约 Cancel booking")).to_be_hidden()

        assert api.get("/halls/demo/appointments/ZZZZZZZZ").status_code == 404


# ---------------------------------------------------------------- checking in at the ticket machine


def test_check_in_at_the_ticket_machine(tmp_path: Path, new_page, artifacts: Path) -> None:
    # The real clock: slots can be booked from now on, and check-in opens 8 days ahead, so the
    # first open slot (today's or the next open day's) can be checked in now. Booking goes 14
    # days ahead, so a slot beyond those 8 days is still too early.
    early = 60 * 24 * 8
    with serve(tmp_path, earliest_minutes_ahead=0, early_minutes=early, latest_days_ahead=14) as (server, api):
        near = open_slots(api, days=15)[0]["start"]
        today = dt.datetime.now(HALL_ZONE).date()
        far = open_slots(api, **{"from": (today + dt.timedelta(days=9)).isoformat(), "days": 5})[0]["start"]
        mine, scanned, later = book(api, near, 1), book(api, near, 4), book(api, far, 2)

        page = new_page(PORTRAIT)
        page.goto(f"{server.url}/halls/demo/kiosk#token=demo-kiosk-token")
        expect(page.locator("#setup")).to_be_hidden()
        open_button = page.get_by_role("button", name="预约签到 Check in")
        expect(open_button).to_be_visible()
        inside_viewport(page, open_button)
        inside_viewport(page, page.locator(".kiosk-foot"))
        page.screenshot(path=artifacts / "kiosk-check-in-button.png")
        panel = page.locator("#checkin")
        field = page.get_by_placeholder("预约码或证件号码")
        error = page.locator("#checkin-error")  # in the panel, large, under the field

        # Too early: the panel says from when.
        open_button.click()
        expect(panel).to_be_visible()
        expect(field).to_be_focused()
        page.screenshot(path=artifacts / "kiosk-check-in-panel.png")
        field.fill(later["code"])
        page.get_by_role("button", name="签到 Check in", exact=True).click()
        opens = dt.datetime.fromisoformat(far) - dt.timedelta(minutes=early)
        expect(error).to_be_visible()
        expect(error).to_contain_text(f"请于{opens:%m月%d日 %H:%M}后签到")
        expect(error).to_have_text(re.compile(r"^请于.*\d\d:\d\d后签到 \S"))  # then the same in English
        assert error.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 24
        expect(overlay(page)).to_be_hidden()
        expect(panel).to_be_visible()  # to try again
        page.screenshot(path=artifacts / "kiosk-check-in-refused.png")
        assert booking(api, later["code"])["state"] == "booked"

        # 18 characters like an ID number go as one: nobody with this one has a booking today.
        # Typed on the on-screen keypad (a touch screen has no keyboard of its own).
        page.locator("#keypad [data-key=clear]").click()
        expect(field).to_have_value("")
        expect(error).to_be_hidden()  # typing again clears what was wrong
        for key in id_number(3) + "9":
            page.locator(f'#keypad [data-key="{key}"]').click()
        page.locator("#keypad [data-key=back]").click()  # one too many, taken back
        expect(field).to_have_value(id_number(3))
        expect(field).to_be_focused()  # the keys never take the focus: a scanner still types into the field
        assert field.get_attribute("inputmode") == "none"  # no system keyboard over the keypad
        page.get_by_role("button", name="签到 Check in", exact=True).click()
        expect(error).to_contain_text("该证件今日没有预约")

        # The booking whose slot is now: its ticket, on the same slip as a ticket taken here.
        field.fill(mine["code"].lower())
        field.press("Enter")
        expect(overlay(page)).to_be_visible()
        expect(panel).to_be_hidden()
        expect(page.locator("#result-checkin")).to_have_text("预约签到成功 Checked in")
        expect(error).to_be_hidden()  # the refusals before it are gone
        number = page.locator("#result-number")
        expect(number).to_have_text(re.compile(r"^A\d{3}$"))
        expect(page.locator("#result-item")).to_have_text("企业设立登记")
        expect(page.locator("#result-print")).to_contain_text("请取走凭条")  # the machine prints its slip too
        qr_loaded(page, "#result-qr")
        ticket_id = slip_ticket_id(page)
        checked = booking(api, mine["code"])
        assert checked["state"] == "checked_in" and checked["ticket_id"] == ticket_id
        ticket = api.get(f"/api/halls/demo/tickets/{ticket_id}").json()
        assert (ticket["number"], ticket["priority"], ticket["item"]) == (number.inner_text(), "appointment", "QY01")
        expect(page.locator("#result-ahead")).to_have_text(str(ticket["people_ahead"]))
        inside_viewport(page, page.locator(".slip"))
        page.screenshot(path=artifacts / "kiosk-check-in.png")
        page.get_by_role("button", name="完成 Done").click()
        expect(overlay(page)).to_be_hidden()

        # Twice: refused, and said so.
        open_button.click()
        field.fill(mine["code"])
        field.press("Enter")
        expect(error).to_contain_text("该预约已签到取号，请勿重复签到")
        page.get_by_role("button", name="返回 Back").click()
        expect(panel).to_be_hidden()

        # A scanner types the QR code's link and Enter, with nothing tapped first.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.type(f"{server.url}{scanned['status_path']}")
        expect(panel).to_be_visible()
        expect(field).to_have_value(f"{server.url}{scanned['status_path']}")  # the first key opened it, none lost
        page.keyboard.press("Enter")
        expect(overlay(page)).to_be_visible()
        expect(page.locator("#result-checkin")).to_have_text("预约签到成功 Checked in")
        expect(number).not_to_have_text(ticket["number"])
        assert booking(api, scanned["code"])["state"] == "checked_in"
        assert booking(api, scanned["code"])["ticket_id"] == slip_ticket_id(page)

        # An ordinary ticket afterwards has no check-in line.
        page.get_by_role("button", name="完成 Done").click()
        page.locator('.item-btn[data-item="QY02"]').click()
        expect(overlay(page)).to_be_visible()
        expect(page.locator("#result-checkin")).to_be_hidden()
        assert api.get("/api/halls/demo/tickets/" + slip_ticket_id(page), headers=KIOSK_AUTH).status_code == 200


# ---------------------------------------------------------------- booking for everyone


def test_a_foreigner_books_on_a_phone_with_a_passport_and_a_hong_kong_number(
    tmp_path: Path, new_page, artifacts: Path
) -> None:
    with serve(tmp_path, cancel_cutoff_minutes=10) as (server, api):
        page = new_page(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(f"{server.url}/halls/demo/book")
        _, start = choose_first_open_slot(page)
        left = next(s for s in open_slots(api, days=8) if s["start"] == start)["left"]
        form = page.locator("#person")
        form.get_by_label(re.compile("^证件类型")).select_option("passport")
        expect(page.locator("#id-shape")).to_have_text("5至17位字母和数字")  # what the number looks like
        fill_person(page, "e1234 5678", kind="passport", name="John Smith", phone="+852 6123 4567")
        get_code(page, server, "+85261234567")

        # Without the separate consent to the document number: refused, the box marked, nothing kept.
        consent(page, document=False)
        page.get_by_role("button", name="提交预约 Book").click()
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(re.compile("^证件号码属于敏感个人信息，请单独勾选同意后再提交"))
        document_box = form.get_by_label(re.compile("单独同意提供证件号码"))
        expect(document_box).to_have_attribute("aria-invalid", "true")
        inside_viewport(page, alert)
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-passport-consent.png", full_page=True)
        assert next(s for s in open_slots(api, days=8) if s["start"] == start)["left"] == left

        document_box.check()
        page.get_by_role("button", name="提交预约 Book").click()
        expect(page.locator("#done")).to_be_visible()
        code = page.locator("#done-code").inner_text()
        booked = booking(api, code)
        assert (booked["document_kind"], booked["id_number"], booked["phone"]) == (
            "passport",
            "E1*****78",
            "+852****4567",
        )
        expect(page.locator("#done-document")).to_have_text("护照")
        expect(page.locator("#done-id")).to_have_text("E1*****78")
        expect(page.locator("#done-phone")).to_have_text("+852****4567")
        expect(page.locator("#done-abroad")).to_contain_text("境外手机号可能收不到短信通知")  # keep the code
        expect(page.locator("#done-agent")).to_be_hidden()
        html = page.content()
        assert "E12345678" not in html and "61234567" not in html
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-passport.png", full_page=True)

        # 找回我的预约 with the passport and the phone, as typed.
        page.goto(f"{server.url}/halls/demo/book")
        page.locator("#find summary").click()
        page.locator("#find-kind").select_option("passport")
        page.locator("#find-id").fill("E12345678")
        page.locator("#find-phone").fill("+85261234567")
        page.get_by_role("button", name="查找 Find").click()
        expect(page.locator("#find-message")).to_have_text(re.compile("^找到 1 个预约"))
        page.locator("#found-bookings a").click()

        # The booking's page names the document; the passport's number cancels it.
        expect(page.locator("#b-code")).to_have_text(code)
        expect(page.locator(".facts")).to_contain_text("护照")
        expect(page.locator("#b-id")).to_have_text("E1*****78")
        page.get_by_label(re.compile("^预约时填写的手机号或证件号码")).fill("E12345678")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="取消预约 Cancel booking").click()
        expect(page.locator("#b-state")).to_have_text("已取消")
        assert booking(api, code)["state"] == "cancelled"


def test_a_taiwan_permit_starting_with_00_cancels_its_booking(tmp_path: Path, new_page, artifacts: Path) -> None:
    """What is typed to cancel goes as both a phone and a document number: a Taiwan permit's
    0012345678 is no phone (00 would read as +), and the server compares it as the permit."""
    with serve(tmp_path, cancel_cutoff_minutes=10) as (server, api):
        start = open_slots(api, days=8)[0]["start"]
        who = {"document_kind": "taiwan_permit", "id_number": "0012345678", "name": "陈大文"}
        who["phone"] = "+886 912 345 678"
        made = api.post(BASE, json=booking_request("QY01", start, who), headers=at_desk(api))
        assert made.status_code == 201, made.text
        code = made.json()["code"]
        page = new_page(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(f"{server.url}/halls/demo/appointments/{code}")
        expect(page.locator(".facts")).to_contain_text("台湾居民来往大陆通行证")
        proof = page.get_by_label(re.compile("^预约时填写的手机号或证件号码"))
        proof.fill("12")  # neither a phone nor a permit's number: said so, nothing cancelled
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="取消预约 Cancel booking").click()
        expect(page.locator("#message")).to_contain_text("请输入预约时填写的手机号或台湾居民来往大陆通行证号码")
        page.screenshot(path=artifacts / "booking-cancel-malformed.png", full_page=True)
        assert booking(api, code)["state"] == "booked"
        proof.fill("0012 3456 78")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="取消预约 Cancel booking").click()
        expect(page.locator("#b-state")).to_have_text("已取消")
        assert booking(api, code)["state"] == "cancelled"
        page.screenshot(path=artifacts / "booking-cancel-taiwan-permit.png", full_page=True)


def test_booking_on_a_phone_for_an_elderly_parent(tmp_path: Path, new_page, artifacts: Path) -> None:
    mother = id_number(5, birth="19450302")
    with serve(tmp_path) as (server, api):
        page = new_page(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(f"{server.url}/halls/demo/book")
        choose_first_open_slot(page)
        form = page.locator("#person")
        agent = page.locator("#agent")
        expect(agent).to_be_hidden()
        form.get_by_label(re.compile("我是代他人预约（代办）")).check()
        expect(agent).to_be_visible()
        expect(page.locator("#phone-optional")).to_be_visible()  # the mother's own phone: if she has one

        fill_person(page, mother, name="王秀英", phone="")
        page.get_by_role("button", name="提交预约 Book").click()
        expect(page.get_by_role("alert")).to_have_text("请填写代办人姓名")  # named before anything is sent
        agent.get_by_label(re.compile("^代办人姓名")).fill("王小明")
        agent.get_by_label(re.compile("^代办人手机号")).fill("139 1234 0002")
        get_code(page, server, "13912340002")  # the agent's phone, the one told
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-agent-form.png", full_page=True)
        page.get_by_role("button", name="提交预约 Book").click()

        expect(page.locator("#done")).to_be_visible()
        code = page.locator("#done-code").inner_text()
        booked = booking(api, code)
        assert (booked["name"], booked["phone"], booked["agent_name"], booked["agent_phone"]) == (
            "王**", "", "王**", "139****0002",
        )  # fmt: skip
        expect(page.locator("#done-agent")).to_have_text("王** 139****0002（代办）")
        expect(page.locator("#done-phone")).to_have_text("—")
        expect(page.locator("#done-abroad")).to_be_hidden()
        html = page.content()
        assert mother not in html and "13912340002" not in html and "王小明" not in html
        no_sideways_scroll(page)
        page.screenshot(path=artifacts / "booking-agent.png", full_page=True)

        page.locator("#done-link").click()
        expect(page.locator("#b-agent")).to_have_text("王** 139****0002")
        page.screenshot(path=artifacts / "booking-agent-status.png", full_page=True)


def test_the_clerk_sees_a_passport_booked_by_an_agent_when_it_is_called(tmp_path: Path, new_page, artifacts) -> None:
    # Check-in opens 8 days ahead (as at the ticket machine above), so the booking is checked in now.
    with serve(tmp_path, earliest_minutes_ahead=0, early_minutes=60 * 24 * 8) as (server, api):
        near = open_slots(api, days=8)[0]["start"]
        who = {"document_kind": "passport", "id_number": "E12345678", "name": "John Smith", "agent": {
            "name": "王小明", "phone": "13912340002"}}  # fmt: skip
        response = api.post(BASE, json=booking_request("QY01", near, who), headers=at_desk(api))
        assert response.status_code == 201, response.text
        checked = api.post(f"{BASE}/check-in", json={"code": response.json()["code"]}, headers=KIOSK_AUTH)
        assert checked.status_code == 201, checked.text
        manager = staff_login(api, "manager", "demo-manager")
        act(api, manager, 1, "open")
        page = new_page(DESK)
        page.goto(f"{server.url}/halls/demo/counters/1")
        log_in(page, "manager", "demo-manager")
        called = act(api, manager, 1, "call-next")
        assert called["id"] == checked.json()["ticket"]["id"]
        expect(page.locator("#cur-number")).to_have_text(called["number"])
        expect(page.locator("#cur-marks")).to_contain_text("护照 · 代办 王** 139****0002")
        assert "13912340002" not in page.content() and "E12345678" not in page.content()
        page.screenshot(path=artifacts / "counter-agent-booking.png")
