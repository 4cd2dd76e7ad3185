"""The ``hall`` command, run as an operator runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from config.migrations import head
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
