"""空岗提醒 through a real websocket client against ``hall serve``: the A person pauses while
tickets wait, and the B person's channel (a staff token on the hall channel, as their page
opens it) gets the alert at once; the counter's own channel too."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.support import DEMO_HALL, running
from tests.test_displays import Device


def open_all_day_hall(tmp_path: Path) -> Path:
    """The demo hall, open every day round the clock: the alert waits for opening hours, and
    this test runs whenever CI does."""
    text = DEMO_HALL.read_text(encoding="utf-8")
    hours = re.search(r"\[hours\]\n(.*?)\n\n", text, re.S)
    assert hours is not None
    days = "\n".join(f'{day} = ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    text = text.replace(hours.group(0), f"[hours]\n{days}\nclosed_dates = []\n\n")
    text = re.sub(r'\[hours\.special_dates\]\n(".*\n)*', "", text)
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_b_person_hears_of_the_empty_post_at_once(tmp_path: Path) -> None:
    env = {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_FILES": str(open_all_day_hall(tmp_path)),
        "HALL_LOG_FORMAT": "text",
        "HALL_POST_WATCH": "0.2",
    }

    async def scenario(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:

            async def token(user: str, password: str) -> str:
                answer = await client.post(
                    "/api/auth/login", json={"hall": "demo", "username": user, "password": password}
                )
                return answer.json()["token"]

            manager, a, b = (
                await token("manager", "demo-manager"),
                await token("zhangwei", "demo-staff"),
                await token("lina", "demo-staff"),
            )
            today = (await client.get("/api/halls/demo/queue")).json()["day"]
            roster = [{"counter": 6, "a": "zhangwei", "b": "lina"}]
            put = await client.put(
                f"/api/halls/demo/roster/{today}", json=roster, headers={"Authorization": f"Bearer {manager}"}
            )
            assert put.status_code == 200, put.text
            clerk = {"Authorization": f"Bearer {a}"}
            for action in ("sign-in", "open"):
                assert (await client.post(f"/api/halls/demo/counters/6/{action}", headers=clerk)).status_code == 200
            await client.post(
                "/api/halls/demo/tickets", json={"item": "QY01"}, headers={"Authorization": "Bearer demo-kiosk-token"}
            )
            async with (
                Device(url, "/ws/halls/demo", token=b) as lina_page,
                Device(url, "/ws/halls/demo/counters/6") as board,
            ):
                paused = await client.post("/api/halls/demo/counters/6/pause", headers=clerk, json={"reason": "开会"})
                assert paused.status_code == 200
                alert = (await lina_page.until("alert", timeout=5))["alert"]
                assert (alert["counter"], alert["a"], alert["b"], alert["b_name"]) == (6, "zhangwei", "lina", "李娜")
                assert alert["waiting"] == 1 and alert["counter_name"]
                assert (await board.until("alert", timeout=5))["alert"]["counter"] == 6
                # once per empty spell: nothing more while it stays empty
                await asyncio.sleep(1)
                assert not [m async for m in _drain(lina_page) if m["type"] == "alert"]
                # a page opened later finds it standing in its snapshot …
                async with Device(url, "/ws/halls/demo", token=manager) as late:
                    assert [a["counter"] for a in late.snapshot["alerts"]] == [6]
                # … until the post is served again
                assert (await client.post("/api/halls/demo/counters/6/open", headers=clerk)).status_code == 200
                async with Device(url, "/ws/halls/demo", token=manager) as later:
                    assert later.snapshot["alerts"] == []
                assert (
                    await client.post("/api/halls/demo/counters/6/pause", headers=clerk, json={"reason": "开会"})
                ).status_code == 200
            # the record keeps it: the post's coverage counts the empty time from the pause
            coverage = await client.get(
                "/api/halls/demo/coverage",
                params={"from": today, "to": today, "counter": 6},
                headers={"Authorization": f"Bearer {manager}"},
            )
            [post] = coverage.json()
            assert post["intervals"][-1]["who"] == "empty" and post["intervals"][-1]["reason"] == "开会"

    with running(env, log=tmp_path / "server.log") as server:
        asyncio.run(scenario(server.url))


async def _drain(device: Device):  # type: ignore[no-untyped-def]
    while True:
        try:
            yield await device.next(timeout=0.3)
        except TimeoutError:
            return
