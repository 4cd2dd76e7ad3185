"""The manager's 审计日志 page in a real browser: the trail searched, sign-ins and changes with
who, when and from where, personal data masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.browser.common import log_in
from tests.support import SHANGHAI, Server


def test_the_manager_searches_the_audit_trail(
    new_page: Callable[..., Page], server: Server, api: httpx.Client, manager: dict[str, str], shot
) -> None:
    wrong = {"hall": "demo", "username": "lina", "password": "not-her-password"}
    assert api.post("/api/auth/login", json=wrong).status_code == 401
    tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date().isoformat()
    api.post(
        "/api/halls/demo/appointments/cancel-slots",
        json={"date": tomorrow, "reason": "停电，请致电 13812345678"},
        headers=manager,
    )

    page = new_page({"width": 1366, "height": 768})
    page.goto(f"{server.url}/halls/demo/manage/audit")
    expect(page.locator("#work")).to_be_hidden()
    log_in(page, "manager", "demo-manager")
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_contain_text("auth.login")  # the page's own sign-in, newest first
    cancelled = rows.filter(has_text="cancel-slots")
    expect(cancelled).to_contain_text("王海（manager）")
    expect(cancelled).to_contain_text("127.0.0.1")
    expect(cancelled).to_contain_text("138****5678")
    expect(page.locator("#audit")).not_to_contain_text("13812345678")

    page.locator("#audit-action").select_option("auth.")
    page.locator("#audit-outcome").select_option("401")
    page.get_by_role("button", name="查询 Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lina")
    expect(rows.first).to_contain_text("wrong hall, username or password")
    expect(page.locator("#audit")).not_to_contain_text("not-her-password")
    expect(page.locator("#audit-summary")).to_have_text("1 条 entries")
    shot(page, "manage-audit")

    page.locator("#audit-actor").fill("nobody")
    page.get_by_role("button", name="查询 Search").click()
    expect(page.locator("#no-audit")).to_be_visible()
