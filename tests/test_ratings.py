"""好差评 through the API on the real app (SQLite and PostgreSQL) with the test's clock: a rating
once per service from the pad or the ticket's page, bad ratings and their cases, the rule for
unrated services, statistics."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.support import Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
PAD = {"Authorization": "Bearer demo-pad-token"}


def serve_one(client: TestClient, clerk: dict, item: str = "QY01", counter: int = 1) -> tuple[dict, int]:
    """A ticket issued, called and completed at ``counter``; the ticket and the completion's seq."""
    ticket = client.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK).json()
    called = client.post(f"/api/halls/demo/counters/{counter}/call-next", headers=clerk)
    assert called.status_code == 200 and called.json()["id"] == ticket["id"], called.text
    done = client.post(f"/api/halls/demo/counters/{counter}/complete", headers=clerk, json={"ticket": ticket["id"]})
    assert done.status_code == 200, done.text
    return ticket, client.get("/api/halls/demo/queue").json()["seq"]


@pytest.fixture
def clerk(client: TestClient) -> dict[str, str]:
    headers = login(client, "zhangwei", "demo-staff")
    for action in ("sign-in", "open"):
        assert client.post(f"/api/halls/demo/counters/1/{action}", headers=headers).status_code == 200
    return headers


def rate(client: TestClient, headers: dict | None = None, status: int = 201, **body: object) -> dict:
    response = client.post("/api/halls/demo/ratings", json=body, headers=headers or {})
    assert response.status_code == status, response.text
    return response.json()


def test_the_pad_rates_a_service_once(client: TestClient, clerk: dict) -> None:
    ticket, service = serve_one(client, clerk)
    rating = rate(client, PAD, service=service, level="very_satisfied")
    assert (rating["number"], rating["item"], rating["counter"]) == (ticket["number"], "QY01", 1)
    assert rating["staff_name"] == "张伟" and rating["score"] == 10 and rating["channel"] == "pad"
    again = rate(client, PAD, status=409, service=service, level="satisfied")
    assert again["detail_zh"] == "该次服务已评价，感谢您的反馈"
    # the ticket's page offers nothing more to rate for it
    assert rate(client, status=409, ticket_id=ticket["id"], level="satisfied")["detail_zh"].startswith("该次服务已评价")
    # a service number alone is not enough without the pad's token
    _, other = serve_one(client, clerk)
    assert rate(client, status=403, service=other, level="satisfied")["detail_zh"] == "请在评价器上评价"
    assert rate(client, KIOSK, status=403, service=other, level="satisfied")  # only an evaluation pad
    assert rate(client, PAD, status=404, service=other - 1, level="satisfied")  # not a completion


def test_the_tickets_page_rates_when_the_pad_was_skipped(client: TestClient, clerk: dict) -> None:
    ticket, _ = serve_one(client, clerk)
    rating = rate(client, ticket_id=ticket["id"], level="basic")
    assert rating["channel"] == "web" and rating["score"] == 6
    waiting = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    nothing = rate(client, status=404, ticket_id=waiting["id"], level="satisfied")
    assert "办结后才能评价" in nothing["detail_zh"]


def test_a_bad_rating_may_name_up_to_three_reasons(client: TestClient, clerk: dict) -> None:
    _, service = serve_one(client, clerk)
    rate(client, PAD, status=400, service=service, level="dissatisfied", reasons=["其他"] * 4)  # too many
    rate(client, PAD, status=422, service=service, level="dissatisfied", reasons=["其他", "其他"])  # twice
    rate(client, PAD, status=422, service=service, level="dissatisfied", reasons=[])  # none
    rating = rate(client, PAD, service=service, level="dissatisfied", reasons=["等候时间过长", "业务不熟练"])
    assert rating["reasons"] == ["等候时间过长", "业务不熟练"] and rating["reason"] == "等候时间过长、业务不熟练"
    _, other = serve_one(client, clerk)  # one reason the old way still works
    assert rate(client, PAD, service=other, level="dissatisfied", reason="其他")["reasons"] == ["其他"]


def test_a_bad_rating_needs_a_reason_and_opens_a_case_worked_to_the_end(
    client: TestClient, clerk: dict, clock: Clock
) -> None:
    manager = login(client, "manager", "demo-manager")
    _, service = serve_one(client, clerk)
    missing = rate(client, PAD, status=422, service=service, level="dissatisfied")
    assert missing["detail_zh"] == "请选择差评原因"
    rate(
        client,
        PAD,
        service=service,
        level="dissatisfied",
        reason="等候时间过长",
        text="等了很久 13812345678",
        phone="13812345678",
    )
    [case] = client.get("/api/halls/demo/rating-cases", headers=manager).json()
    # 5 working days after Monday the 23rd: the demo hall also works Saturday mornings
    assert case["state"] == "open" and case["deadline"] == "2026-11-28" and not case["overdue"]
    assert case["contact_masked"] == "138****5678" and "13812345678" not in str(case)
    for action, state in (("reply", "replied"), ("fix", "fixed")):
        answer = client.post(
            f"/api/halls/demo/rating-cases/{case['id']}/{action}", json={"text": "已联系并致歉"}, headers=manager
        )
        assert answer.status_code == 200 and answer.json()["state"] == state, answer.text
    done = client.post(f"/api/halls/demo/rating-cases/{case['id']}/reply", json={"text": "x"}, headers=manager)
    assert done.status_code == 409
    # the reply rate of real-name bad ratings
    [one] = client.get(
        "/api/halls/demo/ratings/stats",
        params={"by": "counter", "from": "2026-11-23", "to": "2026-11-23"},
        headers=manager,
    ).json()
    assert (one["ratings"], one["score"], one["bad_share"], one["reply_rate"]) == (1, 3.0, 1.0, 1.0)


def test_an_overdue_case_and_an_upheld_appeal(client: TestClient, clerk: dict, clock: Clock) -> None:
    manager = login(client, "manager", "demo-manager")
    _, first = serve_one(client, clerk)
    _, second = serve_one(client, clerk)
    rate(client, PAD, service=first, level="very_dissatisfied", reason="服务态度不好")
    rate(client, PAD, service=second, level="very_dissatisfied", reason="其他", text="误触")
    clock.advance(days=8)
    manager = login(client, "manager", "demo-manager")  # a new shift
    cases = client.get("/api/halls/demo/rating-cases", params={"overdue": True}, headers=manager).json()
    assert len(cases) == 2 and all(c["overdue"] for c in cases)
    appeal = next(c for c in cases if c["text"] == "误触")
    for action in ("appeal", "uphold_appeal"):
        answer = client.post(
            f"/api/halls/demo/rating-cases/{appeal['id']}/{action}", json={"text": "误触，已核实"}, headers=manager
        )
        assert answer.status_code == 200, answer.text
    assert (
        client.get("/api/halls/demo/rating-cases", params={"state": "void"}, headers=manager).json()[0]["id"]
        == appeal["id"]
    )
    stats = client.get("/api/halls/demo/ratings/stats", params={"by": "staff", "from": "2026-11-01"}, headers=manager)
    [zhangwei] = stats.json()
    assert zhangwei["key"] == "zhangwei" and zhangwei["ratings"] == 1  # the upheld appeal takes its rating out
    assert client.get("/api/halls/demo/rating-cases", headers=KIOSK).status_code == 403


def test_a_service_left_unrated_for_seven_days_counts_as_very_satisfied(
    client: TestClient, clerk: dict, clock: Clock
) -> None:
    _, rated = serve_one(client, clerk)
    _, unrated = serve_one(client, clerk)
    rate(client, PAD, service=rated, level="basic")
    service = client.app.state.evaluation
    with client.portal() as portal:
        assert portal.call(service.rate_unrated, "demo") == 0  # not yet
        clock.advance(days=7, minutes=1)
        assert portal.call(service.rate_unrated, "demo") == 1
        assert portal.call(service.rate_unrated, "demo") == 0  # once
    manager = login(client, "manager", "demo-manager")
    [one] = client.get(
        "/api/halls/demo/ratings/stats", params={"by": "counter", "from": "2026-11-23"}, headers=manager
    ).json()
    assert one["ratings"] == 2 and one["levels"]["very_satisfied"] == 1 and one["score"] == 8.0
    assert rate(client, PAD, status=409, service=unrated, level="satisfied")


def test_a_rating_goes_to_the_clerk_at_the_counter_even_when_a_manager_completed(
    client: TestClient, clerk: dict
) -> None:
    manager = login(client, "manager", "demo-manager")
    ticket = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    assert client.post("/api/halls/demo/counters/1/call-next", headers=clerk).status_code == 200
    done = client.post("/api/halls/demo/counters/1/complete", headers=manager, json={"ticket": ticket["id"]})
    assert done.status_code == 200, done.text
    service = client.get("/api/halls/demo/queue").json()["seq"]
    assert rate(client, PAD, service=service, level="satisfied")["staff_name"] == "张伟"
