"""The ticket machine's slip in a real browser: what a citizen sees while the slip prints, when
the printer is offline, and after "重新打印 Print again" once it is back; and the ticket status
page's PDF link.

Each test starts ``hall serve`` as a child process with a copy of the demo hall whose kiosk-1
printer is a local TCP listener standing in for a network thermal printer (or a port nobody
listens on), and drives Debian's Chromium headless through Playwright, with the ticket machine's
device token in the address. What reached the printer is read back with the tests' ESC/POS
decoder. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.common import item_button, overlay, slip_rating_key, slip_ticket_id
from tests.escpos_decoder import decode
from tests.support import Server, free_port, running
from tests.test_printing import KIOSK, PrinterStandIn, env, hall_file

# ---------------------------------------------------------------- fixtures


@pytest.fixture
def printer() -> Iterator[PrinterStandIn]:
    stand_in = PrinterStandIn()
    yield stand_in
    stand_in.close()


def network_printer(port: int) -> str:
    return f'driver = "network"\nhost = "127.0.0.1"\nport = {port}\ntimeout_seconds = 1'


def serve(tmp_path: Path, kiosk_printer: str) -> AbstractContextManager[Server]:
    return running(env(tmp_path, hall_file(tmp_path, kiosk_printer)), log=tmp_path / "server.log")


# ---------------------------------------------------------------- helpers


def kiosk(new_page: Callable[..., Page], server: Server) -> Page:
    page = new_page()
    page.goto(f"{server.url}/halls/demo/kiosk#token=demo-kiosk-token")
    expect(page.locator("#setup")).to_be_hidden()
    expect(item_button(page, "QY01")).to_be_visible()
    return page


def take_ticket(page: Page, item: str = "QY01") -> tuple[str, str]:
    """Tap ``item``; the slip comes up with a number and its QR code. Returns (number, ticket id)."""
    item_button(page, item).click()
    expect(overlay(page)).to_be_visible()
    number = page.locator("#result-number")
    expect(number).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    ticket_id = slip_ticket_id(page)
    qr = page.locator("#result-qr")  # the same link, with the ticket's rating key
    expect(qr).to_have_attribute("src", f"/halls/demo/tickets/{ticket_id}/qr.svg?k={slip_rating_key(page)}")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=5_000)
    return number.inner_text(), ticket_id


def print_state(page: Page) -> Locator:
    return page.locator('#result-print[role="status"]')


def reprint_button(page: Page) -> Locator:
    return page.get_by_role("button", name="重新打印 Print again")


# ---------------------------------------------------------------- the tests


def test_an_offline_printer_shows_the_fault_and_print_again_prints_when_it_is_back(
    tmp_path: Path, new_page, artifacts: Path
) -> None:
    port = free_port()  # nobody listens there yet
    with serve(tmp_path, network_printer(port)) as server, httpx.Client(base_url=server.url) as api:
        page = kiosk(new_page, server)
        number, ticket_id = take_ticket(page)

        status = print_state(page)
        expect(status).to_have_text(re.compile(r"^打印机未连接，请记下号码或扫码"))
        expect(status).to_have_class(re.compile(r"\bbad\b"))
        expect(reprint_button(page)).to_be_visible()
        expect(reprint_button(page)).to_be_enabled()
        # the ticket is issued and waits whatever the printer did
        ticket = api.get(f"/api/halls/demo/tickets/{ticket_id}").json()
        assert (ticket["number"], ticket["state"]) == (number, "waiting")
        page.screenshot(path=artifacts / "kiosk-print-failed.png")

        stand_in = PrinterStandIn(port=port)  # the printer is back
        try:
            reprint_button(page).click()
            expect(status).to_have_text("请取走凭条 Please take your slip")
            expect(status).to_have_class(re.compile(r"\bok\b"))
            expect(status).not_to_have_class(re.compile(r"\bbad\b"))
            expect(reprint_button(page)).to_be_hidden()
            expect(page.locator("#result-number")).to_have_text(number)  # the same ticket, not a new one
            [slip] = stand_in.wait_for(1)
        finally:
            stand_in.close()
        printout = decode(slip)
        assert printout.line_with(number).bold
        [qr] = printout.qr_codes
        assert qr.payload == f"{server.url}/halls/demo/tickets/{ticket_id}?k={slip_rating_key(page)}"
        assert ticket_id in (page.locator("#result-qr").get_attribute("src") or "")
        page.screenshot(path=artifacts / "kiosk-printed.png")
        # one ticket only: the reprint did not issue another
        assert api.get("/api/halls/demo/queue").json()["waiting"] == 1
        assert api.get(f"/api/halls/demo/tickets/{ticket_id}", headers=KIOSK).json()["number"] == number


def test_a_slip_printed_at_once_says_take_your_slip(tmp_path: Path, new_page, printer: PrinterStandIn) -> None:
    with serve(tmp_path, network_printer(printer.port)) as server:
        page = kiosk(new_page, server)
        number, ticket_id = take_ticket(page)
        status = print_state(page)
        expect(status).to_have_text("请取走凭条 Please take your slip")
        expect(status).to_have_class(re.compile(r"\bok\b"))
        expect(reprint_button(page)).to_be_hidden()
        [slip] = printer.wait_for(1)
        printout = decode(slip)
        assert printout.line_with(number).width >= 4
        assert printout.qr_codes[0].payload.endswith(f"/{ticket_id}?k={slip_rating_key(page)}")


def test_the_status_page_of_a_ticket_links_its_pdf(tmp_path: Path, new_page, printer: PrinterStandIn) -> None:
    with serve(tmp_path, network_printer(printer.port)) as server:
        page = kiosk(new_page, server)
        number, ticket_id = take_ticket(page)
        key = slip_rating_key(page)
        page.goto(page.locator("#result-link").inner_text())  # as a phone that scanned the QR code would
        expect(page).to_have_url(f"{server.url}/halls/demo/tickets/{ticket_id}?k={key}")
        expect(page.locator("#t-number")).to_have_text(number)
        pdf_link = page.locator("#t-pdf")
        expect(pdf_link).to_be_visible()
        expect(pdf_link).to_have_text(re.compile("PDF"))
        href = pdf_link.get_attribute("href")
        assert href == f"/api/halls/demo/tickets/{ticket_id}/slip.pdf?k={key}"  # its QR code with the key
        answer = page.request.get(server.url + href)
        assert answer.status == 200, answer.text()
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.body().startswith(b"%PDF-")
