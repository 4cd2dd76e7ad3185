"""好差评 through the API on the real app (SQLite and PostgreSQL) with the test's clock: a rating
once per service from the pad or the ticket's page, bad ratings and their cases, the rule for
unrated services, statistics."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from config.audit.models import AuditEntryRow
from config.crypto import RatingKeys
from counters.evaluation import EvaluationService
from counters.models import RatingRow
from queueing.errors import Conflict
from tests.support import Clock, login

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
PAD = {"Authorization": "Bearer demo-pad-1-token"}  # counter 1's pad


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
    again = rate(client, status=409, ticket_id=ticket["id"], rating_key=ticket["rating_key"], level="satisfied")
    assert again["detail_zh"].startswith("该次服务已评价")
    # a service number alone is not enough without the pad's token
    _, other = serve_one(client, clerk)
    assert rate(client, status=403, service=other, level="satisfied")["detail_zh"] == "请在评价器上评价"
    assert rate(client, KIOSK, status=403, service=other, level="satisfied")  # only an evaluation pad
    assert rate(client, PAD, status=404, service=other - 1, level="satisfied")  # not a completion


def test_the_tickets_page_rates_when_the_pad_was_skipped(client: TestClient, clerk: dict) -> None:
    ticket, _ = serve_one(client, clerk)
    rating = rate(client, ticket_id=ticket["id"], rating_key=ticket["rating_key"], level="basic")
    assert rating["channel"] == "web" and rating["score"] == 6
    waiting = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    nothing = rate(client, status=404, ticket_id=waiting["id"], rating_key=waiting["rating_key"], level="satisfied")
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


# ---------------------------------------------------------------- who may rate (the attacks)

SCREEN = {"Authorization": "Bearer demo-screen-token"}
BOARD = {"Authorization": "Bearer demo-board-token"}
PAD_2 = {"Authorization": "Bearer demo-pad-2-token"}


def test_a_pad_rates_its_own_counters_services_only(client: TestClient, clerk: dict) -> None:
    _, service = serve_one(client, clerk)  # at counter 1
    refused = rate(client, PAD_2, status=403, service=service, level="very_dissatisfied", reasons=["其他"])
    assert refused["detail_zh"] == "该评价器只能评价本窗口的服务" and "counter 2" in refused["detail"]
    assert rate(client, PAD, service=service, level="satisfied")["counter"] == 1  # nothing was taken


def test_the_wall_screen_a_board_or_a_pad_does_not_rate_by_ticket(client: TestClient, clerk: dict) -> None:
    """A device holds no slip: by ticket it rates nothing, even given the slip's key."""
    ticket, _ = serve_one(client, clerk)
    slip = {"ticket_id": ticket["id"], "rating_key": ticket["rating_key"]}
    for device in (SCREEN, BOARD, KIOSK, PAD, PAD_2):
        refused = rate(client, device, status=403, **slip, level="very_dissatisfied", reasons=["其他"])
        assert refused["detail_zh"] == "请扫描凭条二维码评价"
    assert rate(client, **slip, level="satisfied")["channel"] == "web"  # the slip's link


def test_a_clerk_cannot_rate_his_own_service(client: TestClient, clerk: dict) -> None:
    ticket, service = serve_one(client, clerk)
    for body in ({"ticket_id": ticket["id"]}, {"service": service}):
        refused = rate(client, clerk, status=403, level="very_satisfied", **body)
        assert refused["detail_zh"].startswith("工作人员不能评价服务")
    manager = login(client, "manager", "demo-manager")  # nor a manager: ratings are the citizen's
    slip = {"ticket_id": ticket["id"], "rating_key": ticket["rating_key"]}
    assert rate(client, manager, status=403, **slip, level="very_satisfied")  # not even with the slip's key
    assert rate(client, **slip, level="satisfied")["staff_name"] == "张伟"


def test_a_clerk_who_knows_the_ticket_id_rates_nothing_without_the_slips_key(client: TestClient, clerk: dict) -> None:
    """The attack: his counter told him the ticket's id; he drops his token and rates his own
    service 非常满意 (or a colleague's 非常不满意) by it, with no key or any key but the slip's."""
    ticket = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers=KIOSK).json()
    desk = client.post("/api/halls/demo/tickets", json={"item": "QY02"}, headers=clerk).json()
    assert desk["rating_key"] == ""  # a ticket he issues himself: its key goes on the slip, not to him
    other = client.post("/api/halls/demo/tickets", json={"item": "QY02"}, headers=KIOSK).json()
    called = client.post("/api/halls/demo/counters/1/call-next", headers=clerk).json()
    assert called["id"] == ticket["id"] and "rating_key" not in called
    done = client.post("/api/halls/demo/counters/1/complete", headers=clerk, json={"ticket": called["id"]})
    assert done.status_code == 200, done.text
    made_up = RatingKeys(b"not the hall's secret key 012345").key("demo", called["id"])
    for key in ("", other["rating_key"], made_up, ticket["rating_key"].upper()):
        for level, reasons in (("very_satisfied", []), ("very_dissatisfied", ["服务态度不好"])):
            refused = rate(client, status=403, ticket_id=called["id"], rating_key=key, level=level, reasons=reasons)
            assert refused["detail_zh"] == "评价码无效：请扫描取号凭条上的二维码评价"
            assert "rating key" in refused["detail"]
    with client.app.state.evaluation.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(RatingRow.__table__)).scalar_one() == 0
    manager = login(client, "manager", "demo-manager")
    assert client.get("/api/halls/demo/rating-cases", headers=manager).json() == []  # no 差评 case opened
    # the citizen's slip rates it
    rating = rate(client, ticket_id=ticket["id"], rating_key=ticket["rating_key"], level="satisfied")
    assert rating["channel"] == "web" and rating["staff_name"] == "张伟"


def test_the_openapi_document_names_the_rating_key(client: TestClient) -> None:
    spec = client.get("/api/docs/openapi.json").json()
    body = spec["paths"]["/api/halls/{hall}/ratings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    field = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]["rating_key"]
    assert field["maxLength"] == 40 and "评价码" in field["description"] and "?k=" in field["description"]
    pdf = spec["paths"]["/api/halls/{hall}/tickets/{ticket_id}/slip.pdf"]["get"]
    [key] = [p for p in pdf["parameters"] if p["name"] == "k"]
    assert key["in"] == "query" and "评价码" in key["description"]
    assert pdf["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


# ---------------------------------------------------------------- the reply loop (DB31/T 862 10.1.3–10.1.4)


def bad_web_rating(client: TestClient, clerk: dict, phone: str = "13812345678") -> dict:
    ticket, _ = serve_one(client, clerk)
    slip = {"ticket_id": ticket["id"], "rating_key": ticket["rating_key"]}
    rate(client, **slip, level="very_dissatisfied", reasons=["服务态度不好"], phone=phone)
    manager = login(client, "manager", "demo-manager")
    [case] = [
        c for c in client.get("/api/halls/demo/rating-cases", headers=manager).json() if c["number"] == ticket["number"]
    ]
    return case


def test_a_real_name_ratings_phone_is_sealed_and_opened_only_to_call_back(client: TestClient, clerk: dict) -> None:
    case = bad_web_rating(client, clerk)
    assert case["contact_masked"] == "138****5678" and case["phone_sealed"] and "13812345678" not in str(case)
    engine = client.app.state.evaluation.engine
    with engine.connect() as conn:
        sealed = conn.execute(sa.select(RatingRow.__table__.c.contact_sealed)).scalar_one()
    assert sealed and b"13812345678" not in sealed and b"5678" not in sealed
    manager = login(client, "manager", "demo-manager")
    path = f"/api/halls/demo/rating-cases/{case['id']}"
    assert client.post(f"{path}/phone", headers=clerk).status_code == 403  # a clerk never sees it
    assert client.post(f"{path}/phone", headers=SCREEN).status_code == 403
    opened = client.post(f"{path}/phone", headers=manager)
    assert opened.status_code == 200 and opened.json() == {"phone": "13812345678"}
    assert opened.headers["cache-control"] == "no-store"
    with engine.connect() as conn:
        [entry] = (
            conn.execute(sa.select(AuditEntryRow.__table__).where(AuditEntryRow.action == "rating_case.phone_opened"))
            .mappings()
            .all()
        )
    assert (entry["actor"], entry["role"], entry["action"]) == ("manager", "manager", "rating_case.phone_opened")
    assert entry["target"] == f"rating case {case['id']}" and "13812345678" not in entry["details"]
    [step] = client.get("/api/halls/demo/rating-cases", headers=manager).json()[0]["steps"]
    assert (step["by"], step["action"]) == ("manager", "phone")


def test_each_call_back_is_a_step_of_its_own_with_who_and_when(client: TestClient, clerk: dict, clock: Clock) -> None:
    case = bad_web_rating(client, clerk)
    path = f"/api/halls/demo/rating-cases/{case['id']}"
    manager, admin = login(client, "manager", "demo-manager"), login(client, "admin", "demo-admin")
    missed = client.post(f"{path}/call-back", json={"outcome": "no_answer", "note": "无人接听"}, headers=manager)
    assert missed.status_code == 200 and missed.json()["state"] == "open", missed.text  # not yet answered
    clock.advance(hours=2)
    reached = client.post(
        f"{path}/call-back", json={"outcome": "reached", "note": "已致歉，群众表示理解 13812345678"}, headers=admin
    )
    assert reached.status_code == 200 and reached.json()["state"] == "replied", reached.text
    fixed = client.post(f"{path}/fix", json={"text": "已对窗口人员进行服务规范培训"}, headers=manager).json()
    assert fixed["state"] == "fixed"
    steps = [(s["by"], s["action"], s["outcome"]) for s in fixed["steps"]]
    assert steps == [("manager", "call_back", "no_answer"), ("admin", "call_back", "reached"), ("manager", "fix", "")]
    assert fixed["steps"][1]["note"] == "已致歉，群众表示理解 138****5678"  # a phone in a note is masked
    assert fixed["steps"][0]["at"] < fixed["steps"][1]["at"]
    assert client.post(f"{path}/call-back", json={"outcome": "bogus", "note": "x"}, headers=manager).status_code == 400
    assert client.post(f"{path}/call-back", json={"outcome": "reached", "note": "x"}, headers=clerk).status_code == 403
    # the reply rate counts the call-back that reached the citizen
    [one] = client.get("/api/halls/demo/ratings/stats", params={"from": "2026-11-23"}, headers=manager).json()
    assert one["real_name_bad"] == 1 and one["reply_rate"] == 1.0


def test_the_standards_tiers_set_the_deadline(client: TestClient, clerk: dict) -> None:
    case = bad_web_rating(client, clerk)  # rated Monday 2026-11-23
    assert (case["tier"], case["deadline"]) == ("five_days", "2026-11-28")  # the hall's case_working_days
    manager = login(client, "manager", "demo-manager")
    path = f"/api/halls/demo/rating-cases/{case['id']}/tier"
    for tier, deadline in (
        ("on_the_spot", "2026-11-23"),  # 当场解决: due the day it opened
        ("one_day", "2026-11-24"),
        ("fifteen_days", "2026-12-10"),  # Sundays skipped, the demo's Saturday mornings counted
    ):
        moved = client.post(path, json={"tier": tier, "note": "按情况定级"}, headers=manager)
        assert moved.status_code == 200 and (moved.json()["tier"], moved.json()["deadline"]) == (tier, deadline)
    assert [s["outcome"] for s in moved.json()["steps"]] == ["on_the_spot", "one_day", "fifteen_days"]
    assert client.post(path, json={"tier": "ten_days"}, headers=manager).status_code == 400
    for action in ("reply", "fix"):
        client.post(f"/api/halls/demo/rating-cases/{case['id']}/{action}", json={"text": "已处理"}, headers=manager)
    assert client.post(path, json={"tier": "one_day"}, headers=manager).status_code == 409  # finished


def test_a_phone_sealed_under_another_key_is_refused_not_a_crash(client: TestClient, clerk: dict) -> None:
    case = bad_web_rating(client, clerk)
    service = client.app.state.evaluation
    rekeyed = EvaluationService(service.engine, list(service.halls.values()), service.clock, b"another-key-" * 3)
    with client.portal() as portal, pytest.raises(Conflict, match="another secret key"):
        portal.call(rekeyed.open_phone, "demo", case["id"], "manager", "manager", "")
