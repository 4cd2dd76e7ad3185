"""Accounts and roles, tried as an attacker would: a signed-out token, a disabled account's
token, a revoked device's open websocket, an old password, an inspector trying to change
anything by any route of the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import websockets
from litestar.handlers import HTTPRouteHandler
from litestar.testing import TestClient
from websockets.exceptions import ConnectionClosed, InvalidStatus

from config.app import create_app
from config.audit.models import AuditEntryRow
from config.settings import load_settings
from tests.support import DEMO_HALL, Clock, login, running

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
_MUTATING = {"post", "put", "patch", "delete"}
_SAMPLES = {"integer": "1", "date": "2026-01-05"}


@pytest.fixture
def app_client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    """The demo hall on SQLite (the rules here do not depend on the database; PostgreSQL's
    part, the tables, is in test_migrations)."""
    settings = load_settings(
        env={}, halls=[str(DEMO_HALL)], data_dir=str(tmp_path / "var"), log_format="text", log_level="WARNING"
    )
    with TestClient(create_app(settings, clock=clock, configure_logs=False)) as test_client:
        yield test_client


def _sample(name: str, kinds: dict[str, str]) -> str:
    return "demo" if name == "hall" else _SAMPLES.get(kinds[name], "x")


def _operations(client: TestClient) -> Iterator[tuple[str, str, dict]]:
    """Every operation of the OpenAPI document: its method, its path with sample parameters, itself."""
    document = client.get("/api/docs/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in _MUTATING | {"get"}:
                continue
            kinds = {
                p["name"]: p["schema"].get("format") or p["schema"].get("type")
                for p in operation.get("parameters", [])
                if p["in"] == "path"
            }
            concrete = re.sub(r"\{(\w+)\}", lambda m, kinds=kinds: _sample(m[1], kinds), path)
            yield method, concrete, operation


def _audit(client: TestClient, action: str) -> list[AuditEntryRow]:
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(sa.select(AuditEntryRow.__table__).where(AuditEntryRow.__table__.c.action == action))
        return list(rows)


def test_a_signed_out_token_is_refused_by_every_guard(app_client: TestClient) -> None:
    admin = login(app_client, "admin", "demo-admin")  # an administrator's passes every guard
    other = login(app_client, "admin", "demo-admin")  # the same account on another PC
    assert app_client.get("/api/halls/demo/accounts", headers=admin).status_code == 200
    assert app_client.post("/api/auth/logout", headers=admin).status_code == 204
    guarded = 0
    for method, path, operation in _operations(app_client):
        if operation.get("security") != [{"bearer": []}]:  # no token needed, or optional
            continue
        answer = app_client.request(method, path, headers=admin, json={})
        assert answer.status_code == 401, (method, path, answer.text)
        guarded += 1
    assert guarded > 40
    assert app_client.get("/api/halls/demo/accounts", headers=other).status_code == 200  # only that token ended
    assert app_client.post("/api/auth/logout", headers=KIOSK).status_code == 403  # a device's: an administrator's
    (entry,) = _audit(app_client, "auth.logout")
    assert (entry.actor_kind, entry.actor, entry.role, entry.address) == ("staff", "admin", "admin", "testclient")


def test_a_token_already_used_still_expires_on_time_and_an_altered_one_is_refused(
    app_client: TestClient, clock: Clock
) -> None:
    """The server remembers a token it found genuine (config/crypto.py): not past its expiry,
    and nothing made from it by changing a character."""
    admin = login(app_client, "admin", "demo-admin")
    assert app_client.get("/api/halls/demo/accounts", headers=admin).status_code == 200
    scheme, token = admin["Authorization"].split(" ")
    altered = {"Authorization": f"{scheme} {token[:-1]}{'A' if token[-1] != 'A' else 'B'}"}
    assert app_client.get("/api/halls/demo/accounts", headers=altered).status_code == 401
    clock.advance(hours=12, seconds=-1)
    assert app_client.get("/api/halls/demo/accounts", headers=admin).status_code == 200
    clock.advance(seconds=1)  # token_hours: 12
    assert app_client.get("/api/halls/demo/accounts", headers=admin).status_code == 401


def test_an_inspector_reads_and_changes_nothing_by_any_route(app_client: TestClient) -> None:
    inspector = login(app_client, "inspector", "demo-inspector")
    exempt = {
        path
        for route in app_client.app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(handler, HTTPRouteHandler) and handler.opt.get("own_account")
        for path in handler.paths
    }
    assert exempt == {"/api/auth/login", "/api/auth/logout", "/api/auth/password"}  # his own sign-in, nothing else
    refused = 0
    for method, path, _ in _operations(app_client):
        if method not in _MUTATING or path in exempt:
            continue
        answer = app_client.request(method, path, headers=inspector, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["detail_zh"] == "巡查账号只能查看，不能进行修改", (method, path)
        refused += 1
    assert refused > 30
    # Every mutating route is in the document, so the walk above misses none.
    for route in app_client.app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
                assert handler.include_in_schema, handler.paths
    # What a manager reads, he reads; an administrator's business is not his.
    for path in ("/api/halls/demo/stats", "/api/halls/demo/ratings/stats", "/api/halls/demo/live"):
        assert app_client.get(path, headers=inspector).status_code == 200, path
    assert app_client.get("/api/stats?halls=demo", headers=inspector).status_code == 200
    assert app_client.get("/api/halls/demo/accounts", headers=inspector).status_code == 403
    manager = login(app_client, "manager", "demo-manager")
    assert app_client.post("/api/halls/demo/accounts/staff/lina/disable", headers=manager).status_code == 403


def test_a_disabled_account_cannot_sign_in_and_its_tokens_stop_working(app_client: TestClient) -> None:
    clerk = login(app_client, "zhangwei", "demo-staff")
    admin = login(app_client, "admin", "demo-admin")
    tickets = "/api/halls/demo/tickets"
    assert app_client.get(tickets, headers=clerk).status_code == 200
    disabled = app_client.post("/api/halls/demo/accounts/staff/zhangwei/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert app_client.get(tickets, headers=clerk).status_code == 401
    credentials = {"hall": "demo", "username": "zhangwei", "password": "demo-staff"}
    refused = app_client.post("/api/auth/login", json=credentials)
    assert refused.status_code == 403 and refused.json()["detail_zh"] == "该账号已停用，请联系系统管理员"
    wrong = app_client.post("/api/auth/login", json={**credentials, "password": "not-his"})
    assert wrong.status_code == 401  # a guesser learns nothing of the account
    assert app_client.post("/api/halls/demo/accounts/staff/zhangwei/enable", headers=admin).status_code == 200
    assert app_client.get(tickets, headers=clerk).status_code == 401  # the tokens of before stay ended
    assert app_client.get(tickets, headers=login(app_client, "zhangwei", "demo-staff")).status_code == 200
    itself = app_client.post("/api/halls/demo/accounts/staff/admin/disable", headers=admin)
    assert itself.status_code == 409  # the hall is not left without its administrator
    unknown = app_client.post("/api/halls/demo/accounts/staff/nobody/disable", headers=admin)
    assert unknown.status_code == 404
    # A device: its token stops working, and works again once enabled.
    assert app_client.post(tickets, headers=KIOSK, json={"item": "SB01"}).status_code == 201
    assert app_client.post("/api/halls/demo/accounts/devices/kiosk-1/disable", headers=admin).status_code == 200
    assert app_client.post(tickets, headers=KIOSK, json={"item": "SB01"}).status_code == 401
    listed = app_client.get("/api/halls/demo/accounts", headers=admin).json()
    assert {d["name"]: d["disabled"] for d in listed["devices"]}["kiosk-1"] is True
    assert app_client.post("/api/halls/demo/accounts/devices/kiosk-1/enable", headers=admin).status_code == 200
    assert app_client.post(tickets, headers=KIOSK, json={"item": "SB01"}).status_code == 201
    # Each change is in the audit trail: who, from where, to whom.
    changes = [(e.action, e.actor, e.target, e.address) for e in _audit(app_client, "account.disabled")]
    assert changes == [("account.disabled", "admin", "staff zhangwei", "testclient")]
    assert [e.target for e in _audit(app_client, "device.disabled")] == ["device kiosk-1"]
    assert len(_audit(app_client, "account.enabled")) == len(_audit(app_client, "device.enabled")) == 1


def test_a_password_change_ends_the_old_password_and_the_tokens(app_client: TestClient) -> None:
    first = login(app_client, "zhangwei", "demo-staff")
    second = login(app_client, "zhangwei", "demo-staff")
    change = {"old_password": "guess-what", "new_password": "a-new-password"}
    wrong = app_client.post("/api/auth/password", headers=first, json=change)
    assert wrong.status_code == 403 and wrong.json()["detail_zh"] == "原密码不正确"
    short = app_client.post(
        "/api/auth/password", headers=first, json={"old_password": "demo-staff", "new_password": "x"}
    )
    assert short.status_code == 400
    changed = app_client.post("/api/auth/password", headers=first, json={**change, "old_password": "demo-staff"})
    assert changed.status_code == 200
    fresh = {"Authorization": "Bearer " + changed.json()["token"]}
    assert app_client.get("/api/halls/demo/tickets", headers=fresh).status_code == 200
    for old in (first, second):  # whoever saw the old password and signed in with it is out
        assert app_client.get("/api/halls/demo/tickets", headers=old).status_code == 401
    credentials = {"hall": "demo", "username": "zhangwei"}
    assert app_client.post("/api/auth/login", json={**credentials, "password": "demo-staff"}).status_code == 401
    assert app_client.post("/api/auth/login", json={**credentials, "password": "a-new-password"}).status_code == 200
    long_name = {**credentials, "username": "x" * 10_000, "password": "y"}  # the throttle keys on a digest
    assert app_client.post("/api/auth/login", json=long_name).status_code == 401
    # An administrator sets another's: the same.
    admin = login(app_client, "admin", "demo-admin")
    lina = login(app_client, "lina", "demo-staff")
    set_ = app_client.put(
        "/api/halls/demo/accounts/staff/lina/password", headers=admin, json={"password": "given-by-admin"}
    )
    assert set_.status_code == 200 and set_.json()["password_set"] is True
    assert app_client.get("/api/halls/demo/tickets", headers=lina).status_code == 401
    lina_login = {"hall": "demo", "username": "lina"}
    assert app_client.post("/api/auth/login", json={**lina_login, "password": "demo-staff"}).status_code == 401
    assert app_client.post("/api/auth/login", json={**lina_login, "password": "given-by-admin"}).status_code == 200
    assert [e.actor for e in _audit(app_client, "account.password_changed")] == ["zhangwei"]
    assert [e.target for e in _audit(app_client, "account.password_set")] == ["staff lina"]


def test_an_ended_token_closes_its_open_websockets_in_another_process(tmp_path: Path) -> None:
    """Two server processes on one database: the screen's and a manager's channels are open on
    one; the device is disabled and the manager signs out on the other; both channels close
    within two seconds, and the tokens are refused there from then on."""
    env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(tmp_path), "HALL_LOG_FORMAT": "text"}
    with running(env) as one, running(env) as other:
        api = httpx.Client(base_url=one.url, timeout=10)
        admin = login(api, "admin", "demo-admin")
        manager = login(api, "manager", "demo-manager")
        manager_token = manager["Authorization"].split()[1]
        base = other.url.replace("http", "ws")

        async def watch() -> dict[str, tuple[int | None, float]]:
            screen = await websockets.connect(f"{base}/ws/halls/demo?token=demo-screen-token")
            live = await websockets.connect(f"{base}/ws/halls/demo/manage?token={manager_token}")
            for socket in (screen, live):
                json.loads(await asyncio.wait_for(socket.recv(), 10))  # the first view: the channel is open

            async def until_closed(socket: websockets.ClientConnection, started: float) -> tuple[int | None, float]:
                with pytest.raises(ConnectionClosed):
                    while True:
                        await asyncio.wait_for(socket.recv(), 10)
                return socket.close_code, time.monotonic() - started

            started = time.monotonic()
            revoke = asyncio.to_thread(
                api.post, "/api/halls/demo/accounts/devices/hall-screen-1/disable", headers=admin
            )
            leave = asyncio.to_thread(api.post, "/api/auth/logout", headers=manager)
            assert [r.status_code for r in await asyncio.gather(revoke, leave)] == [200, 204]
            closed = await asyncio.gather(until_closed(screen, started), until_closed(live, started))
            for token, path in (("demo-screen-token", ""), (manager_token, "/manage")):
                with pytest.raises(InvalidStatus):
                    await websockets.connect(f"{base}/ws/halls/demo{path}?token={token}")
            return {"screen": closed[0], "manager": closed[1]}

        closed = asyncio.run(watch())
        for who, (code, seconds) in closed.items():
            assert code == 4401 and seconds < 2.0, (who, code, seconds)
        assert httpx.get(f"{other.url}/api/halls/demo/live", headers=manager, timeout=10).status_code == 401


def test_a_disabled_reader_reads_no_other_halls_figures(app_client: TestClient) -> None:
    auth = app_client.app.state.auth
    manager = auth.authenticate(login(app_client, "manager", "demo-manager")["Authorization"])
    assert auth.reads_reports_of(manager, "demo")
    admin = login(app_client, "admin", "demo-admin")
    assert app_client.post("/api/halls/demo/accounts/staff/manager/disable", headers=admin).status_code == 200
    assert not auth.reads_reports_of(manager, "demo")


def test_a_token_newer_than_this_processs_copy_works_and_an_older_state_does_not_come_back(
    app_client: TestClient,
) -> None:
    """Another process changed the password (the new token's generation is ahead of this
    process's copy): the new token works at once; and a read of the states that began before
    a change here does not bring the change back undone."""
    auth = app_client.app.state.auth
    clerk = login(app_client, "zhangwei", "demo-staff")
    changed = app_client.post(
        "/api/auth/password", json={"old_password": "demo-staff", "new_password": "a-new-one-2026"}, headers=clerk
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['token']}"}
    auth.states._states.pop(("demo", "staff", "zhangwei"))  # as another process, before its next read
    assert auth.authenticate(fresh["Authorization"]) is not None
    assert auth.authenticate(clerk["Authorization"]) is None


def test_a_device_is_found_among_many_halls_and_follows_its_hall_file(tmp_path: Path) -> None:
    """A device's token names its hall, whichever of the process's halls it is; a token added
    to a hall file works at its first request, and one taken out stops working once the file
    has been looked at again (within ``RECHECK_SECONDS``)."""
    import hashlib
    import os

    from config.accounts import AccountBook
    from config.halls import load_hall

    text = DEMO_HALL.read_text()

    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def hall_file(hall: str) -> str:
        """The demo hall as ``hall``, its devices' tokens ``<hall>-kiosk-token`` and so on."""
        own = text.replace('\nid = "demo"\n', f'\nid = "{hall}"\n', 1)
        for device in ("kiosk", "reception", "screen", "board"):
            own = own.replace(digest(f"demo-{device}-token"), digest(f"{hall}-{device}-token"))
        return own

    paths = []
    for hall in ("h1", "h2", "h3"):
        path = tmp_path / f"{hall}.toml"
        path.write_text(hall_file(hall))
        paths.append(path)
    book = AccountBook([load_hall(path) for path in paths])
    assert book.device("h3-kiosk-token")[0] == "h3"  # type: ignore[index]
    assert book.device("h1-screen-token")[1].kind == "display"  # type: ignore[index]
    assert book.device("nobody's-token") is None

    added = paths[1].read_text() + (
        f'\n[[devices]]\nname = "kiosk-new"\nkind = "ticket_machine"\ntoken_sha256 = "{digest("h2-new-kiosk-token")}"\n'
    )
    paths[1].write_text(added)
    os.utime(paths[1], (time.time() + 5, time.time() + 5))  # a new modification time, whatever the clock's grain
    found = book.device("h2-new-kiosk-token")
    assert found is not None and found[0] == "h2" and found[1].name == "kiosk-new"

    paths[1].write_text(hall_file("h2"))
    os.utime(paths[1], (time.time() + 10, time.time() + 10))
    book.RECHECK_SECONDS = 0.0  # the next request looks at the files
    assert book.device("h2-new-kiosk-token") is None
    assert book.device("h2-kiosk-token")[0] == "h2"  # type: ignore[index]
