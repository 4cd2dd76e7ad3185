"""The rating key (评价码) against a running ``hall serve``: the slip printed on a network printer
(read back with the tests' ESC/POS decoder) holds the ticket's page with its key, and only that
link rates the service on the web. The clerk who served the ticket knows its id (his counter's
answer, page and channel) and nothing more: by the id alone, or with any other key, he rates
nothing. A slip printed before a key rotation still rates after it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from config.crypto import RatingKeys
from printers.api import qr_svg
from tests.escpos_decoder import decode
from tests.support import login, running
from tests.test_printing import KIOSK, PrinterStandIn, env, hall_file, issue

OLD_SECRET = "the-hall-secret-before-rotation-0123456789"
NEW_SECRET = "the-hall-secret-after-rotation-9876543210"


def rate(c: httpx.Client, **body: object) -> httpx.Response:
    return c.post("/api/halls/demo/ratings", json=body)  # no token: the citizen's phone


def ratings_recorded(c: httpx.Client) -> int:
    manager = login(c, "manager", "demo-manager")
    answer = c.get("/api/halls/demo/ratings/stats", params={"by": "counter"}, headers=manager)
    assert answer.status_code == 200, answer.text
    return sum(row["ratings"] for row in answer.json())


def clerk_at_counter_1(c: httpx.Client) -> dict[str, str]:
    clerk = login(c, "zhangwei", "demo-staff")
    for action in ("sign-in", "open"):
        assert c.post(f"/api/halls/demo/counters/1/{action}", headers=clerk).status_code == 200
    return clerk


def serve(c: httpx.Client, clerk: dict[str, str], ticket_id: str) -> str:
    """The clerk calls and completes the ticket: the id he sees is the one the counter answers."""
    called = c.post("/api/halls/demo/counters/1/call-next", headers=clerk)
    assert called.status_code == 200 and called.json()["id"] == ticket_id, called.text
    assert "rating_key" not in called.json() and "k=" not in called.text  # his answer holds no key
    done = c.post("/api/halls/demo/counters/1/complete", headers=clerk, json={"ticket": ticket_id})
    assert done.status_code == 200, done.text
    return called.json()["id"]


def section(page: str, element_id: str) -> str:
    """The opening tag of the page's section ``element_id`` (hidden or not)."""
    found = re.search(rf'<section[^>]*id="{element_id}"[^>]*>', page)
    assert found, element_id
    return found.group(0)


def slip_link(printer: PrinterStandIn, count: int, server_url: str) -> tuple[str, str]:
    """The path of the last slip's QR code and the key it carries (its ``k``)."""
    [qr] = decode(printer.wait_for(count)[-1]).qr_codes
    parts = urlsplit(qr.payload)
    assert qr.payload.startswith(f"{server_url}/halls/demo/tickets/"), qr.payload
    [key] = parse_qs(parts.query)["k"]
    return f"{parts.path}?{parts.query}", key


def test_only_the_slips_link_rates_and_the_clerk_who_knows_the_ticket_id_does_not(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}\npaper_mm = 80')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)  # the citizen's, at the kiosk: its slip is printed
        link, key = slip_link(printer, 1, server.url)
        assert len(key) >= 16 and link == f"/halls/demo/tickets/{ticket['id']}?k={key}"
        assert ticket["rating_key"] == key  # the kiosk's screen shows the same QR code
        shown = c.get(f"/halls/demo/tickets/{ticket['id']}/qr.svg", params={"k": key})
        assert shown.status_code == 200 and shown.content == qr_svg(server.url + link)
        mine = issue(c, item="QY02")  # the clerk takes a ticket himself: a slip and a key of his own
        _, my_key = slip_link(printer, 2, server.url)
        assert my_key == mine["rating_key"] != key

        clerk = clerk_at_counter_1(c)
        ticket_id = serve(c, clerk, ticket["id"])

        # The attack: the id from his own counter, his token dropped, every key but the slip's.
        for attempt in ({}, {"rating_key": ""}, {"rating_key": my_key}, {"rating_key": key[:-1] + "A"}):
            refused = rate(c, ticket_id=ticket_id, level="very_satisfied", **attempt)
            assert refused.status_code == 403, refused.text
            assert refused.json()["detail_zh"] == "评价码无效：请扫描取号凭条上的二维码评价"
        bad = rate(c, ticket_id=ticket_id, rating_key=my_key, level="very_dissatisfied", reasons=["其他"])
        assert bad.status_code == 403  # nor a 差评 against a colleague
        assert rate(c, ticket_id=ticket_id, rating_key=key, level="satisfied", service=1).status_code == 403
        assert ratings_recorded(c) == 0
        manager = login(c, "manager", "demo-manager")
        assert c.get("/api/halls/demo/rating-cases", headers=manager).json() == []
        # his token with the key is refused too: staff never rate
        with_token = c.post(
            "/api/halls/demo/ratings", json={"ticket_id": ticket_id, "rating_key": key, "level": "satisfied"},
            headers=clerk,
        )  # fmt: skip
        assert with_token.status_code == 403 and with_token.json()["detail_zh"].startswith("工作人员不能评价服务")
        # He reprints the slip of the ticket he served on the kiosk's printer: it carries no key.
        reprint = c.post(f"/api/halls/demo/tickets/{ticket_id}/print", headers=clerk, json={"device": "kiosk-1"})
        assert reprint.status_code == 201, reprint.text
        [qr] = decode(printer.wait_for(3)[-1]).qr_codes
        assert qr.payload == f"{server.url}/halls/demo/tickets/{ticket_id}", qr.payload
        # A slip lost while its ticket waits is given again whole, key and all.
        lost = c.post(f"/api/halls/demo/tickets/{mine['id']}/print", headers=clerk, json={"device": "kiosk-1"})
        assert lost.status_code == 201 and slip_link(printer, 4, server.url)[1] == my_key

        # The page by the id alone: the ticket's status, and "scan the slip", no form.
        bare = c.get(f"/halls/demo/tickets/{ticket_id}").text
        assert "已办结" in bare and "hidden" in section(bare, "rate") and "hidden" not in section(bare, "rate-slip")
        assert key not in bare and "slip.pdf?k=" not in bare
        # The slip's link: the form, with the key the page sends and its PDF's link.
        answer = c.get(link)
        assert answer.headers["referrer-policy"] == "no-referrer"  # the key in its address goes nowhere else
        page = answer.text
        assert "hidden" not in section(page, "rate") and "hidden" in section(page, "rate-slip")
        assert f"/api/halls/demo/tickets/{ticket_id}/slip.pdf?k={key}" in page and f'"{key}"' in page

        rated = rate(c, ticket_id=ticket_id, rating_key=key, level="very_satisfied")
        assert rated.status_code == 201 and rated.json()["channel"] == "web", rated.text
        assert rate(c, ticket_id=ticket_id, rating_key=key, level="satisfied").status_code == 409  # once
        assert ratings_recorded(c) == 1

        # The PDF and the QR code: a wrong key is refused; without one they hold the bare link.
        assert c.get(f"/api/halls/demo/tickets/{ticket_id}/slip.pdf", params={"k": my_key}).status_code == 403
        assert c.get(f"/halls/demo/tickets/{ticket_id}/qr.svg", params={"k": my_key}).status_code == 403
        bare_qr = c.get(f"/halls/demo/tickets/{ticket_id}/qr.svg")
        assert bare_qr.content == qr_svg(f"{server.url}/halls/demo/tickets/{ticket_id}")
        keyed_pdf = c.get(f"/api/halls/demo/tickets/{ticket_id}/slip.pdf", params={"k": key})
        bare_pdf = c.get(f"/api/halls/demo/tickets/{ticket_id}/slip.pdf")
        assert keyed_pdf.status_code == bare_pdf.status_code == 200 and keyed_pdf.content != bare_pdf.content
        # Nothing of the key in the server's log, though its link was asked for.
        assert key not in (tmp_path / "server.log").read_text()
    printer.close()


def test_a_slip_printed_before_a_key_rotation_still_rates_after_it(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}')
    log = tmp_path / "server.log"
    before = env(tmp_path, hall, HALL_SECRET_KEY=OLD_SECRET)
    with running(before, log=log) as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        link, key = slip_link(printer, 1, server.url)
    assert key == RatingKeys(OLD_SECRET.encode()).key("demo", ticket["id"])
    after = env(tmp_path, hall, HALL_SECRET_KEY=NEW_SECRET, HALL_OLD_SECRET_KEYS=OLD_SECRET)
    with running(after, log=log) as server, httpx.Client(base_url=server.url) as c:
        serve(c, clerk_at_counter_1(c), ticket["id"])
        # a key under a secret the hall never had is refused; the old slip's key holds
        forged = RatingKeys(b"a secret the hall never had 0123").key("demo", ticket["id"])
        assert rate(c, ticket_id=ticket["id"], rating_key=forged, level="satisfied").status_code == 403
        assert "hidden" not in section(c.get(link).text, "rate")  # the old slip's link offers the form
        rated = rate(c, ticket_id=ticket["id"], rating_key=key, level="satisfied")
        assert rated.status_code == 201, rated.text
        # new slips are keyed with the new secret only
        second = issue(c, headers=KIOSK, item="QY02")
        assert second["rating_key"] == RatingKeys(NEW_SECRET.encode()).key("demo", second["id"]) != key
    printer.close()


def test_a_rating_key_is_the_tickets_of_its_hall_under_the_secrets_the_hall_reads() -> None:
    old, new = b"o" * 32, b"n" * 32
    rotated = RatingKeys(new, [old])
    key = rotated.key("demo", "Su-vs3y8WEUv4tgl")
    assert len(key) == 16 and re.fullmatch(r"[A-Za-z0-9_-]{16}", key)  # 96 bits, base64url: a short QR code
    assert key == RatingKeys(new).key("demo", "Su-vs3y8WEUv4tgl")  # made again, never stored
    assert rotated.holds("demo", "Su-vs3y8WEUv4tgl", key)
    assert rotated.holds("demo", "Su-vs3y8WEUv4tgl", RatingKeys(old).key("demo", "Su-vs3y8WEUv4tgl"))
    assert not RatingKeys(new).holds("demo", "Su-vs3y8WEUv4tgl", RatingKeys(old).key("demo", "Su-vs3y8WEUv4tgl"))
    assert not rotated.holds("demo", "Su-vs3y8WEUv4tgm", key)  # another ticket
    assert not rotated.holds("small", "Su-vs3y8WEUv4tgl", key)  # the same id in another hall
    assert not rotated.holds("demo", "Su-vs3y8WEUv4tgl", "") and not rotated.holds("demo", "Su-vs3y8WEUv4tgl", "密钥")
