"""What a real hall must be given to start, and what it then keeps to: its key from outside
the data folder (so a backup of the folder opens nothing), its public address in every QR code
and link (so a forged Host header decides none), and a key rotation that loses nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from litestar.testing import TestClient

from appointments.people import Contact, PersonKeys
from config.app import create_app
from config.halls import ConfigError, load_halls
from config.settings import Settings, check_deployment, load_settings
from printers.api import qr_svg
from tests.escpos_decoder import decode
from tests.support import DEMO_HALL, ROOT, SMALL_HALL, Clock, booking_request, login, person, phone_code, running
from tests.test_cli import hall
from tests.test_printing import KIOSK, PrinterStandIn, hall_file, issue, job_after
from tests.test_printing import env as printing_env

PUBLIC = "https://queue.example.gov.cn"
FORGED = {"Host": "evil.example"}


def real_hall(tmp_path: Path, **given: object) -> Settings:
    """The small test hall (not the demo), on a fresh data folder, given ``given``."""
    return load_settings(env={}, halls=[str(SMALL_HALL)], data_dir=str(tmp_path / "var"), **given)


def test_a_real_hall_does_not_start_with_its_key_in_its_data_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HALL_SECRET_KEY or HALL_SECRET_KEY_FILE") as refused:
        create_app(real_hall(tmp_path, public_url=PUBLIC), configure_logs=False)
    assert "data folder" in str(refused.value)
    assert not (tmp_path / "var" / "secret.key").exists()  # nothing made where a backup would carry it
    inside = tmp_path / "var" / "keys" / "hall.key"
    with pytest.raises(ConfigError, match=r"HALL_SECRET_KEY_FILE .* is inside the data folder"):
        create_app(real_hall(tmp_path, public_url=PUBLIC, secret_key_file=str(inside)), configure_logs=False)
    outside = tmp_path / "keys" / "hall.key"
    outside.parent.mkdir()
    outside.write_text("k" * 32 + "\n")
    settings = real_hall(tmp_path, public_url=PUBLIC, secret_key_file=str(outside))
    check_deployment(settings, load_halls(settings.halls))  # nothing refused
    assert settings.secret() == b"k" * 32


def test_a_real_hall_does_not_start_without_its_public_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HALL_PUBLIC_URL"):
        create_app(real_hall(tmp_path, secret_key="k" * 32), configure_logs=False)
    with pytest.raises(ConfigError, match=r"HALL_PUBLIC_URL \(public_url\): 'queue.example.gov.cn'"):
        create_app(real_hall(tmp_path, secret_key="k" * 32, public_url="queue.example.gov.cn"), configure_logs=False)


def test_hall_serve_says_which_setting_a_real_hall_needs(tmp_path: Path) -> None:
    env = {"HALL_FILES": str(SMALL_HALL), "HALL_DATA_DIR": str(tmp_path / "var"), "HALL_PORT": "0"}
    refused = hall("serve", env=env)
    assert refused.returncode == 2 and "HALL_SECRET_KEY" in refused.stderr, refused.stderr
    refused = hall("serve", env={**env, "HALL_SECRET_KEY": "k" * 32})
    assert refused.returncode == 2 and "HALL_PUBLIC_URL" in refused.stderr, refused.stderr


def test_the_demo_starts_with_nothing_set(tmp_path: Path) -> None:
    settings = load_settings(env={}, data_dir=str(tmp_path / "var"), log_format="text")  # as `make demo`
    with TestClient(create_app(settings, configure_logs=False)) as client:
        assert client.get("/api/halls").status_code == 200
    assert (tmp_path / "var" / "secret.key").is_file()  # the demo's key, where the demo keeps it
    assert settings.public_base == "http://127.0.0.1:8000"  # what `make demo` serves
    assert load_settings(env={}, host="0.0.0.0", port=9000).public_base == "http://127.0.0.1:9000"


@pytest.mark.parametrize("public_url", ["", PUBLIC + "/"])
def test_a_forged_host_header_changes_no_qr_code_or_link(tmp_path: Path, public_url: str) -> None:
    """The demo with nothing set (its links name the server as started) and a hall given its
    public address: the QR codes and the kiosk's link are the same whatever Host is sent."""
    settings = load_settings(env={}, data_dir=str(tmp_path / "var"), public_url=public_url)
    base = public_url.rstrip("/") or "http://127.0.0.1:8000"
    with TestClient(create_app(settings, clock=Clock(), configure_logs=False)) as client:
        ticket = client.post("/api/halls/demo/tickets", json={"item": "QY01"}, headers={**KIOSK, **FORGED}).json()
        qr = f"/halls/demo/tickets/{ticket['id']}/qr.svg"
        expected = qr_svg(f"{base}/halls/demo/tickets/{ticket['id']}")
        assert client.get(qr, headers=FORGED).content == expected == client.get(qr).content
        booked = client.post(
            "/api/halls/demo/appointments",
            json=booking_request(
                "QY01", "2026-11-24T10:00:00+08:00", person(1), phone_code=phone_code(client, "13812340001")
            ),
            headers=FORGED,
        ).json()
        booking_qr = client.get(f"/halls/demo/appointments/{booked['code']}/qr.svg", headers=FORGED)
        assert booking_qr.content == qr_svg(f"{base}/halls/demo/appointments/{booked['code']}")
        kiosk = client.get("/halls/demo/kiosk", headers=FORGED).text
        assert f'data-base="{base}"' in kiosk and "evil.example" not in kiosk


def test_the_printed_slip_holds_the_public_url_whatever_the_host_header(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}')
    given = printing_env(tmp_path, hall, HALL_PUBLIC_URL=PUBLIC)
    with running(given, log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c, headers={**KIOSK, **FORGED})
        assert job_after(c, ticket["print_job"])["state"] == "printed"
        [slip] = printer.wait_for(1)
        [qr] = decode(slip).qr_codes
        assert qr.payload == f"{PUBLIC}/halls/demo/tickets/{ticket['id']}?k={ticket['rating_key']}"
    printer.close()


def test_a_key_rotation_keeps_every_booking_and_mints_no_token_with_the_old_key(tmp_path: Path) -> None:
    """Old key A, new key B: B writes, A is still read for sealed contacts and ID numbers'
    keyed hashes, never for tokens (a key rotated out may have leaked: everyone signs in
    again); `hall rekey` seals the contacts with B; then a booking proves its phone with B
    alone."""
    old, new = "old-key-" + "a" * 24, "new-key-" + "b" * 24
    clock = Clock()

    def app(secret: str, *before: str) -> TestClient:
        settings = load_settings(
            env={}, halls=[str(DEMO_HALL)], data_dir=str(tmp_path / "var"), secret_key=secret,
            old_secret_keys=list(before), public_url=PUBLIC,
        )  # fmt: skip
        return TestClient(create_app(settings, clock=clock, configure_logs=False))

    base = "/api/halls/demo/appointments"
    with app(old) as client:
        manager = login(client, "manager", "demo-manager")
        first = client.post(
            base,
            json=booking_request(
                "QY01", "2026-11-24T10:00:00+08:00", person(1), phone_code=phone_code(client, str(person(1)["phone"]))
            ),
        ).json()
        second = client.post(
            base,
            json=booking_request(
                "QY01", "2026-11-24T10:30:00+08:00", person(2), phone_code=phone_code(client, str(person(2)["phone"]))
            ),
        ).json()
    proof = {"id_number": person(1)["id_number"], "phone": person(1)["phone"]}
    with app(new, old) as client:
        assert client.get("/api/halls/demo/appointments/today", headers=manager).status_code == 401  # A's token
        again = login(client, "manager", "demo-manager")
        assert client.get("/api/halls/demo/appointments/today", headers=again).status_code == 200
        assert [b["code"] for b in client.post(f"{base}/find", json=proof).json()] == [first["code"]]
        third = client.post(
            base,
            json=booking_request(
                "QY01", "2026-11-24T11:00:00+08:00", person(3), phone_code=phone_code(client, str(person(3)["phone"]))
            ),
        ).json()
    rekey = hall("rekey", env={"HALL_FILES": str(DEMO_HALL), "HALL_DATA_DIR": str(tmp_path / "var"),
                               "HALL_SECRET_KEY": new, "HALL_OLD_SECRET_KEYS": old})  # fmt: skip
    assert rekey.returncode == 0, rekey.stderr
    assert "3 booking contacts and 0 rating phones sealed with the new key" in rekey.stdout
    with app(new) as client:  # after `hall rekey`, the contacts open with B alone
        cancelled = client.post(f"{base}/{second['code']}/cancel", json={"phone": person(2)["phone"]})
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
        by_number = client.post(f"{base}/{third['code']}/cancel", json={"id_number": person(3)["id_number"]})
        assert by_number.status_code == 200, by_number.text  # keyed with B when it was made


def test_a_contact_opens_with_the_key_that_sealed_it_until_sealed_again() -> None:
    old, rotated = PersonKeys(b"a" * 32), PersonKeys(b"b" * 32, [b"a" * 32])
    contact = Contact("13812340001", "", "张三")
    sealed = old.seal(contact)
    assert rotated.open(sealed) == contact and rotated.open(rotated.seal(contact)) == contact
    with pytest.raises(InvalidTag):
        PersonKeys(b"b" * 32).open(sealed)  # the old key is needed until `hall rekey`
    assert PersonKeys(b"b" * 32).open(rotated.reseal(sealed)) == contact
    # the same person is found under either key; the new key is the one written
    assert rotated.person_keys(person(1)["id_number"]) == [
        PersonKeys(b"b" * 32).person_key(person(1)["id_number"]),
        old.person_key(person(1)["id_number"]),
    ]


def test_a_hall_file_dropped_beside_the_demos_is_a_real_hall(tmp_path: Path) -> None:
    """Only the files the project ships are the demo: another in config/halls/ (the default
    folder) needs its key and address like any real hall."""
    dropped = DEMO_HALL.parent / f"zz-{tmp_path.name}.toml"
    dropped.write_text(SMALL_HALL.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        settings = load_settings(env={}, halls=[str(dropped)], data_dir=str(tmp_path / "var"))
        with pytest.raises(ConfigError, match="HALL_SECRET_KEY"):
            check_deployment(settings, load_halls(settings.halls))
    finally:
        dropped.unlink()


def test_a_hall_that_ran_on_its_made_key_is_not_started_on_another(tmp_path: Path) -> None:
    """The key the demo start made in the data folder sealed this hall's contacts: a new key
    set without it would leave them unopenable, so the start is refused, saying what to do."""
    made = tmp_path / "var" / "secret.key"
    made.parent.mkdir()
    made.write_text("m" * 64)
    with pytest.raises(ConfigError, match=r"secret.key: the key this hall ran with .* HALL_OLD_SECRET_KEYS"):
        check_deployment(real_hall(tmp_path, secret_key="k" * 32, public_url=PUBLIC), load_halls([str(SMALL_HALL)]))
    listed = real_hall(tmp_path, secret_key="k" * 32, public_url=PUBLIC, old_secret_keys=["m" * 64])
    check_deployment(listed, load_halls(listed.halls))  # kept for reading: starts
    with pytest.raises(ConfigError, match="HALL_SECRET_KEY: a key of at least 16 characters"):
        check_deployment(real_hall(tmp_path, secret_key="short", public_url=PUBLIC), load_halls([str(SMALL_HALL)]))


def test_every_route_of_a_hall_can_be_sent_to_one_server_by_its_path(tmp_path: Path) -> None:
    """Several servers are cheaper with each hall sent to one of them (the README's nginx map
    hashes on the hall in the path): every route that names a hall names it right after
    ``/api/halls/``, ``/halls/`` or ``/ws/halls/``, so no route of a hall escapes the map."""
    import re

    settings = load_settings(env={}, halls=[str(DEMO_HALL)], data_dir=str(tmp_path / "var"))
    app = create_app(settings, configure_logs=False)
    nginx = re.search(r'"~(\^[^"]+)" \$name;', (ROOT / "README.md").read_text())  # the README's map
    assert nginx is not None
    the_map = re.compile(nginx[1].replace("(?<", "(?P<"))
    of_a_hall = [route.path for route in app.routes if "hall" in route.path_parameters]
    assert len(of_a_hall) > 50  # the walk sees the app's routes
    for path in of_a_hall:
        found = the_map.match(path.replace("{hall:str}", "h1").replace("{hall}", "h1"))
        assert found is not None and found["name"] == "h1", path
