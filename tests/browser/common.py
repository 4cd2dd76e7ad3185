"""What the browser tests share: Debian's Chromium and how it is started, the screens' sizes, the
demo hall's device tokens, and helpers that look at a page or drive the hall through the API.

The fixtures that use these (the browser, pages, ``hall serve``, screenshots) are in ``conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KIOSK_AUTH = {"Authorization": "Bearer demo-kiosk-token"}
PAD_TOKEN = "demo-pad-1-token"  # counter 1's
PAD_AUTH = {"Authorization": f"Bearer {PAD_TOKEN}"}
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=5_000)


@dataclass(frozen=True)
class Shots:
    """Where the ``shot`` fixture saves a screenshot, and how; a module that takes any says so."""

    # test-artifacts/<folder>/<test>--<label>.png; without a folder, test-artifacts/<label>.png
    folder: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # for page.screenshot


# ---------------------------------------------------------------- the API


def staff_login(api: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = api.post("/api/auth/login", json={"hall": "demo", "username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["token"]}


def act(api: httpx.Client, auth: dict[str, str], counter: int, action: str, **body) -> dict:
    response = api.post(f"/api/halls/demo/counters/{counter}/{action}", json=body or None, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------- pages


def contrast_of(foreground: str, background: str) -> float:
    """WCAG contrast of two CSS rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def log_in(page: Page, username: str, password: str) -> None:
    expect(page.locator("#login")).to_be_visible()
    page.get_by_placeholder("用户名 username").fill(username)
    page.get_by_placeholder("密码 password").fill(password)
    page.get_by_role("button", name="登录 Sign in").click()


def pause_clock(page: Page, at: dt.datetime | None = None) -> None:
    """Fake timers, paused: the page's timers run only when the test moves the clock on (``run_for``)."""
    start = at or dt.datetime.now(dt.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + dt.timedelta(seconds=1))


def wait_for(page: Page, condition: str, timeout: float = 5_000) -> None:
    """Until the expression ``condition`` holds on the page. Given to Playwright as a function: a
    bare expression is evaluated again at each poll as a string, which the pages' CSP refuses."""
    page.wait_for_function(f"() => ({condition})", polling=50, timeout=timeout)


def inside_viewport(page: Page, locator: Locator) -> None:
    """The element is shown whole, without scrolling."""
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    size = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, (locator, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (locator, box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (locator, box, size)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide in a {page.viewport_size} viewport"


def fits_without_scrolling(page: Page) -> None:
    size = page.evaluate(
        """() => ({width: innerWidth, height: innerHeight,
                   scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
                   scrollHeight: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)})"""
    )
    assert size["scrollWidth"] <= size["width"] and size["scrollHeight"] <= size["height"], size


# ---------------------------------------------------------------- the ticket machine


def item_button(page: Page, code: str) -> Locator:
    return page.locator(f'.item-btn[data-item="{code}"]')


def overlay(page: Page) -> Locator:
    return page.locator("#result")


def slip_ticket_id(page: Page) -> str:
    """The ticket's id, read from the status address on the slip (text, not a link: a kiosk stays put)."""
    return _slip_link(page).group(1)


def slip_rating_key(page: Page) -> str:
    """The ticket's rating key (评价码), the ``k`` of the status address on the slip."""
    return _slip_link(page).group(2)


def _slip_link(page: Page) -> re.Match[str]:
    link = page.locator("#result-link").inner_text()
    match = re.search(r"/halls/demo/tickets/([\w-]+)\?k=([\w-]{16})$", link or "")
    assert match, link
    return match
