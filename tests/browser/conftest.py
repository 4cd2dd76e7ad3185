"""The browser tests' fixtures: Debian's Chromium, headless, through Playwright; pages in fresh
browser contexts; ``hall serve`` as a child process on a fresh data directory, and an API client
on it; the demo hall's manager and a clerk; screenshots into ``test-artifacts/``.

A module that needs the server started otherwise overrides ``server_env`` (the variables ``hall
serve`` gets); one that takes screenshots says where and how by overriding ``shots``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.common import CHROMIUM, CHROMIUM_ARGS, PORTRAIT, Shots, staff_login
from tests.support import DEMO_HALL, Server, running
from tests.test_posts_alerts import open_all_day_hall

# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Never skipped: a machine without the browser fails here (``make system-deps`` installs it).
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk"
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def autoplay_browser(playwright: Playwright) -> Iterator[Browser]:
    """As a hall screen's browser is set up: sound may start without anyone tapping the screen."""
    args = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts (own storage: a new device); fails the test on any script error.

    ``new_page(viewport=PORTRAIT, *, browser=None, **context_options)``: in ``browser``, or the
    ``browser`` fixture's.
    """
    default = browser
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] = PORTRAIT, *, browser: Browser | None = None, **options) -> Page:
        context = (browser or default).new_context(viewport=viewport, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


# ---------------------------------------------------------------- the server


@pytest.fixture
def server_env(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """The variables ``hall serve`` is started with: the demo hall, on a fresh data directory.
    A test parametrized ``server_env="all_day"`` (indirect) has it open round the clock: its
    minutes would change near the real clock's closing time (no call is foreseen after it)."""
    hall = open_all_day_hall(tmp_path) if getattr(request, "param", None) == "all_day" else DEMO_HALL
    return {"HALL_DATA_DIR": str(tmp_path / "var"), "HALL_FILES": str(hall), "HALL_LOG_FORMAT": "text"}


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """``hall serve`` with ``server_env``: by default the demo hall on a fresh data directory."""
    with running(server_env, log=tmp_path / "server.log") as live:
        yield live


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    # idle connections let go before the server's 5 s keep-alive closes them under a request
    with httpx.Client(base_url=server.url, timeout=10, limits=httpx.Limits(keepalive_expiry=2.0)) as client:
        yield client


@pytest.fixture
def manager(api: httpx.Client) -> dict[str, str]:
    return staff_login(api, "manager", "demo-manager")


@pytest.fixture
def clerk(api: httpx.Client) -> dict[str, str]:
    """张伟, not yet signed in anywhere."""
    return staff_login(api, "zhangwei", "demo-staff")


# ---------------------------------------------------------------- screenshots


@pytest.fixture
def shots() -> Shots:
    """Where ``shot`` saves and how: a module that takes screenshots overrides this."""
    return Shots()


@pytest.fixture
def shot(request: pytest.FixtureRequest, artifacts: Path, shots: Shots) -> Callable[..., None]:
    """``shot(page, label, top=None)``: the page's screenshot, as ``shots`` says, and also as
    ``test-artifacts/<top>`` when ``top`` is given."""
    folder = artifacts / shots.folder if shots.folder else None
    if folder:
        folder.mkdir(exist_ok=True)
    test = re.sub(r"[^\w-]+", "-", request.node.name).strip("-")

    def save(page: Page, label: str, top: str | None = None) -> None:
        path = folder / f"{test}--{label}.png" if folder else artifacts / f"{label}.png"
        page.screenshot(path=path, **shots.options)
        if top:  # the named screenshots of the brief, at the top of test-artifacts/
            page.screenshot(path=artifacts / top, **shots.options)

    return save
