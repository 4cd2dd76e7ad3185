"""The ``hall`` command, run as an operator runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from config.database import connect_engine
from config.halls import load_hall
from config.migrations import head
from displays.voice import compose
from displays.voicepack import CLIP_FILES, DEFAULT_PACK, load_pack
from tests.support import DEMO_HALL, ROOT, SMALL_HALL, running


def hall(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "config.cli", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_halls_and_check(tmp_path: Path) -> None:
    env = {"HALL_FILES": f"{DEMO_HALL}:{SMALL_HALL}", "HALL_DATA_DIR": str(tmp_path)}
    listed = hall("halls", env=env)
    assert listed.returncode == 0
    assert "demo\t示范区政务服务中心" in listed.stdout and "14 counters" in listed.stdout and "small" in listed.stdout
    checked = hall("check", env=env)
    assert checked.returncode == 0 and f"ok  {DEMO_HALL}" in checked.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(SMALL_HALL.read_text().replace('kind = "pickup"', 'kind = "lounge"'))
    failed = hall("check", env={**env, "HALL_FILES": str(broken)})
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"error: {broken}: counters[3].kind: Invalid enum value 'lounge'")


def test_add_staff_and_device_then_use_them(tmp_path: Path) -> None:
    halls = tmp_path / "halls"
    halls.mkdir()
    shutil.copy(DEMO_HALL, halls / "demo.toml")  # the demo issues at any hour; this runs on the real clock
    env = {"HALL_FILES": str(halls), "HALL_DATA_DIR": str(tmp_path / "var"), "HALL_LOG_FORMAT": "text"}
    with running(env) as server:
        added = hall(
            "add-staff",
            "--hall",
            "demo",
            "--username",
            "newbie",
            "--name",
            "新同事",
            "--password-stdin",
            env=env,
            stdin="a-good-password\n",
        )
        assert added.returncode == 0, added.stderr
        device = hall("add-device", "--hall", "demo", "--name", "kiosk-2", env=env)
        assert device.returncode == 0, device.stderr
        token = device.stdout.split("keep it on the device): ")[1].split()[0]
        # The running server picks both up without a restart.
        login = httpx.post(
            f"{server.url}/api/auth/login",
            json={"hall": "demo", "username": "newbie", "password": "a-good-password"},
            timeout=10,
        )
        assert login.status_code == 200 and login.json()["name"] == "新同事"
        ticket = httpx.post(
            f"{server.url}/api/halls/demo/tickets",
            json={"item": "SB01"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert ticket.status_code == 201, ticket.text
    again = hall(
        "add-staff",
        "--hall",
        "demo",
        "--username",
        "newbie",
        "--name",
        "x",
        "--password-stdin",
        env=env,
        stdin="a-good-password\n",
    )
    assert again.returncode == 2 and "exists already" in again.stderr
    short = hall(
        "add-staff",
        "--hall",
        "demo",
        "--username",
        "other",
        "--name",
        "x",
        "--password-stdin",
        env=env,
        stdin="short\n",
    )
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_an_evaluation_pad_is_added_bound_to_its_counter(tmp_path: Path) -> None:
    shutil.copy(DEMO_HALL, tmp_path / "demo.toml")
    env = {"HALL_FILES": str(tmp_path / "demo.toml"), "HALL_DATA_DIR": str(tmp_path / "var")}
    unbound = hall("add-device", "--hall", "demo", "--name", "pad-x", "--kind", "evaluation_pad", env=env)
    assert unbound.returncode == 2 and "needs --counter" in unbound.stderr
    added = hall(
        "add-device", "--hall", "demo", "--name", "pad-x", "--kind", "evaluation_pad", "--counter", "3", env=env
    )
    assert added.returncode == 0, added.stderr
    assert "/halls/demo/counters/3/pad#token=" in added.stdout
    [pad] = [d for d in load_hall(tmp_path / "demo.toml").devices if d.name == "pad-x"]
    assert (pad.kind, pad.counter) == ("evaluation_pad", 3)
    nowhere = hall(
        "add-device", "--hall", "demo", "--name", "pad-y", "--kind", "evaluation_pad", "--counter", "99", env=env
    )
    assert nowhere.returncode == 2 and "devices[" in nowhere.stderr and "no counter 99" in nowhere.stderr


def test_migrate_and_rebuild(tmp_path: Path) -> None:
    env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(tmp_path), "HALL_LOG_FORMAT": "text"}
    migrated = hall("migrate", env=env)
    assert migrated.returncode == 0 and f"schema at revision {head()}" in migrated.stdout
    with running(env) as server:
        for item in ("SB01", "QY01", "HZ01"):
            httpx.post(
                f"{server.url}/api/halls/demo/tickets",
                json={"item": item},
                headers={"Authorization": "Bearer demo-kiosk-token"},
                timeout=10,
            ).raise_for_status()
    rebuilt = hall("rebuild", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "demo: replayed 18 events" in rebuilt.stdout and "identical to the live state" in rebuilt.stdout


def test_names_with_quotes_and_control_characters_cannot_break_the_hall_file(tmp_path: Path) -> None:
    halls = tmp_path / "halls"
    halls.mkdir()
    shutil.copy(SMALL_HALL, halls / "small.toml")
    before = (halls / "small.toml").read_bytes()
    env = {"HALL_FILES": str(halls), "HALL_DATA_DIR": str(tmp_path / "var")}
    tricky = 'x"\nrole = "admin'
    added = hall(
        "add-staff",
        "--hall",
        "small",
        "--username",
        "mallory",
        "--name",
        tricky,
        "--password-stdin",
        env=env,
        stdin="a-good-password\n",
    )
    assert added.returncode == 0, added.stderr
    from config.halls import load_hall

    mallory = next(s for s in load_hall(halls / "small.toml").staff if s.username == "mallory")
    assert mallory.name == tricky and mallory.role == "staff"  # the name stayed a name
    # A username the hall file refuses leaves the file exactly as it was.
    refused = hall(
        "add-staff",
        "--hall",
        "small",
        "--username",
        "Bad Name",
        "--name",
        "x",
        "--password-stdin",
        env=env,
        stdin="a-good-password\n",
    )
    assert refused.returncode == 2 and "staff[4].username" in refused.stderr
    assert str(halls / "small.toml") in refused.stderr and ".draft" not in refused.stderr
    assert (halls / "small.toml").read_bytes().startswith(before)
    assert sorted(p.name for p in halls.iterdir()) == ["small.toml"]


def test_voice_pack_make_and_check(tmp_path: Path) -> None:
    """``make``: the default pack's clips, said by espeak-ng; ``check``: what a recorder should
    fix, and a sample call written to a WAV as long as the pack's clips make it."""
    made = hall("voice-pack", "make", str(tmp_path / "made"), env={})
    assert made.returncode == 0 and made.stdout.startswith(f"{len(CLIP_FILES)} clips in"), made.stderr
    pack = load_pack(tmp_path / "made")
    assert set(pack.clips) == set(load_pack(DEFAULT_PACK).clips) and pack.info.sample_rate == 16000
    assert (tmp_path / "made" / "voice-pack.toml").read_text() == (DEFAULT_PACK / "voice-pack.toml").read_text()

    sample = tmp_path / "call.wav"
    checked = hall("voice-pack", "check", str(tmp_path / "made"), "--out", str(sample), env={})
    assert checked.returncode == 0 and "warning" not in checked.stdout, checked.stdout + checked.stderr
    assert (
        "请A零一二号到23号窗口办理: 请 + A + 零 + 一 + 二 + 号 + 到 + 二 + 十 + 三 + 号 + 窗口 + 办理" in checked.stdout
    )
    plan, _ = pack.plan("请A零一二号到23号窗口办理")
    assert sample.read_bytes() == compose([pack.pcm(plan)], 2, True)

    (tmp_path / "made" / "letter-B.wav").unlink()
    manifest = tmp_path / "made" / "voice-pack.toml"
    manifest.write_text(manifest.read_text().replace('"B" = "letter-B.wav"\n', ""))
    lacking = hall("voice-pack", "check", str(tmp_path / "made"), env={})
    assert lacking.returncode == 1 and "warning  no clip for 'B' (a call may need it)" in lacking.stdout
    cannot = hall("voice-pack", "check", str(tmp_path / "made"), "--number", "B001", env={})
    assert cannot.returncode == 1 and "cannot say '请B零零一号到23号窗口办理': no clip for 'B'" in cannot.stderr
    (tmp_path / "made" / "qing.wav").write_bytes(b"RIFF")
    broken = hall("voice-pack", "check", str(tmp_path / "made"), env={})
    assert (
        broken.returncode == 2
        and f"error: {manifest}: clips.请: {tmp_path / 'made' / 'qing.wav'}: not a PCM" in broken.stderr
    )


def test_accounts_disabled_enabled_and_passwords_set_by_command(tmp_path: Path) -> None:
    env = {"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(tmp_path), "HALL_LOG_FORMAT": "text"}

    def sign_in(server, username: str, password: str) -> httpx.Response:  # type: ignore[no-untyped-def]
        body = {"hall": "demo", "username": username, "password": password}
        return httpx.post(f"{server.url}/api/auth/login", json=body, timeout=10)

    with running(env) as server:
        token = sign_in(server, "zhangwei", "demo-staff").json()["token"]
        mine = {"Authorization": f"Bearer {token}"}
        disabled = hall("disable", "--hall", "demo", "--staff", "zhangwei", env=env)
        assert disabled.returncode == 0, disabled.stderr
        time.sleep(1.5)  # the server reads the accounts' states every second
        assert httpx.get(f"{server.url}/api/halls/demo/tickets", headers=mine, timeout=10).status_code == 401
        assert sign_in(server, "zhangwei", "demo-staff").status_code == 403
        assert hall("enable", "--hall", "demo", "--staff", "zhangwei", env=env).returncode == 0
        assert sign_in(server, "zhangwei", "demo-staff").status_code == 200
        assert hall("set-password", "--hall", "demo", "--username", "lina", "--password-stdin", env=env,
                    stdin="set-by-command\n").returncode == 0  # fmt: skip
        assert sign_in(server, "lina", "demo-staff").status_code == 401
        assert sign_in(server, "lina", "set-by-command").status_code == 200
        wrong = hall("change-password", "--hall", "demo", "--username", "lina", "--password-stdin", env=env,
                     stdin="demo-staff\nher-own-choice\n")  # fmt: skip
        assert wrong.returncode == 2 and "not the present password" in wrong.stderr
        assert hall("change-password", "--hall", "demo", "--username", "lina", "--password-stdin", env=env,
                    stdin="set-by-command\nher-own-choice\n").returncode == 0  # fmt: skip
        assert sign_in(server, "lina", "her-own-choice").status_code == 200
        kiosk = {"Authorization": "Bearer demo-kiosk-token"}
        assert hall("disable", "--hall", "demo", "--device", "kiosk-1", env=env).returncode == 0
        time.sleep(1.5)
        refused = httpx.post(f"{server.url}/api/halls/demo/tickets", json={"item": "SB01"}, headers=kiosk, timeout=10)
        assert refused.status_code == 401
    unknown = hall("disable", "--hall", "demo", "--staff", "nobody", env=env)
    assert unknown.returncode == 2 and "no account 'nobody'" in unknown.stderr
    engine = connect_engine(f"sqlite:///{tmp_path / 'hall.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT actor_kind, action, target FROM audit_entry WHERE actor_kind = 'command'"))
        recorded = [(r.action, r.target) for r in rows]
    assert recorded == [
        ("account.disabled", "staff zhangwei"),
        ("account.enabled", "staff zhangwei"),
        ("account.password_set", "staff lina"),
        ("account.password_changed", "staff lina"),
        ("device.disabled", "device kiosk-1"),
    ]
