"""AB posts through the API on the real app (SQLite and PostgreSQL) with the test's clock: the
roster, and the coverage of a post read back from the hall's record."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.support import Clock, login


def act(client: TestClient, headers: dict, counter: int, action: str, **body: object) -> None:
    response = client.post(f"/api/halls/demo/counters/{counter}/{action}", headers=headers, json=body or None)
    assert response.status_code == 200, response.text


def test_the_roster_is_set_checked_and_read_back(client: TestClient) -> None:
    manager = login(client, "manager", "demo-manager")
    roster = [{"counter": 1, "a": "zhangwei", "b": "lina"}, {"counter": 2, "a": "wangfang", "b": ""}]
    answer = client.put("/api/halls/demo/roster/2026-11-23", json=roster, headers=manager)
    assert answer.status_code == 200 and answer.json() == roster
    assert client.get("/api/halls/demo/roster/2026-11-23", headers=manager).json() == roster
    changed = client.put(
        "/api/halls/demo/roster/2026-11-23", json=[{"counter": 2, "a": "lina", "b": "wangfang"}], headers=manager
    )
    assert changed.json() == [roster[0], {"counter": 2, "a": "lina", "b": "wangfang"}]
    for bad, words in (
        ([{"counter": 99, "a": "lina"}], "no such counter"),
        ([{"counter": 1, "a": "nobody"}], "'nobody' is not a staff member"),
        ([{"counter": 1, "a": "lina", "b": "lina"}], "two people"),
    ):
        refused = client.put("/api/halls/demo/roster/2026-11-23", json=bad, headers=manager)
        assert refused.status_code == 422 and words in refused.json()["detail"], refused.text
    clerk = login(client, "lina", "demo-staff")
    assert client.get("/api/halls/demo/roster/2026-11-23", headers=clerk).status_code == 403


def test_coverage_of_a_morning_read_from_the_record(client: TestClient, clock: Clock) -> None:
    manager = login(client, "manager", "demo-manager")
    client.put(
        "/api/halls/demo/roster/2026-11-23", json=[{"counter": 1, "a": "zhangwei", "b": "lina"}], headers=manager
    )
    zhangwei, lina = login(client, "zhangwei", "demo-staff"), login(client, "lina", "demo-staff")
    act(client, zhangwei, 1, "sign-in")  # 09:00
    act(client, zhangwei, 1, "open")
    clock.advance(minutes=60)  # 10:00: A goes for a break
    act(client, zhangwei, 1, "pause", reason="休息")
    act(client, zhangwei, 1, "sign-out")
    clock.advance(minutes=10)  # 10:10: B covers the post
    act(client, lina, 1, "sign-in")
    act(client, lina, 1, "open")
    clock.advance(minutes=50)  # 11:00: B leaves, nobody there
    act(client, lina, 1, "sign-out")
    clock.advance(minutes=30)  # 11:30: now
    report = client.get(
        "/api/halls/demo/coverage", params={"from": "2026-11-23", "to": "2026-11-23", "counter": 1}, headers=manager
    )
    assert report.status_code == 200, report.text
    [post] = report.json()
    assert (post["a"], post["b"]) == ("zhangwei", "lina")
    assert (post["minutes_a"], post["minutes_b"], post["minutes_other"], post["minutes_empty"]) == (60, 50, 0, 40)
    assert post["open_minutes"] == 150  # 09:00 to now
    assert [(i["who"], i["staff"] or i["reason"]) for i in post["intervals"]] == [
        ("A", "zhangwei"),
        ("empty", "休息"),
        ("B", "lina"),
        ("empty", "无人签到"),
    ]
    # a whole week: every counter every day, closed days with no opening time
    week = client.get(
        "/api/halls/demo/coverage", params={"from": "2026-11-23", "to": "2026-11-29"}, headers=manager
    ).json()
    assert len(week) == 7 * 14 and all(p["open_minutes"] == 0 for p in week if p["day"] == "2026-11-29")
    too_long = client.get(
        "/api/halls/demo/coverage", params={"from": "2026-01-01", "to": "2026-11-29"}, headers=manager
    )
    assert too_long.status_code == 400 and "at most 93 days" in too_long.json()["detail"]


def test_an_empty_post_is_alerted_once_while_tickets_wait(client: TestClient, clock: Clock) -> None:
    manager = login(client, "manager", "demo-manager")
    client.put(
        "/api/halls/demo/roster/2026-11-23", json=[{"counter": 6, "a": "zhangwei", "b": "lina"}], headers=manager
    )
    zhangwei = login(client, "zhangwei", "demo-staff")
    act(client, zhangwei, 6, "sign-in")
    act(client, zhangwei, 6, "open")
    posts = client.app.state.posts

    def watch() -> list[int]:
        with client.portal() as portal:
            return portal.call(posts.watch, "demo")

    assert watch() == []  # staffed
    act(client, zhangwei, 6, "pause", reason="开会")
    assert watch() == []  # empty, but nobody waits for it
    client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers={"Authorization": "Bearer demo-kiosk-token"})
    assert watch() == [6]
    assert watch() == []  # once
    act(client, zhangwei, 6, "open")
    act(client, zhangwei, 6, "pause", reason="后台办理")
    assert watch() == [6]  # a new empty spell
    clock.advance(hours=9)  # 18:00: the hall is closed
    act(client, login(client, "zhangwei", "demo-staff"), 6, "open")
    act(client, login(client, "zhangwei", "demo-staff"), 6, "pause", reason="下班")
    assert watch() == []


def test_a_roster_is_copied_by_day_by_week_and_as_a_weekly_template(client: TestClient) -> None:
    manager = login(client, "manager", "demo-manager")
    monday = [{"counter": 1, "a": "zhangwei", "b": "lina"}, {"counter": 2, "a": "wangfang", "b": "liuyang"}]
    client.put("/api/halls/demo/roster/2026-11-23", json=monday, headers=manager)
    client.put("/api/halls/demo/roster/2026-11-24", json=[{"counter": 3, "a": "chenjing"}], headers=manager)

    def roster(day: str) -> list[dict]:
        entries = client.get(f"/api/halls/demo/roster/{day}", headers=manager).json()
        return [e for e in entries if e["a"] or e["b"]]

    # The day before onto the next: the same roster, not a mix (counter 3 of the 24th is cleared).
    copied = client.post("/api/halls/demo/roster/copy", json={"source": "2026-11-23", "target": "2026-11-24"},
                         headers=manager)  # fmt: skip
    assert copied.status_code == 200 and copied.json() == {"days": ["2026-11-24"], "dropped": [], "past": []}
    assert roster("2026-11-24") == monday
    # A week used as a template for the next two weeks: each weekday as it was.
    body = {"source": "2026-11-23", "target": "2026-11-30", "days": 7, "times": 2}
    weeks = client.post("/api/halls/demo/roster/copy", json=body, headers=manager).json()
    assert len(weeks["days"]) == 14 and weeks["days"][0] == "2026-11-30" and weeks["days"][-1] == "2026-12-13"
    assert roster("2026-12-07") == monday and roster("2026-12-08") == monday and roster("2026-12-09") == []
    # Onto the copied days themselves: refused, nothing written.
    onto_itself = {"source": "2026-11-23", "target": "2026-11-25", "days": 7}
    overlap = client.post("/api/halls/demo/roster/copy", json=onto_itself, headers=manager)
    assert overlap.status_code == 422 and "must come after" in overlap.json()["detail"]
    assert roster("2026-11-25") == []
    clerk = login(client, "lina", "demo-staff")
    assert client.post("/api/halls/demo/roster/copy", json=body, headers=clerk).status_code == 403
    # Days before today keep their roster (the record of who was rostered); the calendar's end: refused.
    client.put("/api/halls/demo/roster/2026-11-16", json=[{"counter": 5, "a": "lina"}], headers=manager)
    back = client.post("/api/halls/demo/roster/copy", json={"source": "2026-11-09", "target": "2026-11-16", "days": 7},
                       headers=manager).json()  # fmt: skip
    assert (
        back["days"] == [] and len(back["past"]) == 7 and roster("2026-11-16") == [{"counter": 5, "a": "lina", "b": ""}]
    )
    end = {"source": "2199-12-20", "target": "2199-12-28", "days": 7}
    assert client.post("/api/halls/demo/roster/copy", json=end, headers=manager).status_code == 400
    assert roster("2199-12-28") == []  # nothing written: a copy is whole or nothing


def test_the_watchers_round_reads_every_open_halls_roster_at_once(client: TestClient, clock: Clock) -> None:
    manager = login(client, "manager", "demo-manager")
    client.put("/api/halls/demo/roster/2026-11-23", json=[{"counter": 6, "a": "zhangwei", "b": ""}], headers=manager)
    posts = client.app.state.posts
    reads: list[dict] = []
    rosters_on = posts.store.rosters_on
    posts.store.rosters_on = lambda days: reads.append(days) or rosters_on(days)

    def round_() -> dict:
        with client.portal() as portal:
            return portal.call(posts._rosters, clock())

    found = round_()
    assert list(found) == ["demo"] and found["demo"][6].a == "zhangwei"
    assert len(reads) == 1 and set(reads[0]) == set(posts.halls)  # one read for every hall of the process
    clock.advance(hours=9)  # 18:00: closed; nothing to read
    assert round_() == {} and len(reads) == 1
