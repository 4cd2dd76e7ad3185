"""The HTTP API, operation by operation and refusal by refusal, on the real app (SQLite).

Every refusal is checked for its status, its message in both languages, and that it
recorded nothing (the hall's sequence number does not move).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.support import Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
SMALL_KIOSK = {"Authorization": "Bearer small-kiosk-token"}


def seq(client: TestClient, hall: str = "demo") -> int:
    return client.get(f"/api/halls/{hall}/queue").json()["seq"]


def issue(client: TestClient, item: str = "SB01", hall: str = "demo", headers=KIOSK, **body) -> dict:
    response = client.post(f"/api/halls/{hall}/tickets", json={"item": item, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def refused(client: TestClient, status: int, method: str, path: str, hall: str = "demo", **kwargs) -> dict:
    """Send a request that must be refused; check it said why and recorded nothing."""
    before = seq(client, hall)
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and body["detail_zh"] and body["status_code"] == status, body
    assert seq(client, hall) == before, "a refused request recorded something"
    return body


@pytest.fixture
def clerk(client: TestClient) -> dict[str, str]:
    """zhangwei, signed in and open at counter 1 of the demo hall."""
    headers = login(client, "zhangwei", "demo-staff")
    assert client.post("/api/halls/demo/counters/1/sign-in", headers=headers).status_code == 200
    assert client.post("/api/halls/demo/counters/1/open", headers=headers).status_code == 200
    return headers


@pytest.fixture
def manager(client: TestClient) -> dict[str, str]:
    return login(client, "manager", "demo-manager")


# ---------------------------------------------------------------- signing in


def test_login_gives_a_token_for_the_staff_member(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"hall": "demo", "username": "lina", "password": "demo-staff"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "李娜" and body["role"] == "staff" and body["token"].startswith("st1.")


@pytest.mark.parametrize(
    ("hall", "username", "password"),
    [("demo", "lina", "wrong"), ("demo", "nobody", "demo-staff"), ("small", "lina", "demo-staff")],
)
def test_login_refused(client: TestClient, hall: str, username: str, password: str) -> None:
    response = client.post("/api/auth/login", json={"hall": hall, "username": username, "password": password})
    assert response.status_code == 401
    assert response.json()["detail_zh"] == "用户名或密码错误"


def test_changes_need_a_token(client: TestClient) -> None:
    refused(client, 401, "POST", "/api/halls/demo/tickets", json={"item": "SB01"})
    refused(client, 401, "POST", "/api/halls/demo/counters/1/call-next")
    refused(client, 401, "POST", "/api/halls/demo/counters/1/call-next", headers={"Authorization": "Bearer forged"})


def test_a_device_token_issues_but_does_not_operate_counters(client: TestClient) -> None:
    issue(client)
    body = refused(client, 403, "POST", "/api/halls/demo/counters/1/call-next", headers=KIOSK)
    assert "staff token" in body["detail"]


def test_tokens_are_scoped_to_their_hall(client: TestClient) -> None:
    refused(client, 403, "POST", "/api/halls/small/tickets", hall="small", json={"item": "SW01"}, headers=KIOSK)
    staff = login(client, "zhangwei", "demo-staff")
    refused(client, 403, "POST", "/api/halls/small/counters/1/sign-in", hall="small", headers=staff)


def test_a_staff_token_expires_after_its_shift(client: TestClient, clock: Clock) -> None:
    staff = login(client, "zhangwei", "demo-staff")
    assert client.post("/api/halls/demo/counters/1/sign-in", headers=staff).status_code == 200
    clock.advance(hours=12, minutes=1)
    refused(client, 401, "POST", "/api/halls/demo/counters/1/open", headers=staff)


# ---------------------------------------------------------------- tickets


def test_issue_a_ticket(client: TestClient, clock: Clock) -> None:
    ticket = issue(client, "QY01")
    assert ticket["number"] == "A001" and ticket["item"] == "QY01" and ticket["item_name"] == "企业设立登记"
    assert ticket["state"] == "waiting" and ticket["people_ahead"] == 0
    # 9:00 and no counter staffed yet: no minutes are made up, and nothing else opens today
    assert ticket["estimated_wait_minutes"] is None and ticket["opens_at"] is None
    assert ticket["counters"] == [1, 2, 3, 4, 5, 6, 7]  # where it may be called: every counter for QY01
    assert dt.datetime.fromisoformat(ticket["issued_at"]) == clock.now
    assert len(ticket["id"]) >= 16
    second = issue(client, "QY02")
    assert second["number"] == "A002" and second["people_ahead"] == 1
    manager = login(client, "admin", "demo-admin")
    assert client.post("/api/halls/demo/counters/1/open", headers=manager).status_code == 200
    now = client.get(f"/api/halls/demo/tickets/{second['id']}").json()
    assert now["estimated_wait_minutes"] > 0 and now["counters"] == [1]


def test_reception_desk_issues_with_a_staff_token(client: TestClient) -> None:
    ticket = issue(client, "SB01", headers=login(client, "lina", "demo-staff"), priority="green")
    assert ticket["priority"] == "green"


def test_the_same_idempotency_key_gives_the_same_ticket(client: TestClient) -> None:
    first = issue(client, "SB01", idempotency_key="tap-1")
    again = issue(client, "SB01", idempotency_key="tap-1")
    assert again["id"] == first["id"] and again["number"] == "B001"
    assert client.get("/api/halls/demo/queue").json()["waiting"] == 1
    body = refused(
        client, 422, "POST", "/api/halls/demo/tickets", json={"item": "SB02", "idempotency_key": "tap-1"}, headers=KIOSK
    )
    assert "already used" in body["detail"]


def test_issue_refusals(client: TestClient) -> None:
    body = refused(client, 422, "POST", "/api/halls/demo/tickets", json={"item": "NOPE"}, headers=KIOSK)
    assert body["detail_zh"] == "事项 NOPE 不存在"
    refused(client, 400, "POST", "/api/halls/demo/tickets", json={"priority": "green"}, headers=KIOSK)
    refused(client, 400, "POST", "/api/halls/demo/tickets", json={"item": "SB01", "priority": "vip"}, headers=KIOSK)
    refused(client, 404, "POST", "/api/halls/nowhere/tickets", json={"item": "SB01"}, headers=KIOSK)


def test_numbers_stop_at_the_daily_cap(client: TestClient) -> None:
    numbers = [issue(client, "MZ01", hall="small", headers=SMALL_KIOSK)["number"] for _ in range(3)]
    assert numbers == ["M001", "M002", "M003"]
    body = refused(
        client, 409, "POST", "/api/halls/small/tickets", hall="small", json={"item": "MZ01"}, headers=SMALL_KIOSK
    )
    assert "daily cap is 3" in body["detail"] and "已取完" in body["detail_zh"]
    # Another group of the same hall is not affected, nor a failed request leaves a gap.
    assert issue(client, "SW01", hall="small", headers=SMALL_KIOSK)["number"] == "S001"


def test_tickets_only_in_issuing_hours(client: TestClient, clock: Clock) -> None:
    # The clock only moves forward (the record's times never run backwards).
    clock.now = clock.now.replace(day=24, hour=10)  # Tuesday 24 November: a closed date in the small hall
    body = refused(
        client, 409, "POST", "/api/halls/small/tickets", hall="small", json={"item": "SW01"}, headers=SMALL_KIOSK
    )
    assert "does not issue tickets today" in body["detail"] and "不办公" in body["detail_zh"]
    clock.now = clock.now.replace(day=25, hour=8, minute=20)  # Wednesday: opens 9:00, tickets from 8:30 to 16:30
    body = refused(
        client, 409, "POST", "/api/halls/small/tickets", hall="small", json={"item": "SW01"}, headers=SMALL_KIOSK
    )
    assert "08:30 to 16:30" in body["detail"] and "08:30-16:30" in body["detail_zh"]
    clock.now = clock.now.replace(hour=8, minute=30)
    assert issue(client, "SW01", hall="small", headers=SMALL_KIOSK)["number"] == "S001"
    clock.now = clock.now.replace(hour=16, minute=30)
    refused(client, 409, "POST", "/api/halls/small/tickets", hall="small", json={"item": "SW01"}, headers=SMALL_KIOSK)


def test_a_new_day_starts_numbering_again_and_expires_yesterday(client: TestClient, clock: Clock) -> None:
    old = issue(client, "SB01")
    clock.advance(days=1)
    new = issue(client, "SB01")
    assert new["number"] == "B001"
    yesterday = client.get(f"/api/halls/demo/tickets/{old['id']}").json()
    assert yesterday["state"] == "expired" and yesterday["number"] == "B001"


def test_ticket_status_json_and_page(client: TestClient, clerk: dict) -> None:
    ticket = issue(client, "SB01")
    status = client.get(f"/api/halls/demo/tickets/{ticket['id']}").json()
    assert status["state"] == "waiting" and status["people_ahead"] == 0
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    status = client.get(f"/api/halls/demo/tickets/{ticket['id']}").json()
    assert status["state"] == "called" and status["counter"] == 1 and status["counter_name"] == "1号 无差别综合窗口"
    page = client.get(f"/halls/demo/tickets/{ticket['id']}")
    assert page.status_code == 200 and "B001" in page.text and "1号 无差别综合窗口" in page.text
    assert client.get("/api/halls/demo/tickets/nope").status_code == 404
    assert client.get("/halls/demo/tickets/nope").status_code == 404


def test_queue_snapshot(client: TestClient, clerk: dict) -> None:
    issue(client, "SB01")
    issue(client, "SB02")
    issue(client, "QY01")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    queue = client.get("/api/halls/demo/queue").json()
    assert queue["waiting"] == 2
    groups = {g["prefix"]: g["waiting"] for g in queue["groups"]}
    assert groups["A"] == 1 and groups["B"] == 1
    items = {i["code"]: i["waiting"] for i in queue["items"]}
    assert items["SB02"] == 1 and items["QY01"] == 1 and items["SB01"] == 0
    counter = next(c for c in queue["counters"] if c["number"] == 1)
    assert counter["state"] == "open" and counter["staff"] == "zhangwei"
    assert counter["current"]["number"] == "B001" and counter["waiting"] == 2
    assert next(c for c in queue["counters"] if c["number"] == 13)["waiting"] == 0


# ---------------------------------------------------------------- the virtual caller


def test_a_service_from_call_to_completion(client: TestClient, clerk: dict, clock: Clock) -> None:
    ticket = issue(client, "SB01")
    called = client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    assert called.status_code == 200 and called.json()["number"] == "B001" and called.json()["state"] == "called"
    clock.advance(minutes=1)
    recall = client.post("/api/halls/demo/counters/1/recall", headers=clerk, json={"ticket": ticket["id"]})
    assert recall.status_code == 200 and recall.json()["ticket"]["recalls"] == 1
    start = client.post("/api/halls/demo/counters/1/start", headers=clerk)
    assert start.json()["ticket"]["state"] == "serving"
    clock.advance(minutes=9)
    done = client.post("/api/halls/demo/counters/1/complete", headers=clerk)
    assert done.status_code == 200
    assert done.json()["ticket"]["state"] == "completed" and done.json()["counter"]["current"] is None
    nothing = client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    assert nothing.status_code == 204 and nothing.content == b""


def test_recall_limit(client: TestClient, clerk: dict) -> None:
    issue(client)
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    for _ in range(2):
        assert client.post("/api/halls/demo/counters/1/recall", headers=clerk).status_code == 200
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/recall", headers=clerk)
    assert "recalled 2 times, the limit" in body["detail"]


def test_no_show_and_reinstate_within_grace(client: TestClient, clerk: dict, clock: Clock) -> None:
    first = issue(client)
    issue(client)
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    missed = client.post("/api/halls/demo/counters/1/no-show", headers=clerk)
    assert missed.json()["ticket"]["state"] == "no_show"
    listed = client.get("/api/halls/demo/tickets?state=no_show&counter=1", headers=clerk).json()
    assert [t["number"] for t in listed] == ["B001"]
    clock.advance(minutes=5)
    back = client.post(f"/api/halls/demo/tickets/{first['id']}/reinstate", headers=clerk)
    assert back.status_code == 200 and back.json()["state"] == "waiting"
    # The demo hall puts it 3 places behind the head; only B002 waits, so it goes behind B002.
    assert back.json()["people_ahead"] == 1
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    client.post("/api/halls/demo/counters/1/complete", headers=clerk)
    assert client.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()["number"] == "B001"
    client.post("/api/halls/demo/counters/1/no-show", headers=clerk)
    clock.advance(minutes=31)
    body = refused(client, 409, "POST", f"/api/halls/demo/tickets/{first['id']}/reinstate", headers=clerk)
    assert "more than 30 minutes" in body["detail"]


def test_transfer_one_ticket_to_the_end(client: TestClient, clerk: dict, manager: dict) -> None:
    client.post("/api/halls/demo/counters/9/open", headers=manager)
    ticket = issue(client, "SB01")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    moved = client.post("/api/halls/demo/counters/1/transfer", headers=clerk, json={"item": "GJ01", "counter": 9})
    assert moved.status_code == 200
    assert moved.json()["ticket"]["number"] == "B001" and moved.json()["ticket"]["item"] == "GJ01"
    assert moved.json()["ticket"]["transferred_to_counter"] == 9
    status = client.get(f"/api/halls/demo/tickets/{ticket['id']}").json()
    assert status["state"] == "waiting" and status["transferred_to_counter"] == 9


def test_the_clerks_desk_and_calling_a_number(client: TestClient, clerk: dict, manager: dict, clock: Clock) -> None:
    first, second = issue(client, "SB01"), issue(client, "SB02", priority="green", headers=manager)
    third = issue(client, "SB01")
    refused(client, 401, "GET", "/api/halls/demo/counters/1/desk")  # the note and the list are for staff
    desk = client.get("/api/halls/demo/counters/1/desk", headers=clerk).json()
    assert [(t["number"], t["priority"]) for t in desk["next_up"]] == [
        (second["number"], "green"), (first["number"], "walk_in"), (third["number"], "walk_in")
    ]  # fmt: skip
    assert desk["waiting"] == 3 and desk["current"] is None and "id" not in desk["next_up"][0]
    assert {c["number"] for c in desk["counters"]} == set(range(2, 15))  # every other counter
    called = client.post("/api/halls/demo/counters/1/call", headers=clerk, json={"ticket": third["number"]})
    assert called.status_code == 200 and called.json()["ticket"]["number"] == third["number"]
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/call", headers=clerk, json={"ticket": "B001"})
    assert "当前还有" in body["detail_zh"]
    client.post("/api/halls/demo/counters/9/open", headers=manager)
    sent = {"counter": 9, "item": "GJ01", "note": "社保已办，转公积金提取，电话13812345678"}
    assert client.post("/api/halls/demo/counters/1/transfer", headers=clerk, json=sent).status_code == 200
    there = client.get("/api/halls/demo/counters/9/desk", headers=manager).json()["next_up"]
    assert [(t["number"], t["transferred_from"], t["transfer_note"]) for t in there] == [
        (third["number"], 1, "社保已办，转公积金提取，电话138****5678")  # a phone typed in is masked
    ]
    refused(client, 400, "POST", "/api/halls/demo/counters/1/call", headers=clerk, json={"ticket": ""})
    refused(client, 404, "POST", "/api/halls/demo/counters/1/call", headers=clerk, json={"ticket": "Q999"})
    pause = {"reason": "午休", "back_in_minutes": 45}
    paused = client.post("/api/halls/demo/counters/1/pause", headers=clerk, json=pause).json()["counter"]
    assert paused["pause_reason"] == "午休"
    assert dt.datetime.fromisoformat(paused["pause_back_at"]) == clock.now + dt.timedelta(minutes=45)


def test_a_tickets_history_for_the_service_desk(client: TestClient, clerk: dict) -> None:
    ticket = issue(client, "SB01")
    client.post("/api/halls/demo/counters/1/call", headers=clerk, json={"ticket": ticket["number"]})
    client.post("/api/halls/demo/counters/1/transfer", headers=clerk, json={"item": "SB02", "note": "换办社保卡"})
    refused(client, 401, "GET", f"/api/halls/demo/tickets/{ticket['id']}/history")
    refused(client, 404, "GET", "/api/halls/demo/tickets/nope/history", headers=clerk)
    steps = client.get(f"/api/halls/demo/tickets/{ticket['id']}/history", headers=clerk).json()
    assert [(s["label"], s["counter"], s["actor"]) for s in steps] == [
        ("取号", None, "kiosk-1"), ("指定叫号", 1, "zhangwei"), ("转移", 1, "zhangwei")
    ]  # fmt: skip
    assert steps[2]["note"] == "转为社会保障卡申领；换办社保卡"  # the item by its name


def test_the_desk_moves_a_waiting_ticket(client: TestClient, clerk: dict) -> None:
    ticket = issue(client, "QY01")
    path = f"/api/halls/demo/tickets/{ticket['id']}/move"
    refused(client, 401, "POST", path, json={"item": "SB02"})
    refused(client, 403, "POST", path, headers=KIOSK, json={"item": "SB02"})
    assert refused(client, 422, "POST", path, headers=clerk, json={"item": "XX99"})["detail_zh"] == "事项 XX99 不存在"
    refused(client, 422, "POST", path, headers=clerk, json={"item": "QY01"})  # nothing would change
    refused(client, 400, "POST", path, headers=clerk, json={"item": "SB02", "counter": 8})  # not a field
    moved = client.post(path, headers=clerk, json={"item": "SB02", "to_counter": 1, "note": "走错事项"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["number"], body["item"], body["state"], body["transferred_to_counter"]) == (
        ticket["number"], "SB02", "waiting", 1
    )  # fmt: skip
    steps = client.get(f"/api/halls/demo/tickets/{ticket['id']}/history", headers=clerk).json()
    assert (steps[-1]["label"], steps[-1]["note"]) == ("改派", "转为社会保障卡申领，转到1号窗口；走错事项")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    refused(client, 409, "POST", path, headers=clerk, json={"item": "SB01"})  # at the counter now


def test_transfer_refusals(client: TestClient, clerk: dict) -> None:
    issue(client)
    refused(client, 409, "POST", "/api/halls/demo/counters/1/transfer", headers=clerk, json={"item": "SB02"})
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    body = refused(client, 422, "POST", "/api/halls/demo/counters/1/transfer", headers=clerk, json={"item": "XX99"})
    assert body["detail_zh"] == "事项 XX99 不存在"
    refused(client, 422, "POST", "/api/halls/demo/counters/1/transfer", headers=clerk, json={"counter": 99})
    refused(client, 422, "POST", "/api/halls/demo/counters/1/transfer", headers=clerk, json={})
    refused(client, 409, "POST", "/api/halls/demo/counters/1/transfer", headers=clerk, json={"counter": 5})  # closed


def test_suspend_and_resume_at_the_same_counter(client: TestClient, clerk: dict) -> None:
    issue(client, "SB01")
    issue(client, "SB02")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    client.post("/api/halls/demo/counters/1/start", headers=clerk)
    parked = client.post("/api/halls/demo/counters/1/suspend", headers=clerk).json()
    assert parked["ticket"]["state"] == "suspended"
    assert [t["number"] for t in parked["counter"]["suspended"]] == ["B001"]
    # The counter serves someone else meanwhile.
    assert client.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()["number"] == "B002"
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/resume", headers=clerk)
    assert "B002" in body["detail"]
    client.post("/api/halls/demo/counters/1/complete", headers=clerk)
    resumed = client.post("/api/halls/demo/counters/1/resume", headers=clerk, json={"ticket": "B001"})
    assert resumed.json()["ticket"]["state"] == "serving" and resumed.json()["counter"]["suspended"] == []
    other = login(client, "lina", "demo-staff")
    client.post("/api/halls/demo/counters/2/sign-in", headers=other)
    client.post("/api/halls/demo/counters/2/open", headers=other)
    refused(client, 409, "POST", "/api/halls/demo/counters/2/resume", headers=other, json={"ticket": "B001"})


def test_pause_reopen_and_close(client: TestClient, clerk: dict) -> None:
    issue(client)
    paused = client.post("/api/halls/demo/counters/1/pause", headers=clerk, json={"reason": "meeting"})
    assert paused.json()["counter"]["state"] == "paused" and paused.json()["counter"]["pause_reason"] == "meeting"
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/call-next", headers=clerk)
    assert body["detail_zh"].startswith("1号窗口暂停服务")
    client.post("/api/halls/demo/counters/1/open", headers=clerk)
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/close", headers=clerk)
    assert "complete or transfer it before closing" in body["detail"]
    client.post("/api/halls/demo/counters/1/complete", headers=clerk)
    assert client.post("/api/halls/demo/counters/1/close", headers=clerk).json()["counter"]["state"] == "closed"
    refused(client, 409, "POST", "/api/halls/demo/counters/1/close", headers=clerk)
    refused(client, 409, "POST", "/api/halls/demo/counters/1/pause", headers=clerk)


def test_illegal_steps_are_refused(client: TestClient, clerk: dict) -> None:
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/complete", headers=clerk)
    assert body["detail"] == "counter 1 has no current ticket to complete"
    refused(client, 409, "POST", "/api/halls/demo/counters/1/start", headers=clerk)
    refused(client, 409, "POST", "/api/halls/demo/counters/1/no-show", headers=clerk)
    refused(client, 404, "POST", "/api/halls/demo/counters/99/call-next", headers=clerk)
    refused(client, 404, "POST", "/api/halls/demo/counters/1/dance", headers=clerk)
    issue(client)
    issue(client)
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    client.post("/api/halls/demo/counters/1/start", headers=clerk)
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/no-show", headers=clerk)
    assert body["detail"] == "ticket B001 is serving: it cannot no-show"
    refused(client, 409, "POST", "/api/halls/demo/counters/1/recall", headers=clerk)
    # A stale screen showing another ticket cannot complete this one.
    body = refused(client, 409, "POST", "/api/halls/demo/counters/1/complete", headers=clerk, json={"ticket": "B002"})
    assert "on ticket B001, not B002" in body["detail"]


def test_a_clerk_acts_only_where_signed_in(client: TestClient, clerk: dict) -> None:
    other = login(client, "lina", "demo-staff")
    body = refused(client, 403, "POST", "/api/halls/demo/counters/1/call-next", headers=other)
    assert "signed in by zhangwei" in body["detail"]
    refused(client, 403, "POST", "/api/halls/demo/counters/2/open", headers=other)
    refused(client, 409, "POST", "/api/halls/demo/counters/1/sign-in", headers=other)
    refused(client, 409, "POST", "/api/halls/demo/counters/2/sign-in", headers=clerk)  # already at counter 1
    refused(client, 403, "POST", "/api/halls/demo/counters/1/sign-out", headers=other)


def test_sign_out_pauses_an_open_counter(client: TestClient, clerk: dict) -> None:
    out = client.post("/api/halls/demo/counters/1/sign-out", headers=clerk).json()
    assert out["counter"]["staff"] is None and out["counter"]["state"] == "paused"
    assert out["counter"]["pause_reason"] == "signed_out"


def test_a_manager_acts_at_any_counter(client: TestClient, manager: dict) -> None:
    issue(client)
    assert client.post("/api/halls/demo/counters/4/open", headers=manager).status_code == 200
    assert client.post("/api/halls/demo/counters/4/call-next", headers=manager).json()["number"] == "B001"


def test_manager_reconfigures_a_counter(client: TestClient, manager: dict, clerk: dict) -> None:
    issue(client, "SW01")
    issue(client, "SB01")
    body = refused(client, 403, "PATCH", "/api/halls/demo/counters/1", headers=clerk, json={"kind": "pickup"})
    assert "manager" in body["detail"]
    changed = client.patch(
        "/api/halls/demo/counters/1", headers=manager, json={"kind": "domain", "domains": ["social"]}
    )
    assert changed.status_code == 200 and changed.json()["items"] == ["SB01", "SB02", "SB03", "SB04"]
    assert client.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()["number"] == "B001"
    refused(client, 422, "PATCH", "/api/halls/demo/counters/1", headers=manager, json={"domains": ["nope"]})
    refused(client, 422, "PATCH", "/api/halls/demo/counters/1", headers=manager, json={"profile": "nope"})
    refused(client, 400, "PATCH", "/api/halls/demo/counters/1", headers=manager, json={"kind": "vip"})
    refused(client, 404, "PATCH", "/api/halls/demo/counters/77", headers=manager, json={"name": "x"})


def test_counters_listing_and_openapi(client: TestClient) -> None:
    counters = client.get("/api/halls/demo/counters").json()
    assert len(counters) == 14 and {c["kind"] for c in counters} == {
        "no_difference",
        "domain",
        "cross_province",
        "pickup",
    }
    assert client.get("/api/halls/demo/counters/13").json()["items"] == ["KS01", "KS02"]
    spec = client.get("/api/docs/openapi.json").json()
    for path in (
        "/api/halls/{hall}/tickets",
        "/api/halls/{hall}/tickets/{ticket_id}",
        "/api/halls/{hall}/queue",
        "/api/halls/{hall}/counters/{counter}/call-next",
        "/api/halls/{hall}/counters/{counter}/{action}",
        "/api/halls/{hall}/counters/{counter}",
        "/api/auth/login",
    ):
        assert path in spec["paths"], path
    # Every operation lists the refusals it can answer with, each with the one error body.
    issue_op = spec["paths"]["/api/halls/{hall}/tickets"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422"} <= set(issue_op)
    body = issue_op["409"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ErrorBody")
    error = spec["components"]["schemas"]["ErrorBody"]
    assert {"status_code", "error", "detail", "detail_zh"} <= set(error["required"])
    assert set(spec["paths"]["/api/halls/{hall}/queue"]["get"]["responses"]) >= {"200", "400", "404"}
    assert "429" in spec["paths"]["/api/auth/login"]["post"]["responses"]
    assert "429" in spec["paths"]["/api/halls/{hall}/appointments"]["post"]["responses"]  # bounded per address
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert {"400", "503"} <= set(operation["responses"]), (method, path)
    # What schemathesis found missing (tests/test_schemathesis.py): a wrong password's 401, a
    # hall named in the query, a query value refused (422), the files' types and dates.
    paths = spec["paths"]
    assert "401" in paths["/api/auth/login"]["post"]["responses"]
    assert {"404", "422"} <= set(paths["/api/stats"]["get"]["responses"])
    assert "422" in paths["/api/halls/{hall}/audit"]["get"]["responses"]
    formats = {
        ("/api/halls/{hall}/tickets/{ticket_id}/slip.pdf", "get"): {"application/pdf"},
        ("/api/halls/{hall}/stats/report.pdf", "get"): {"application/pdf"},
        ("/api/halls/{hall}/stats/charts/{chart}", "get"): {"image/svg+xml"},
        ("/api/halls/{hall}/planning/chart.svg", "post"): {"image/svg+xml"},
        ("/api/halls/{hall}/stats/export", "get"): {
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    }
    for (path, method), kinds in formats.items():
        assert set(paths[path][method]["responses"]["200"]["content"]) == kinds, path
    modified = paths["/api/halls/{hall}/stats/report.pdf"]["get"]["responses"]["200"]["headers"]["last-modified"]
    assert modified["schema"] == {"type": "string"}  # an HTTP date, not an ISO date-time
    chart = spec["components"]["schemas"]["ChartRequest"]["properties"]["results"]
    assert (chart["minItems"], chart["maxItems"]) == (1, 4)


def test_halls_are_separate(client: TestClient) -> None:
    assert {h["id"] for h in client.get("/api/halls").json()} == {"demo", "small"}
    issue(client, "SB01")
    issue(client, "SW01", hall="small", headers=SMALL_KIOSK)
    assert client.get("/api/halls/demo/queue").json()["waiting"] == 1
    assert client.get("/api/halls/small/queue").json()["waiting"] == 1
    info = client.get("/api/halls/small").json()
    assert info["name"] == "小型测试大厅" and [i["code"] for i in info["items"]] == ["MZ01", "SW01", "KS01", "PK01"]


def test_pages_render(client: TestClient) -> None:
    for path, text in (
        ("/", "示范区政务服务中心"),
        ("/halls/demo/kiosk", "企业设立登记"),
        ("/halls/demo/counters", "14号 统一出件窗口"),
        ("/halls/demo/counters/3", "3号 无差别综合窗口"),
    ):
        response = client.get(path)
        assert response.status_code == 200 and text in response.text, path


def test_public_views_show_numbers_never_ticket_ids(client: TestClient, clerk: dict) -> None:
    ticket = issue(client, "SB01")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    client.post("/api/halls/demo/counters/1/suspend", headers=clerk)
    issue(client, "SB02")
    client.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    for path in ("/api/halls/demo/queue", "/api/halls/demo/counters", "/api/halls/demo/counters/1"):
        text = client.get(path).text
        assert ticket["id"] not in text and "B001" in text, path  # the id on the slip is its key


def test_odd_tokens_are_refused_not_crashed_on(client: TestClient) -> None:
    for token in ("st1.abc.é", "st1.." + "x" * 500, "é", "st1.eyJ9.AAAA"):
        body = refused(
            client,
            401,
            "POST",
            "/api/halls/demo/tickets",
            json={"item": "SB01"},
            headers={"Authorization": ("Bearer " + token).encode()},  # raw UTF-8 bytes on the wire
        )
        assert body["error"] == "not_signed_in"


def test_password_guessing_is_slowed_down(client: TestClient, clock: Clock) -> None:
    guess = {"hall": "demo", "username": "admin", "password": "guess"}
    for _ in range(5):
        assert client.post("/api/auth/login", json=guess).status_code == 401
    blocked = client.post("/api/auth/login", json={**guess, "password": "demo-admin"})
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.json()["detail_zh"]
    clock.advance(minutes=16)
    assert client.post("/api/auth/login", json={**guess, "password": "demo-admin"}).status_code == 200


def test_every_client_error_has_both_languages(client: TestClient) -> None:
    for method, path, kwargs, status in (
        ("GET", "/api/halls/demo/nothing-here", {}, 404),
        ("POST", "/api/halls/demo/tickets", {"json": {"item": ""}, "headers": KIOSK}, 400),
        ("POST", "/api/halls/demo/tickets", {"content": b"{not json", "headers": KIOSK}, 400),
        ("DELETE", "/api/halls/demo/queue", {}, 405),
    ):
        response = client.request(method, path, **kwargs)
        body = response.json()
        assert response.status_code == status and body["detail"] and body["detail_zh"], (path, body)


def test_errors_are_pages_for_browsers_and_json_for_programs(client: TestClient, monkeypatch) -> None:
    page = client.get("/halls/demo/tickets/nope", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有找到该号" in page.text and "&lt;" not in page.text
    program = client.get("/halls/demo/tickets/nope", headers={"Accept": "application/json, text/html;q=0.1"})
    assert program.status_code == 404 and program.json()["detail_zh"] == "没有找到该号"
    escaped = client.get("/halls/demo/tickets/<i>x", headers={"Accept": "text/html"})
    assert "<i>x" not in escaped.text and "&lt;i&gt;x" in escaped.text  # what was typed, escaped

    def broken(name: str) -> None:
        raise RuntimeError("no templates today")

    monkeypatch.setattr(client.app.template_engine, "get_template", broken)
    fallback = client.get("/halls/demo/tickets/nope", headers={"Accept": "text/html"})
    assert fallback.status_code == 404 and fallback.json()["detail_zh"] == "没有找到该号"  # still an answer


def test_a_typed_pause_reason_is_masked_where_the_public_reads_it(client: TestClient, manager: dict) -> None:
    assert client.post("/api/halls/demo/counters/2/open", headers=manager).status_code == 200
    typed = {"reason": "帮张三办，电话13812345678"}
    assert client.post("/api/halls/demo/counters/2/pause", headers=manager, json=typed).status_code == 200
    public = client.get("/api/halls/demo/counters/2").json()["pause_reason"]
    assert "13812345678" not in public and "138****5678" in public


@pytest.mark.parametrize(
    "path", ["/", "/halls/demo/kiosk", "/api/halls/demo/queue", "/halls/demo/tickets/nope", "/api/docs"]
)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"  # the ticket page's address is its secret
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    policy = dict(d.strip().split(" ", 1) for d in answer.headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, on any page (the API docs' too)
    assert policy["default-src"] == policy["connect-src"] == policy["form-action"] == "'self'"


def test_a_date_or_number_out_of_range_is_the_requests_fault(client: TestClient, clerk: dict) -> None:
    manager = login(client, "manager", "demo-manager")
    for path, params in [
        ("/api/halls/demo/appointments/slots", {"item": "QY01", "from": "9999-12-31"}),
        ("/api/halls/demo/coverage", {"from": "9999-12-25", "to": "9999-12-31"}),
    ]:
        answer = client.get(path, params=params, headers=manager)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["detail_zh"].startswith("日期超出范围（from）"), answer.text  # the field named


def test_a_body_larger_than_any_request_needs_is_refused(client: TestClient) -> None:
    before = seq(client)
    answer = client.post(
        "/api/halls/demo/tickets",
        content=b'{"item": "SB01", "idempotency_key": "' + b"x" * 300_000 + b'"}',
        headers={**KIOSK, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.json()["detail_zh"] == "请求内容过大"
    assert seq(client) == before
    # Per route: 20 KB is more than a ticket needs, and within what a scenario may take.
    padded = b'{"item": "SB01", "pad": "' + b"x" * 20_000 + b'"}'
    json = {"Content-Type": "application/json"}
    assert client.post("/api/halls/demo/tickets", content=padded, headers={**KIOSK, **json}).status_code == 413
    manager = login(client, "manager", "demo-manager")
    scenario = client.post("/api/halls/demo/planning/simulate", content=padded, headers={**manager, **json})
    assert scenario.status_code == 400, scenario.text  # read, and refused for what it says, not its size
    assert client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK).status_code == 201


def test_an_unknown_username_costs_a_password_check_too(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real account's wrong password and a made-up name take the same work (one scrypt check),
    so the time of the answer does not tell which usernames exist."""
    import config.auth

    checked: list[str] = []
    real = config.auth.verify_password

    def counted(password: str, stored: str) -> bool:
        checked.append(stored.split("$")[0])
        return real(password, stored)

    monkeypatch.setattr(config.auth, "verify_password", counted)
    for username in ("lina", "nobody-at-all"):
        answer = client.post("/api/auth/login", json={"hall": "demo", "username": username, "password": "wrong"})
        assert answer.status_code == 401
    assert checked == ["scrypt", "scrypt"]


def test_no_one_elsewhere_can_lock_a_clerk_out_of_his_own_counter_pc(clock: Clock, tmp_path: Path) -> None:
    """Failures lock the account at one address after 5; from addresses it never signed in from
    after 20 more; never at an address where it has signed in. One address is locked after 50
    failures whatever the names (a hall behind one NAT is not locked by a few typos). The
    attempts go to two server processes in turn, which count them together."""
    import itertools

    from litestar.exceptions import NotAuthorizedException, TooManyRequestsException

    from config.accounts import AccountBook, AccountStates, DatabaseFailures
    from config.auth import Authenticator, LoginRequest
    from config.crypto import TokenSigner
    from config.database import connect_engine
    from config.migrations import upgrade
    from tests.support import demo_hall

    engine = connect_engine(f"sqlite:///{tmp_path / 'hall.db'}")
    upgrade(engine)
    processes = itertools.cycle(
        [
            Authenticator(
                AccountBook([demo_hall()]),
                AccountStates(engine, clock),
                TokenSigner(b"k" * 32),
                12,
                clock,
                DatabaseFailures(engine, clock),
            )
            for _ in range(2)
        ]
    )

    def attempt(username: str, password: str, address: str) -> str:
        try:
            next(processes).login(LoginRequest(hall="demo", username=username, password=password), address)
        except NotAuthorizedException:
            return "refused"
        except TooManyRequestsException:
            return "throttled"
        return "in"

    assert attempt("lina", "demo-staff", "10.0.0.8") == "in"  # her counter PC
    for n in range(25):  # someone guesses from five other machines
        attempt("lina", "guess", f"10.0.9.{n % 5}")
    assert attempt("lina", "demo-staff", "10.0.9.77") == "throttled"  # a new place: locked
    assert attempt("lina", "demo-staff", "10.0.0.8") == "in"  # her own PC: not
    for _ in range(5):
        assert attempt("lina", "typo", "10.0.0.8") == "refused"
    assert attempt("lina", "demo-staff", "10.0.0.8") == "throttled"  # five of hers: as before
    for n in range(10):  # a few mistyped names at the hall's one NAT address
        attempt(f"clerk{n}", "x", "10.0.0.1")
    assert attempt("zhangwei", "demo-staff", "10.0.0.1") == "in"
    for n in range(40):
        attempt(f"sprayed{n}", "x", "10.0.0.1")
    assert attempt("liuyang", "demo-staff", "10.0.0.1") == "throttled"  # 50 from one address
    assert attempt("zhangwei", "demo-staff", "10.0.0.1") == "in"  # but he signs in here: not him
    # An IPv6 client holds its whole /64: it is one place, however many addresses it uses.
    for n in range(5):
        attempt("wangfang", "guess", f"2001:db8:1:2::{n + 1:x}")
    assert attempt("wangfang", "demo-staff", "2001:db8:1:2::99") == "throttled"
    assert attempt("wangfang", "demo-staff", "2001:db8:1:3::1") == "in"  # another /64


@pytest.mark.parametrize("path", ["/api/halls/demo/appointments", "/api/halls/demo/appointments/find"])
def test_a_body_nested_a_thousand_deep_is_refused_not_crashed_on(client: TestClient, path: str) -> None:
    for body in (b"[" * 2000 + b"]" * 2000, b'{"a":' * 2000 + b"1" + b"}" * 2000):
        answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["detail_zh"] == "请求内容嵌套过深"


def _refuse_connections(pg_url: str, refused: bool) -> None:
    """The database of ``pg_url`` refuses new connections and its open ones are cut (or it takes
    them again): PostgreSQL down, as the hall's server sees it."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if refused else "true"}')
        if refused:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


# The rounds that run by themselves, each its logger: in an outage one line a round (the first
# slip's print job may also say in a line that its outcome was not recorded, and a snapshot
# being written when the connections were cut that it was not).
_ROUNDS = {"hall.ratings", "hall.appointments", "hall.posts", "hall.auth", "hall.manage", "hall.printers", "hall.queue"}


def test_a_database_outage_is_a_503_to_try_again_and_nothing_is_lost(
    pg_url: str, tmp_path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The hall's PostgreSQL refuses connections (its connections cut, new ones refused): a
    command is a 503 with Retry-After and one log line, nothing recorded; when the database is
    back, the hall goes on where it was."""
    import msgspec

    from config.app import create_app
    from config.settings import load_settings
    from tests.support import logged

    settings = msgspec.structs.replace(load_settings(), database_url=pg_url, data_dir=str(tmp_path))
    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as client:
        first = issue(client, "SB01")
        _refuse_connections(pg_url, True)
        try:
            with logged(caplog, "hall"), logged(caplog, "asyncio"):
                down = client.post("/api/halls/demo/tickets", json={"item": "SB01"}, headers=KIOSK)
        finally:
            _refuse_connections(pg_url, False)
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        assert down.json()["detail_zh"].startswith("系统暂时无法连接数据库")
        said = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert all(r.exc_info is None for r in said), [r.getMessage() for r in said]  # no tracebacks
        assert [r.name for r in said if r.name == "hall.app"] == ["hall.app"]  # the request: one line
        assert {r.name for r in said} <= {"hall.app", *_ROUNDS}  # (a round that ran meanwhile: its line)
        again = issue(client, "SB01")  # back: the next number, the first one kept
        assert (first["number"], again["number"]) == ("B001", "B002")


def test_every_round_that_runs_by_itself_says_an_outage_in_a_line_and_goes_on(
    pg_url: str, tmp_path, clock: Clock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While PostgreSQL refuses connections, the rounds nobody asked for (counting unrated
    services, forgetting old ratings' phones, the appointment sweep, the post watcher, the
    accounts' states, a manager's live view) each say so in one warning a round, with the
    driver's reason, never a traceback every round of the outage; once it is back the next
    rounds pass without a word."""
    import time

    import msgspec

    import appointments.service
    import counters.evaluation
    from config.app import create_app
    from config.settings import load_settings
    from tests.support import logged

    monkeypatch.setattr(counters.evaluation, "_UNRATED_EVERY_SECONDS", 0.1)
    monkeypatch.setattr(appointments.service, "_SWEEP_SECONDS", 0.1)
    settings = msgspec.structs.replace(
        load_settings(), database_url=pg_url, data_dir=str(tmp_path), post_watch_seconds=0.1
    )
    unavailable = "(database unavailable): OperationalError: "
    expected = {
        ("hall.ratings", f"forgetting the phones of old ratings failed {unavailable}"),
        ("hall.ratings", f"counting unrated services failed {unavailable}"),
        ("hall.appointments", f"appointment sweep failed {unavailable}"),
        ("hall.posts", f"post watcher failed {unavailable}"),
        ("hall.auth", "accounts' states not read: OperationalError"),
        ("hall.manage", f"live view: printers unreadable {unavailable}"),
        ("hall.manage", f"live view: rating cases unreadable {unavailable}"),
        ("hall.manage", f"live view: appointments unreadable {unavailable}"),
    }

    def said() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.WARNING]

    def unheard() -> set[tuple[str, str]]:
        return {(n, m) for n, m in expected if not any(r.name == n and r.getMessage().startswith(m) for r in said())}

    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as client:
        first = issue(client, "SB01")
        token = login(client, "manager", "demo-manager")["Authorization"].removeprefix("Bearer ")
        with logged(caplog, "hall"), logged(caplog, "asyncio"):
            _refuse_connections(pg_url, True)
            try:
                # a manager opens the live view: its first round reads the printers, cases, bookings
                with client.websocket_connect(f"/ws/halls/demo/manage?token={token}"):
                    deadline = time.monotonic() + 10
                    while unheard() and time.monotonic() < deadline:
                        time.sleep(0.05)
            finally:
                _refuse_connections(pg_url, False)
            lines = sorted((r.name, r.getMessage()) for r in said())
            assert not unheard(), lines
            assert all(r.exc_info is None and r.levelno == logging.WARNING for r in said()), lines
            assert all("OperationalError: " not in m or m.split("OperationalError: ", 1)[1] for _, m in lines), lines
            assert {r.name for r in said()} <= _ROUNDS, lines
            # Back: after a round in flight has ended, the next ones go on quietly, and so does the hall.
            time.sleep(0.3)
            caplog.clear()
            time.sleep(1.2)  # every round at least once, the accounts' too
            assert not said(), sorted((r.name, r.getMessage()) for r in said())
        again = issue(client, "SB01")
        assert (first["number"], again["number"]) == ("B001", "B002")


def test_ticket_ids_drawn_after_a_fork_differ_from_the_parents() -> None:
    """Ticket ids come from a pool of random bytes drawn ahead: a forked process (a server
    forked after it issued a ticket) must not hand out the ids its parent will."""
    import os

    from queueing.api import new_ticket_id

    new_ticket_id()  # the pool is drawn, and left mostly unused
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        try:
            os.write(writing, new_ticket_id().encode())
        finally:
            os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    with os.fdopen(reading, "rb") as pipe:
        childs = pipe.read().decode()
    assert len(childs) == 16 and childs != new_ticket_id()
