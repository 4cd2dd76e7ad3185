"""The hall screen (综合屏) and a counter's LED board (窗口屏) in a real browser.

Each test starts ``hall serve`` as a child process on a fresh data directory and opens the pages
in Debian's Chromium, headless, through Playwright, with the demo hall's device tokens in the
address (``#token=…``), as a technician sets up a screen. Tickets are issued and called through
the public API, as the ticket machines and the counters do; the tests look at what the hall
sees. Screenshots go to ``test-artifacts/displays/``.

Where a page works on timers (the newest call flashes for the hall's ``flash_seconds``, a lost
connection is retried with backoff), the test pauses the page's clock (Playwright's fake
timers) and moves it on by hand; the websocket itself is real. The voice WAVs (a chime, then
Chinese and English, said twice: about 22 s) are played at 16 times their speed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, WebSocket, expect

from displays.voice import CHIME_SECONDS, PART_GAP, RATE, _speak, call_texts
from tests.browser.common import (
    KIOSK_AUTH,
    LANDSCAPE,
    PORTRAIT,
    Shots,
    act,
    fits_without_scrolling,
    inside_viewport,
    pause_clock,
    staff_login,
    wait_for,
)
from tests.support import DEMO_HALL, ROOT, SHANGHAI, RedisServer, Server, demo_hall, running

SCREEN_TOKEN = "demo-screen-token"
BOARD_TOKEN = "demo-board-token"
LED_STRIP = {"width": 1280, "height": 400}  # a wide, low board over a counter
SMALL_SCREEN = {"width": 800, "height": 480}  # a 7-inch screen
# A Monday morning in the hall (Asia/Shanghai); the browser itself is set to New York, where it
# is still Sunday evening: the screen must show the hall's date and time, not its own.
HALL_MORNING = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
BROWSER_ZONE = "America/New_York"
# One item of every group, so that every counter of the demo hall has someone to call.
ITEM_PER_GROUP = {"A": "QY01", "B": "SB01", "C": "BD01", "D": "HZ01", "E": "SW01", "K": "KS01", "Q": "CJ01"}
VOICE_SPEED = 16  # Chromium's fastest playback rate


@pytest.fixture
def shots() -> Shots:
    return Shots("displays", {"animations": "disabled"})  # flashing: its last frame


# ---------------------------------------------------------------- helpers


def issue(api: httpx.Client, item: str) -> str:
    response = api.post("/api/halls/demo/tickets", json={"item": item}, headers=KIOSK_AUTH)
    assert response.status_code == 201, response.text
    return response.json()["number"]


def call_next(api: httpx.Client, auth: dict[str, str], counter: int) -> str:
    return act(api, auth, counter, "call-next")["number"]


def open_screen(page: Page, server: Server, token: str | None = SCREEN_TOKEN) -> Page:
    page.goto(f"{server.url}/halls/demo/screen" + (f"#token={token}" if token else ""))
    if token == SCREEN_TOKEN:
        wait_for(page, "window.SCREEN.log.snapshots >= 1")
    return page


def open_board(page: Page, server: Server, counter: int, token: str | None = BOARD_TOKEN) -> Page:
    page.goto(f"{server.url}/halls/demo/counters/{counter}/board" + (f"#token={token}" if token else ""))
    if token == BOARD_TOKEN:
        wait_for(page, "window.BOARD.log.shown.length >= 1")
    return page


def tile(page: Page, counter: int) -> Locator:
    return page.locator(f'#counters .tile[data-counter="{counter}"]')


def group_count(page: Page, prefix: str) -> Locator:
    group = page.locator("#groups .group").filter(has=page.locator(".g-prefix").get_by_text(prefix, exact=True))
    return group.locator(".g-count")


def inside(outer: Locator, inner: Locator) -> None:
    """``inner`` is drawn whole within ``outer``'s box (not cut by its edges)."""
    box, frame = inner.bounding_box(), outer.bounding_box()
    assert box is not None and frame is not None, (inner, outer)
    assert box["x"] >= frame["x"] - 0.5 and box["y"] >= frame["y"] - 0.5, (inner, box, frame)
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5, (inner, box, frame)
    assert box["y"] + box["height"] <= frame["y"] + frame["height"] + 0.5, (inner, box, frame)


def texts_not_cut(page: Page, selector: str) -> None:
    """None of these one-line texts is shortened with an ellipsis."""
    cut = page.eval_on_selector_all(
        selector, "nodes => nodes.filter(n => n.scrollWidth > n.clientWidth + 1).map(n => n.textContent)"
    )
    assert not cut, f"cut short: {cut}"


def font_px(locator: Locator) -> float:
    return float(locator.evaluate("node => parseFloat(getComputedStyle(node).fontSize)"))


def recent_rows(page: Page) -> list[dict]:
    """The list of earlier calls: each row's text, its font size, and what keeps it from being read
    whole (``problems``, empty when none): outside the window, cut by the edge of a box that clips
    (the list, its panel, any ancestor whose overflow is not visible), hidden, covered, or its
    number or counter cut short."""
    return page.evaluate(
        """() => {
          const within = (r, b) => r.left >= b.left - .5 && r.right <= b.right + .5
                                   && r.top >= b.top - .5 && r.bottom <= b.bottom + .5;
          const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
          return [...document.querySelectorAll('#recent li')].map(li => {
            const r = li.getBoundingClientRect(), problems = [];
            if (r.width < 1 || r.height < 1) problems.push('not drawn');
            if (!within(r, view)) problems.push('outside the window');
            for (let box = li.parentElement; box && box !== document.documentElement; box = box.parentElement) {
              const style = getComputedStyle(box);
              const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
              if (clips && !within(r, box.getBoundingClientRect()))
                problems.push('cut by ' + (box.id ? '#' + box.id : '.' + box.className));
            }
            if (!li.checkVisibility({opacityProperty: true, visibilityProperty: true})) problems.push('hidden');
            const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
            if (!hit || !li.contains(hit)) problems.push('covered');
            for (const part of li.querySelectorAll('.num, .to')) {
              if (part.scrollWidth > part.clientWidth + 1) problems.push('cut short: ' + part.textContent);
              if (!within(part.getBoundingClientRect(), r)) problems.push('out of its line: ' + part.textContent);
            }
            return {
              number: li.querySelector('.num').textContent, counter: li.querySelector('.to').textContent,
              font: parseFloat(getComputedStyle(li).fontSize), problems,
            };
          });
        }"""
    )


# ---------------------------------------------------------------- the hall screen


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_hall_screen_shows_calls_counters_and_waiting(new_page, browser, server, api, manager, shot, viewport) -> None:
    page = new_page(viewport, browser=browser, timezone_id=BROWSER_ZONE)
    pause_clock(page, at=HALL_MORNING)
    open_screen(page, server)
    assert "token" not in page.url, "the device token stays in the address bar"
    expect(page).to_have_title("综合屏 · 示范区政务服务中心")
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#conn")).to_be_hidden()
    expect(page.locator("#sound")).to_be_hidden()

    # The hall's name, Chinese first, then English (the demo hall's display.english is on); whole.
    hall_name = page.locator(".hall-name")
    expect(hall_name).to_have_text(re.compile(r"^示范区政务服务中心\s*Demo District Government Service Centre$"))
    english = hall_name.locator(".en")
    expect(english).to_be_visible()
    inside(hall_name, english)
    texts_not_cut(page, ".hall-name")
    # The date and time in the hall's zone (Monday 09:30 in Shanghai), not the browser's (Sunday evening).
    clock = page.locator("#clock")
    expect(clock).to_have_text(re.compile(r"^2026年11月23日\s*周一\s*09:30$"))
    inside_viewport(page, clock)

    # Nothing called and no counter open yet: the screen says so.
    expect(page.locator("#latest")).to_be_hidden()
    expect(page.locator("#idle")).to_have_text(re.compile(r"^暂无叫号\s*No calls now\s*过号请到服务台"))
    expect(page.locator("#idle .idle-notice")).to_be_visible()  # an idle screen shows the hall's notice
    inside_viewport(page, page.locator("#idle"))
    expect(page.locator("#recent li")).to_have_count(0)
    expect(page.locator("#counters .tile")).to_have_count(0)

    # Tickets from the machines: the waiting count per group.
    for item in ("SB01", "SB01", "SB02", "BD01"):
        issue(api, item)
    expect(group_count(page, "B")).to_have_text("3")
    expect(group_count(page, "C")).to_have_text("1")
    expect(group_count(page, "A")).to_have_text("0")
    expect(page.locator("#groups .group").filter(has_text="社保医保")).to_contain_text("3人")

    # Opened counters get a tile; a paused one says so; a closed one is not shown.
    for counter in (1, 2, 3):
        act(api, manager, counter, "open")
    expect(page.locator("#counters .tile")).to_have_count(3)
    expect(tile(page, 1)).to_have_text(re.compile(r"^1号 无差别综合窗口\s*—$"))
    act(api, manager, 3, "close")
    expect(page.locator("#counters .tile")).to_have_count(2)
    expect(tile(page, 3)).to_have_count(0)
    act(api, manager, 2, "pause", reason="午休")
    expect(tile(page, 2).locator(".tile-number")).to_have_text("暂停服务（午休）")  # the hall's reason, shown
    expect(tile(page, 2)).to_have_class(re.compile(r"\bpaused\b"))
    for part in (".tile-number", ".tile-name"):  # readable across the hall, not faded
        assert contrast(tile(page, 2).locator(part)) >= 4.5
    act(api, manager, 2, "open")
    expect(tile(page, 2).locator(".tile-number")).to_have_text("—")

    # A call: the number, large, with its counter, flashing for the hall's flash_seconds.
    flash_seconds = page.evaluate("window.SCREEN.hall.flash_seconds")
    assert flash_seconds == 6  # the demo hall's [display]
    assert call_next(api, manager, 1) == "B001"
    latest = page.locator("#latest")
    expect(page.locator("#latest-number")).to_have_text("B001")
    expect(page.locator("#latest-counter")).to_have_text("1号 无差别综合窗口")
    expect(page.locator("#latest-counter-en")).to_have_text("Counter 1")
    expect(page.locator("#latest-item")).to_have_text("社会保险参保登记")
    expect(latest).to_have_class(re.compile(r"\bflash\b"))
    expect(tile(page, 1).locator(".tile-number")).to_have_text("B001")
    expect(group_count(page, "B")).to_have_text("2")
    assert font_px(page.locator("#latest-number")) >= 120, "the newest number is readable across the hall"
    page.clock.run_for(flash_seconds * 1000 - 500)
    expect(latest).to_have_class(re.compile(r"\bflash\b"))
    page.clock.run_for(1_000)
    expect(latest).not_to_have_class(re.compile(r"\bflash\b"))

    # The next call takes its place, flashing; the one before moves to the list.
    assert call_next(api, manager, 2) == "B002"
    expect(page.locator("#latest-number")).to_have_text("B002")
    expect(page.locator("#latest-counter")).to_have_text("2号 无差别综合窗口")
    expect(latest).to_have_class(re.compile(r"\bflash\b"))
    expect(page.locator("#recent li")).to_have_count(1)
    expect(page.locator("#recent li")).to_have_text(re.compile(r"^B001\s*1号 无差别综合窗口$"))
    expect(tile(page, 2).locator(".tile-number")).to_have_text("B002")
    shot(page, "two-calls")

    # A busy hall: all 14 counters open, each calling, more calls than the list holds.
    for item in ITEM_PER_GROUP.values():
        for _ in range(3):
            issue(api, item)
    current = {1: "B001", 2: "B002"}
    for counter in range(3, 15):
        act(api, manager, counter, "open")
        current[counter] = call_next(api, manager, counter)
    for counter in (1, 2):
        act(api, manager, counter, "complete")
        current[counter] = call_next(api, manager, counter)
    expect(page.locator("#latest-number")).to_have_text(current[2])
    page.clock.run_for(flash_seconds * 1000 + 500)
    expect(latest).not_to_have_class(re.compile(r"\bflash\b"))

    expect(page.locator("#counters .tile")).to_have_count(14)
    for counter, number in current.items():
        expect(tile(page, counter).locator(".tile-number")).to_have_text(number)
    queue = api.get("/api/halls/demo/queue").json()
    for group in queue["groups"]:
        expect(group_count(page, group["prefix"])).to_have_text(str(group["waiting"]))

    # All of it on one screen, nothing to scroll, nothing cut.
    fits_without_scrolling(page)
    main_blocks = (".screen-head", ".calls", ".counters", ".waiting", "#latest", "#groups", "#notice", "#clock")
    for selector in main_blocks:
        inside_viewport(page, page.locator(selector))
    for index in range(7):
        inside_viewport(page, page.locator("#groups .group").nth(index))
    for counter in current:
        inside(page.locator(".counters"), tile(page, counter))
        assert font_px(tile(page, counter).locator(".tile-number")) >= 48
    inside(page.locator(".calls"), latest)
    texts_not_cut(page, ".hall-name, .tile-name, #latest-item, #notice")
    # Every earlier call the hall file asks for (recent_calls, the newest one included) is shown whole,
    # newest first, in type read across the hall: none hidden in a column out of sight.
    rows = recent_rows(page)
    assert page.evaluate("window.SCREEN.hall.recent_calls") == 8  # the demo hall's [display]
    assert [row["number"] for row in rows] == [current[c] for c in (1, 14, 13, 12, 11, 10, 9)], rows
    unread = [row for row in rows if row["problems"]]
    assert not unread, f"earlier calls not shown whole: {unread}"
    assert min(row["font"] for row in rows) >= 40, rows
    shot(page, "all-counters")


def until_sound(api: httpx.Client, manager: dict[str, str], audio: str) -> None:
    """Wait until the manager's live view says the hall screen's sound is ``audio`` (with an
    alert while it cannot speak, none once it can)."""
    deadline = time.monotonic() + 10
    while True:
        live = api.get("/api/halls/demo/live", headers=manager).json()
        sounds = [d["audio"] for d in live["devices"] if d["kind"] == "display" and d["connected"]]
        alerted = any(a["about"].endswith(":audio") for a in live["alerts"])
        if sounds == [audio] and alerted == (audio != "ok"):
            return
        assert time.monotonic() < deadline, (audio, sounds, live["alerts"])
        time.sleep(0.1)


def contrast(text: Locator) -> float:
    """WCAG contrast of an element's text against the first opaque background behind it."""
    return text.evaluate(
        """node => {
          const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
          const lum = ([r, g, b]) => [r, g, b].map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
          let back = node, colour = null, alpha = 1;  // a faded element blends into what is behind it
          while (back && !colour) {
            alpha *= Number(getComputedStyle(back).opacity);
            const parts = rgb(getComputedStyle(back).backgroundColor);
            if (parts.length === 3 || parts[3] === 1) colour = parts.slice(0, 3);
            back = back.parentElement;
          }
          colour = colour || [255, 255, 255];
          const text = rgb(getComputedStyle(node).color).slice(0, 3).map((v, i) => alpha * v + (1 - alpha) * colour[i]);
          const [a, b] = [lum(text), lum(colour)];
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }"""
    )


def instrument_voice(page: Page) -> None:
    """Note what the screen's player does, and play at 16 times the speed."""
    page.evaluate(
        """speed => {
          const player = window.SCREEN.player;
          window.voiceEvents = [];
          for (const type of ['play', 'pause', 'ended', 'abort', 'emptied']) {
            player.addEventListener(type, () => window.voiceEvents.push(
              {type, src: new URL(player.currentSrc || player.src, location.href).pathname,
               time: player.currentTime, duration: player.duration}));
          }
          player.defaultPlaybackRate = speed;  // a new source starts at the default rate
          player.playbackRate = speed;
        }""",
        VOICE_SPEED,
    )


def test_hall_screen_lists_only_the_calls_still_at_their_counters(new_page, browser, server, api, manager, shot):
    """「请以下号码到窗口办理」 lists the citizens called and not yet done: one done, or gone
    (过号), or sent on, leaves the list; with none left the screen says 暂无叫号. After a reload
    (a snapshot) the same."""
    page = open_screen(new_page(LANDSCAPE, browser=browser), server)
    for item in ("SB01", "SB01", "SB01"):
        issue(api, item)
    for counter in (1, 2, 3):
        act(api, manager, counter, "open")
    assert [call_next(api, manager, n) for n in (1, 2, 3)] == ["B001", "B002", "B003"]
    expect(page.locator("#latest-number")).to_have_text("B003")
    expect(page.locator("#recent li")).to_have_count(2)
    expect(page.locator("#idle")).to_be_hidden()

    act(api, manager, 1, "complete")  # B001 done: off the list
    expect(page.locator("#recent li")).to_have_count(1)
    expect(page.locator("#recent li")).to_contain_text("B002")
    act(api, manager, 3, "no-show")  # the newest gone (过号): the next one up takes the panel
    expect(page.locator("#latest-number")).to_have_text("B002")
    expect(page.locator("#recent li")).to_have_count(0)
    page.reload()
    wait_for(page, "window.SCREEN.log.snapshots >= 1")
    expect(page.locator("#latest-number")).to_have_text("B002")
    expect(page.locator("#recent li")).to_have_count(0)
    act(api, manager, 2, "complete")
    expect(page.locator("#latest")).to_be_hidden()
    expect(page.locator("#idle")).to_be_visible()
    shot(page, "idle")


def test_hall_screen_voice_plays_calls_one_after_another(new_page, autoplay_browser, server, api, manager) -> None:
    page = new_page(LANDSCAPE, browser=autoplay_browser)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if "/voice/" in request.url else None)
    open_screen(page, server)
    instrument_voice(page)

    for item in ("SB01", "SB01"):
        issue(api, item)
    for counter in (1, 2):
        act(api, manager, counter, "open")
    # Two calls and a recall in quick succession: three announcements, in order, never two at once.
    # The first is said whole once, then cut (others wait); the second, with the recall behind
    # it, in brief; the recall, with nothing behind it, whole.
    assert call_next(api, manager, 1) == "B001"
    assert call_next(api, manager, 2) == "B002"
    assert act(api, manager, 1, "recall")["ticket"]["recalls"] == 1
    first, second = "/halls/demo/voice/call/B001/1", "/halls/demo/voice/call/B002/2"
    wait_for(page, "window.voiceEvents.filter(e => e.type === 'ended').length === 2", timeout=30_000)
    assert page.evaluate("window.SCREEN.log.played") == [first, second + "?form=brief", first]
    assert f"{server.url}{first}" in requested and f"{server.url}{second}?form=brief" in requested
    heard = page.evaluate("window.SCREEN.log.heard")
    assert [(h["number"], h["counter"], h["form"]) for h in heard] == [
        ("B001", 1, "full"),
        ("B002", 2, "brief"),
        ("B001", 1, "full"),
    ]
    expect(page.locator("#sound")).to_be_hidden()
    expect(page.locator("#latest-number")).to_have_text("B001")  # the recall is the newest call again
    expect(page.locator("#recent li").first).to_contain_text("B002")

    # The first was cut only once said whole: the chime and one round of Chinese and English,
    # as long as espeak-ng makes them here (the screen works it out from the file's length).
    cut = page.evaluate("window.SCREEN.log.cut")
    assert [c["url"] for c in cut] == [first]
    settings = demo_hall().voice
    zh, en = (
        len(_speak(text, settings.voice(language), settings.rate)) / 2 / RATE
        for language, text in call_texts(settings, "B001", 1).items()
    )
    one_round = CHIME_SECONDS + zh + PART_GAP + en  # compose(): the chime, Chinese, a pause, English
    assert cut[0]["heard_whole"] == pytest.approx(one_round, abs=0.05)
    assert cut[0]["at"] >= cut[0]["heard_whole"]
    events = page.evaluate("window.voiceEvents")
    plays_and_ends = [(e["type"], e["src"]) for e in events if e["type"] in ("play", "ended")]
    assert plays_and_ends == [
        ("play", first),
        ("play", second),
        ("ended", second),
        ("play", first),
        ("ended", first),
    ], events


def test_hall_screen_voice_keeps_up_when_every_counter_calls_at_once(
    new_page, autoplay_browser, server, api, manager, shot
) -> None:
    """09:00: fourteen counters call within a second. Played at its real speed, with the real
    WAVs made on demand: every call begins to be heard within 15 s, none lost, in order."""
    page = new_page(LANDSCAPE, browser=autoplay_browser)
    open_screen(page, server)
    for item in ITEM_PER_GROUP.values():
        for _ in range(3):
            issue(api, item)
    counters = [*range(6, 15), *range(1, 6)]  # the domain counters first: someone waits for each
    for counter in counters:
        act(api, manager, counter, "open")
    calls = [(call_next(api, manager, counter), counter) for counter in counters]
    wait_for(page, "document.querySelector('.tile.speaking') !== null", timeout=15_000)
    shot(page, "voice-behind")
    wait_for(page, "new Set(window.SCREEN.log.heard.map(h => h.number)).size === 14", timeout=60_000)
    heard = page.evaluate("window.SCREEN.log.heard")
    first: dict[tuple[str, int], dict] = {}
    for h in heard:
        first.setdefault((h["number"], h["counter"]), h)
    assert list(first) == calls, "every call, in the order called"
    said = [(h["number"], h["counter"]) for h in heard]
    assert len(said) - len(set(said)) <= 1, f"none said twice but the one that gave way: {said}"
    heard = list(first.values())
    late = [(h["started"] - h["queued"]) / 1000 for h in heard]
    figures = ROOT / "test-artifacts" / "displays" / "voice-rush.json"
    figures.parent.mkdir(parents=True, exist_ok=True)
    figures.write_text(json.dumps({"calls": calls, "seconds_to_voice": late, "heard": heard}, indent=1))
    assert max(late) < 15, f"seconds from each call to its voice: {late}"
    forms = [h["form"] for h in heard]
    assert forms[-1] == "full", f"whole once nothing waits: {forms}"
    assert set(forms[1:-1]) <= {"brief", "number"} and "number" in forms, f"shorter while behind: {forms}"
    # The first began whole (if it began at all before the rush) and gave way to it, said again.
    cut = page.evaluate("window.SCREEN.log.cut")
    assert [c["again"] for c in cut] == [True] and cut[0]["url"].endswith(f"/{calls[0][0]}/{calls[0][1]}"), cut
    wait_for(page, "window.SCREEN.player.ended", timeout=40_000)
    expect(page.locator(".speaking")).to_have_count(0)


def test_hall_screen_asks_for_a_tap_before_it_may_speak(new_page, browser, server, api, manager, shot) -> None:
    page = new_page(LANDSCAPE, browser=browser)
    # Headless Chromium starts sound whatever --autoplay-policy says, and Playwright's evaluate()
    # counts as a user gesture; a desktop Chromium refuses play() until someone clicks or taps
    # the page. Do what it does.
    page.add_init_script(
        """(() => {
          let tapped = false;
          for (const type of ['pointerdown', 'keydown']) {
            addEventListener(type, (event) => { if (event.isTrusted) tapped = true; }, true);
          }
          const play = HTMLMediaElement.prototype.play;
          HTMLMediaElement.prototype.play = function () {
            if (!tapped) return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
            return play.call(this);
          };
        })()"""
    )
    open_screen(page, server)
    issue(api, "HZ01")
    act(api, manager, 12, "open")
    assert call_next(api, manager, 12) == "D001"
    expect(page.locator("#latest-number")).to_have_text("D001")  # shown at once, whether it may speak or not
    sound = page.locator("#sound")
    expect(sound).to_be_visible()
    expect(sound).to_have_text("点击屏幕启用语音播报 · Tap to enable the voice")
    assert page.evaluate("window.SCREEN.log.played") == []
    shot(page, "tap-for-voice")
    # The screen told the server: the manager sees a silent screen, with an alert.
    until_sound(api, manager, "blocked")

    page.mouse.click(LANDSCAPE["width"] // 2, LANDSCAPE["height"] // 2)
    expect(sound).to_be_hidden()
    wait_for(page, "window.SCREEN.log.played.length === 1")
    assert page.evaluate("window.SCREEN.log.played") == ["/halls/demo/voice/call/D001/12"]
    until_sound(api, manager, "ok")


# ---------------------------------------------------------------- the counter board


@pytest.mark.parametrize("viewport", [LED_STRIP, SMALL_SCREEN], ids=["led-strip", "small-screen"])
def test_counter_board_shows_its_number_or_its_state(new_page, browser, server, api, manager, shot, viewport) -> None:
    page = open_board(new_page(viewport, browser=browser), server, 9)
    assert "token" not in page.url
    expect(page).to_have_title("9号 不动产登记窗口 · 窗口屏")
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#conn")).to_be_hidden()
    name, number, state = page.locator("#board-name"), page.locator("#board-number"), page.locator("#board-state")
    expect(name).to_have_text("9号 不动产登记窗口")
    expect(state).to_have_text("已关闭")
    expect(number).to_be_hidden()

    for item in ("BD01", "BD02", "SB01"):
        issue(api, item)
    clerk = staff_login(api, "zhangwei", "demo-staff")
    act(api, clerk, 9, "sign-in")
    expect(page.locator("#board-staff")).to_have_text("工作人员 张伟")
    act(api, clerk, 9, "open")
    expect(state).to_have_text("请稍候")
    act(api, manager, 8, "open")

    # Its call: the number, as large as the board allows, flashing.
    assert call_next(api, clerk, 9) == "C001"
    expect(number).to_have_text("C001")
    expect(number).to_have_class(re.compile(r"\bflash\b"))
    expect(state).to_have_text("请到本窗口办理")
    expect(page.locator("#board")).to_have_class(re.compile(r"\bserving\b"))
    assert font_px(number) >= 0.3 * min(viewport.values()), "the number fills the board"
    for part in (name, number, state, page.locator("#board-staff")):
        inside_viewport(page, part)
    fits_without_scrolling(page)
    shot(page, "serving")

    # Another counter's call changes nothing here.
    assert call_next(api, manager, 8) == "B001"
    act(api, clerk, 9, "complete")
    expect(number).to_be_hidden()
    expect(state).to_have_text("请稍候")

    act(api, clerk, 9, "pause", reason="午休")
    expect(state).to_have_text("暂停服务（午休）")
    expect(page.locator("#board")).to_have_class(re.compile(r"\bpaused\b"))
    inside_viewport(page, state)
    shot(page, "paused")
    act(api, clerk, 9, "close")
    expect(state).to_have_text("已关闭")
    expect(number).to_be_hidden()
    fits_without_scrolling(page)
    # Everything the board showed, in order: counter 8's call is not among it.
    shown = ["已关闭", "已关闭", "服务中", "C001", "服务中", "暂停服务（午休）", "已关闭"]  # closed, signed in, open, …
    assert page.evaluate("window.BOARD.log.shown") == shown


# ---------------------------------------------------------------- both, through a server restart


def until(page: Page, done: Callable[[], bool], what: str) -> None:
    """Wait for something Playwright tells the test about (its events arrive while the test waits)."""
    deadline = time.monotonic() + 5
    while not done():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        page.wait_for_timeout(50)


def test_screen_and_board_come_back_after_a_server_restart(new_page, browser, server, api, manager, shot) -> None:
    screen = new_page(LANDSCAPE, browser=browser)
    board = new_page(SMALL_SCREEN, browser=browser)
    sockets: dict[Page, list[WebSocket]] = {screen: [], board: []}  # every connection each page opens
    for page, opened in sockets.items():
        page.on("websocket", lambda socket, opened=opened: opened.append(socket))
        pause_clock(page)  # the reconnect timers run only when the test says
    voice: list[Route] = []  # the screen's requests for call WAVs, held until the test lets them go
    screen.route("**/halls/demo/voice/**", lambda route: voice.append(route))
    open_screen(screen, server)
    open_board(board, server, 1)
    first, second = issue(api, "SB01"), issue(api, "SB01")
    act(api, manager, 1, "open")
    assert call_next(api, manager, 1) == first
    expect(screen.locator("#latest-number")).to_have_text(first)
    expect(board.locator("#board-number")).to_have_text(first)
    until(screen, lambda: len(voice) == 1, "the screen to ask for the call's WAV")

    server.kill()  # kill -9: the sockets drop without a goodbye, while the WAV is on its way
    voice[0].continue_()  # to a server that is gone
    screen.unroute("**/halls/demo/voice/**")
    expect(screen.locator("#conn")).to_be_visible()
    expect(screen.locator("#conn")).to_have_text("连接中断，正在重连… · Reconnecting…")
    expect(board.locator("#conn")).to_be_visible()
    expect(screen.locator("#latest-number")).to_have_text(first)  # what was shown stays meanwhile
    expect(board.locator("#board-number")).to_have_text(first)
    # The WAV failed: skipped, and that is not the browser wanting a tap before it may play.
    wait_for(screen, "window.SCREEN.player.error !== null")
    expect(screen.locator("#sound")).to_be_hidden()
    shot(screen, "screen-disconnected")
    shot(board, "board-disconnected")

    # A first retry (after about a second) while the server is down: refused, still disconnected.
    for page, opened in sockets.items():
        page.clock.run_for(1_500)
        until(page, lambda opened=opened: len(opened) == 2 and opened[-1].is_closed(), "a refused retry")
        expect(page.locator("#conn")).to_be_visible()

    restarted = Server(server.env, port=server.port, log=server.log).start()
    try:
        # The next retry comes within the backoff (at most 15 s): connected again, without a reload.
        for page in (screen, board):
            page.clock.run_for(15_000)
        expect(screen.locator("#conn")).to_be_hidden()
        expect(screen.locator("#stale")).to_be_hidden()  # live again: no "may be out of date"
        expect(board.locator("#conn")).to_be_hidden()
        assert [len(opened) for opened in sockets.values()] == [3, 3], "one retry each, and it worked"
        wait_for(screen, "window.SCREEN.log.snapshots === 2")
        expect(screen.locator("#latest-number")).to_have_text(first)

        # A call after the restart shows on both, and is the one announcement the screen plays.
        act(api, manager, 1, "complete")
        assert call_next(api, manager, 1) == second
        expect(screen.locator("#latest-number")).to_have_text(second)
        expect(screen.locator("#recent li")).to_have_count(0)  # the first is done: no longer called
        expect(tile(screen, 1).locator(".tile-number")).to_have_text(second)
        expect(board.locator("#board-number")).to_have_text(second)
        wait_for(screen, "window.SCREEN.log.played.length > 0")
        assert screen.evaluate("window.SCREEN.log.played") == [f"/halls/demo/voice/call/{second}/1"]
        expect(screen.locator("#sound")).to_be_hidden()
        shot(screen, "screen-after-restart")
        shot(board, "board-after-restart")
    finally:
        restarted.stop()


def test_a_screen_cut_off_says_its_numbers_may_be_out_of_date(new_page, browser, server, api, manager, shot) -> None:
    screen = new_page(PORTRAIT, browser=browser)
    pause_clock(screen)
    open_screen(screen, server)
    number = issue(api, "SB01")
    act(api, manager, 1, "open")
    assert call_next(api, manager, 1) == number
    expect(screen.locator("#latest-number")).to_have_text(number)
    stale = screen.locator("#stale")

    server.kill()
    expect(screen.locator("#conn")).to_be_visible()
    screen.clock.run_for(5_000)  # a blip (a restart takes a few seconds): the small badge only
    expect(stale).to_be_hidden()
    screen.clock.run_for(6_000)  # cut off for more than 10 s
    expect(stale).to_be_visible()
    expect(stale).to_contain_text("屏幕上的号码可能不是最新的")
    expect(screen.locator("#stale-since")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    box, view = stale.bounding_box(), screen.viewport_size
    assert (box["width"], box["height"]) == (view["width"], view["height"]), "the whole screen says it"
    shot(screen, "stale")

    restarted = Server(server.env, port=server.port, log=server.log).start()
    try:
        screen.clock.run_for(20_000)  # the next retry, within the backoff
        expect(screen.locator("#conn")).to_be_hidden()
        expect(stale).to_be_hidden()
        expect(screen.locator("#latest-number")).to_have_text(number)
    finally:
        restarted.stop()


# ---------------------------------------------------------------- no device token


def test_a_screen_cut_off_from_the_other_server_by_a_redis_outage_says_so_and_says_what_it_missed(
    new_page, autoplay_browser, tmp_path, shot
) -> None:
    redis_server = RedisServer().start()
    env = {
        "HALL_FILES": str(DEMO_HALL),
        "HALL_LOG_FORMAT": "text",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hall.db'}",
        "REDIS_URL": redis_server.url,
        "HALL_SECRET_KEY": "one-secret-for-both-servers",
        "HALL_DEVICE_HEARTBEAT": "1",
    }
    try:
        with (
            running({**env, "HALL_DATA_DIR": str(tmp_path / "a")}, log=tmp_path / "a.log") as first,
            running({**env, "HALL_DATA_DIR": str(tmp_path / "b")}, log=tmp_path / "b.log") as second,
            httpx.Client(base_url=first.url, timeout=10) as api,
        ):
            manager = staff_login(api, "manager", "demo-manager")
            page = open_screen(new_page(LANDSCAPE, browser=autoplay_browser), second)  # on the other server
            instrument_voice(page)
            for counter in (1, 2):
                issue(api, "HZ01")
                act(api, manager, counter, "open")
            expect(page.locator("#behind")).to_be_hidden()

            redis_server.kill()
            expect(page.locator("#behind")).to_be_visible(timeout=3000)  # its server hears no other now
            expect(page.locator("#behind")).to_contain_text("叫号信息可能滞后")
            missed = [call_next(api, manager, counter) for counter in (1, 2)]  # through the first server
            # Within a heartbeat it learns the record is ahead, resyncs, and says both, oldest first.
            expect(page.locator("#latest-number")).to_have_text(missed[-1], timeout=3000)
            expect(page.locator("#latest-missed .missed")).to_have_text("补报 Late")
            expect(page.locator("#recent li .missed")).to_have_text("补报 Late")
            wait_for(page, "window.SCREEN.log.played.length >= 2", timeout=30_000)
            calls = list(zip(missed, (1, 2), strict=True))
            played = [url.split("?")[0] for url in page.evaluate("window.SCREEN.log.played")]
            assert played == [f"/halls/demo/voice/call/{n}/{c}" for n, c in calls]
            said = [{"number": n, "counter": c, "how": "said"} for n, c in calls]
            assert page.evaluate("window.SCREEN.log.missed") == said
            shot(page, "screen-behind")

            redis_server.start()
            expect(page.locator("#behind")).to_be_hidden(timeout=6000)  # relayed again (shown 3 s at least)
            expect(page.locator("#recent li .missed")).to_have_text("补报 Late")  # still marked while listed
    finally:
        redis_server.kill()


@pytest.mark.parametrize("token", [None, "not-a-device-token"], ids=["missing-token", "wrong-token"])
def test_screens_without_a_valid_token_show_nothing_of_the_hall(
    new_page, browser, server, api, manager, shot, token
) -> None:
    issue(api, "SB01")
    act(api, manager, 1, "open")
    call_next(api, manager, 1)  # there is something to show, to someone with a valid token
    screen = open_screen(new_page(LANDSCAPE, browser=browser), server, token)
    board = open_board(new_page(SMALL_SCREEN, browser=browser), server, 1, token)
    assert "token" not in screen.url and "token" not in board.url

    if token is None:  # a new screen: how to set it up
        expect(screen.locator("#setup")).to_be_visible()
        expect(screen.locator("#setup")).to_contain_text("本屏尚未配置设备令牌")
        expect(screen.locator("#setup")).to_contain_text("/halls/demo/screen#token=")
        expect(board.locator("#setup")).to_be_visible()
        expect(board.locator("#setup")).to_contain_text("/halls/demo/counters/1/board#token=")
        for page in (screen, board):
            expect(page.locator("#conn")).to_be_hidden()  # it does not even try
    else:  # refused at the handshake: no data, it keeps trying
        for page in (screen, board):
            expect(page.locator("#conn")).to_be_visible()
            expect(page.locator("#setup")).to_be_hidden()
    screen.wait_for_timeout(500)  # whatever might arrive would have by now
    expect(screen.locator("#latest")).to_be_hidden()
    expect(screen.locator("#counters .tile")).to_have_count(0)
    expect(screen.locator("#groups .group")).to_have_count(0)
    log = screen.evaluate("window.SCREEN.log")
    assert log == {"calls": [], "played": [], "snapshots": 0, "heard": [], "cut": [], "missed": []}
    expect(board.locator("#board-name")).to_have_text("1号 无差别综合窗口")  # from the page itself
    expect(board.locator("#board-number")).to_be_hidden()
    expect(board.locator("#board-state")).to_have_text("")
    assert board.evaluate("window.BOARD.log.shown") == []
    shot(screen, "screen")
    shot(board, "board")
