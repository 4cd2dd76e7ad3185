"""Printing slips against a running ``hall serve``: a network printer stood in for by a local
TCP listener that answers the paper-sensor query as a printer does, a printer that refuses
(a closed port, a device that fails every write, one out of paper), the print agent as a real
``hall print-agent`` process, the PDF and the QR code. What was printed is read back with the
tests' ESC/POS decoder."""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from config.halls import ConfigError, load_hall
from printers.drivers import PrinterFault, send
from printers.settings import PrinterSpec
from tests.escpos_decoder import decode
from tests.support import DEMO_HALL, ROOT, Server, free_port, login, running

KIOSK = {"Authorization": "Bearer demo-kiosk-token"}
RECEPTION = {"Authorization": "Bearer demo-reception-token"}
PAPER_QUERY = b"\x10\x04\x04"  # DLE EOT 4
PAPER_OK, PAPER_END = b"\x12", b"\x72"


class PrinterStandIn:
    """A network thermal printer on 127.0.0.1: answers DLE EOT 4 with ``paper`` (None: never
    answers, as many cheap printers), keeps what each connection sent after it as one slip.

    Slips are kept in the order their connections came, as a printer on port 9100 prints them
    one connection after another, not in the order the threads reading them happen to end."""

    def __init__(self, paper: bytes | None = PAPER_OK, port: int | None = None) -> None:
        self.paper = paper
        self.listener = socket.create_server(("127.0.0.1", port or 0))
        self.port = self.listener.getsockname()[1]
        self._arrivals: list[tuple[int, bytes]] = []  # (connection's place in line, what it sent)
        self.queries = 0
        self.arrived = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def slips(self) -> list[bytes]:
        with self.arrived:
            return [data for _, data in sorted(self._arrivals)]

    def _accept(self) -> None:
        for place in itertools.count():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, place), daemon=True).start()

    def _serve(self, conn: socket.socket, place: int) -> None:
        data = b""
        with conn:
            conn.settimeout(10)
            try:
                while chunk := conn.recv(65536):
                    data += chunk
                    if data.startswith(PAPER_QUERY):
                        data = data[len(PAPER_QUERY) :]
                        self.queries += 1
                        if self.paper is not None:
                            conn.sendall(self.paper)
            except OSError:
                pass
        if data:
            with self.arrived:
                self._arrivals.append((place, data))
                self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> list[bytes]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self._arrivals) >= count, timeout), f"{len(self._arrivals)} slips"
            return [data for _, data in sorted(self._arrivals)]

    def close(self) -> None:
        self.listener.close()


def hall_file(tmp_path: Path, kiosk: str, reception: str = "") -> Path:
    """The demo hall, its kiosk-1 printer replaced by ``kiosk`` (TOML lines), and reception given one."""
    text = DEMO_HALL.read_text(encoding="utf-8")
    start = text.index("[devices.printer]")
    end = text.index("[[devices]]", start)
    text = text[:start] + "[devices.printer]\n" + kiosk + "\n\n" + text[end:]
    if reception:
        marker = "# demo-reception-token\n"
        text = text.replace(marker, marker + "[devices.printer]\n" + reception + "\n", 1)
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def env(tmp_path: Path, hall: Path, **more: str) -> dict[str, str]:
    return {
        "HALL_DATA_DIR": str(tmp_path / "var"),
        "HALL_FILES": str(hall),
        "HALL_LOG_FORMAT": "text",
        "HALL_LOG_LEVEL": "INFO",
        "HALL_DEVICE_HEARTBEAT": "1",
        **more,
    }


def issue(client: httpx.Client, headers: dict[str, str] = KIOSK, item: str = "QY01", **body: object) -> dict:
    response = client.post("/api/halls/demo/tickets", json={"item": item, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def job_after(client: httpx.Client, job: dict, headers: dict[str, str] = KIOSK, wait: float = 10) -> dict:
    response = client.get(f"/api/halls/demo/print-jobs/{job['id']}", params={"wait": wait}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def printers(client: httpx.Client) -> dict[str, dict]:
    headers = login(client, "manager", "demo-manager")
    response = client.get("/api/halls/demo/printers", headers=headers)
    assert response.status_code == 200, response.text
    return {p["device"]: p for p in response.json()}


# ---------------------------------------------------------------- a network printer


def test_a_slip_goes_to_the_network_printer_and_reads_back(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}\npaper_mm = 58')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        assert ticket["print_job"]["state"] == "queued" and ticket["print_job"]["number"] == ticket["number"]
        done = job_after(c, ticket["print_job"])
        assert done["state"] == "printed" and done["done_at"] and not done["fault"]
        [slip] = printer.wait_for(1)
        assert printer.queries == 1  # the paper sensor was asked first
        printout = decode(slip)
        number = printout.line_with(ticket["number"])
        assert number.align == "center" and number.width == number.height == 4 and number.bold
        assert "示范区政务服务中心" in printout.text and "企业设立登记" in printout.text
        assert "Company registration" in printout.text  # the demo's [slip] english = true
        # nobody waited before it, but no counter is staffed yet: no "you are next", no minutes
        # (by the hour the test runs: when service begins today, or that no counter is open yet)
        assert "前面还有 0 人等候" in printout.text
        assert "暂无法估计等候时间" in printout.text or re.search(r"\d\d:\d\d 开始办理", printout.text), printout.text
        assert "办理窗口：1-7号" in printout.text  # where to wait
        assert all(line.columns <= 32 for line in printout.printed_lines)  # 58 mm
        [qr] = printout.qr_codes
        assert qr.payload == f"{server.url}/halls/demo/tickets/{ticket['id']}?k={ticket['rating_key']}"
        assert [cut.partial for cut in printout.cuts] == [True]
        # the QR code opens the ticket's page
        assert c.get(qr.payload.removeprefix(server.url)).status_code == 200

        second = issue(c, item="QY02")
        assert job_after(c, second["print_job"])["state"] == "printed"
        slips = printer.wait_for(2)
        assert "前面还有 1 人等候" in decode(slips[1]).text
        status = printers(c)["kiosk-1"]
        assert status["state"] == "ok" and status["last_printed_at"] and status["waiting_jobs"] == 0
        assert status["printer"] == f"127.0.0.1:{printer.port}, 58 mm" and status["agent_connected"] is None
    printer.close()


def test_a_retried_issue_prints_once_and_a_staff_issue_prints_nothing(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        first = issue(c, idempotency_key="tap-1")
        again = issue(c, idempotency_key="tap-1")
        assert again["id"] == first["id"] and again["print_job"] is None
        assert job_after(c, first["print_job"])["state"] == "printed"
        staff = login(c, "zhangwei", "demo-staff")
        desk = issue(c, headers=staff)
        assert desk["print_job"] is None
        time.sleep(0.5)
        assert len(printer.slips) == 1
        # staff may have a slip printed at a named ticket machine; without naming one it is a 422
        missing = c.post(f"/api/halls/demo/tickets/{desk['id']}/print", headers=staff, json={})
        assert missing.status_code == 422 and "device" in missing.json()["detail"]
        named = c.post(f"/api/halls/demo/tickets/{desk['id']}/print", headers=staff, json={"device": "kiosk-1"})
        assert named.status_code == 201 and job_after(c, named.json())["state"] == "printed"
        assert decode(printer.wait_for(2)[1]).line_with(desk["number"]).width >= 4
        nowhere = c.post(f"/api/halls/demo/tickets/{desk['id']}/print", headers=staff, json={"device": "reception"})
        assert nowhere.status_code == 404 and "no printer" in nowhere.json()["detail"]
    printer.close()


# ---------------------------------------------------------------- printers that refuse


def test_an_offline_printer_never_fails_issuing_and_a_reprint_prints_when_it_is_back(tmp_path: Path) -> None:
    port = free_port()  # nobody listens there yet
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {port}\ntimeout_seconds = 1')
    log = tmp_path / "server.log"
    with running(env(tmp_path, hall), log=log) as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        failed = job_after(c, ticket["print_job"])
        assert failed["state"] == "failed" and failed["fault"] == "offline"
        assert f"127.0.0.1:{port}" in failed["error"]
        # the ticket is there and waits like any other
        status = c.get(f"/api/halls/demo/tickets/{ticket['id']}").json()
        assert status["state"] == "waiting" and status["number"] == ticket["number"]
        seen = printers(c)["kiosk-1"]
        assert seen["state"] == "offline" and "打印机未连接" in seen["error"] and seen["changed_at"]
        assert "slip not printed" in log.read_text()

        printer = PrinterStandIn(port=port)  # the printer is back
        again = c.post(f"/api/halls/demo/tickets/{ticket['id']}/print", headers=KIOSK)
        assert again.status_code == 201 and again.json()["id"] != ticket["print_job"]["id"]
        assert job_after(c, again.json())["state"] == "printed"
        assert decode(printer.wait_for(1)[0]).line_with(ticket["number"]).bold
        assert printers(c)["kiosk-1"]["state"] == "ok"
        printer.close()


def test_a_printer_out_of_paper_is_not_sent_the_slip(tmp_path: Path) -> None:
    printer = PrinterStandIn(paper=PAPER_END)
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        failed = job_after(c, ticket["print_job"])
        assert failed["state"] == "failed" and failed["fault"] == "paper_out"
        assert printer.queries == 1 and printer.slips == []  # asked, and sent nothing more
        assert printers(c)["kiosk-1"]["state"] == "paper_out"
    printer.close()


def test_a_printer_that_never_answers_the_paper_query_still_prints(tmp_path: Path) -> None:
    printer = PrinterStandIn(paper=None)
    hall = hall_file(tmp_path, f'driver = "network"\nhost = "127.0.0.1"\nport = {printer.port}')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        assert job_after(c, ticket["print_job"])["state"] == "printed"
        assert decode(printer.wait_for(1)[0]).qr_codes
    printer.close()


def test_a_device_that_fails_every_write_is_a_printer_error(tmp_path: Path) -> None:
    # /dev/full takes the open and refuses every write (ENOSPC), as a jammed device file does
    hall = hall_file(tmp_path, 'driver = "file"\npath = "/dev/full"')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        failed = job_after(c, ticket["print_job"])
        assert failed["state"] == "failed" and failed["fault"] == "error" and "/dev/full" in failed["error"]
        missing_dir = tmp_path / "no-such-dir" / "lp0"
    hall = hall_file(tmp_path, f'driver = "file"\npath = "{missing_dir}"')
    with running(env(tmp_path, hall), log=tmp_path / "server2.log") as server, httpx.Client(base_url=server.url) as c:
        failed = job_after(c, issue(c)["print_job"])
        assert failed["state"] == "failed" and failed["fault"] == "offline" and str(missing_dir) in failed["error"]


def test_a_usb_printer_that_is_not_plugged_in_is_offline() -> None:
    # pyusb and libusb for real (make test installs libusb-1.0-0): no such device on this machine
    spec = PrinterSpec(driver="usb", vendor_id=0x0416, product_id=0x5011)
    with pytest.raises(PrinterFault) as fault:
        send(spec, b"\x1b@")
    assert fault.value.kind == "offline" and "USB 0416:5011 is not connected" in str(fault.value)


# ---------------------------------------------------------------- the print agent


@contextmanager
def agent(server: Server, token: str, printer: str, log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.cli",
                "print-agent",
                "--server",
                server.url,
                "--hall",
                "demo",
                "--token",
                token,
                "--printer",
                printer,
                "--max-backoff",
                "1",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def until(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)
    return result


def test_the_print_agent_prints_and_loses_no_job_while_it_is_away(tmp_path: Path) -> None:
    printer = PrinterStandIn()
    hall = hall_file(tmp_path, 'driver = "dummy"', reception='driver = "usb"\nvendor_id = 0x0416\nproduct_id = 0x5011')
    agent_log = tmp_path / "agent.log"
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        assert printers(c)["reception"]["driven_by"] == "agent"
        # The agent stands in a USB printer by the TCP one (--printer); the slip is the same bytes.
        with agent(server, "demo-reception-token", f"network:127.0.0.1:{printer.port}", agent_log) as process:
            until(lambda: printers(c)["reception"]["agent_connected"])
            first = issue(c, headers=RECEPTION)
            assert job_after(c, first["print_job"], RECEPTION)["state"] == "printed"
            assert decode(printer.wait_for(1)[0]).line_with(first["number"]).width >= 4
            os.killpg(process.pid, signal.SIGKILL)  # the kiosk PC loses power
            process.wait()
        until(lambda: not printers(c)["reception"]["agent_connected"])
        away = [issue(c, headers=RECEPTION, item=item) for item in ("QY01", "QY02", "QY03")]
        assert {job_after(c, t["print_job"], RECEPTION, wait=0)["state"] for t in away} == {"queued"}
        assert printers(c)["reception"]["waiting_jobs"] == 3
        with agent(server, "demo-reception-token", f"network:127.0.0.1:{printer.port}", agent_log):
            for ticket in away:
                assert job_after(c, ticket["print_job"], RECEPTION)["state"] == "printed"
            slips = printer.wait_for(4)
            paths = [urlsplit(decode(s).qr_codes[0].payload).path for s in slips[1:]]
            assert [p.rsplit("/", 1)[1] for p in paths] == [t["id"] for t in away]
            status = printers(c)["reception"]
            assert status["waiting_jobs"] == 0 and status["agent_connected"] and status["state"] == "ok"
    text = agent_log.read_text()
    assert "connected as reception" in text and "printed " + away[-1]["number"] in text
    printer.close()


def test_the_print_agent_reports_a_printer_fault(tmp_path: Path) -> None:
    port = free_port()
    hall = hall_file(tmp_path, 'driver = "dummy"', reception='driver = "usb"\nvendor_id = 0x0416\nproduct_id = 0x5011')
    with (
        running(env(tmp_path, hall), log=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url) as c,
        agent(server, "demo-reception-token", f"network:127.0.0.1:{port}", tmp_path / "agent.log"),
    ):
        until(lambda: printers(c)["reception"]["agent_connected"])
        failed = job_after(c, issue(c, headers=RECEPTION)["print_job"], RECEPTION)
        assert failed["state"] == "failed" and failed["fault"] == "offline"
        assert printers(c)["reception"]["state"] == "offline"


def test_the_print_agent_is_refused_without_the_machine_token(tmp_path: Path) -> None:
    hall = hall_file(tmp_path, 'driver = "dummy"', reception='driver = "usb"\nvendor_id = 0x0416\nproduct_id = 0x5011')
    log = tmp_path / "agent.log"
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server:
        # a wrong token, and the token of a machine whose printer the server drives itself
        for token in ("not-a-token", "demo-kiosk-token"):
            with agent(server, token, "dummy", log):
                until(lambda: log.read_text().count("refused the agent (HTTP 403)") >= 1)
            log.write_text("")


# ---------------------------------------------------------------- PDF and QR


def test_the_pdf_ticket_and_the_qr_code(tmp_path: Path) -> None:
    hall = hall_file(tmp_path, 'driver = "dummy"')
    with running(env(tmp_path, hall), log=tmp_path / "server.log") as server, httpx.Client(base_url=server.url) as c:
        ticket = issue(c)
        pdf = c.get(f"/api/halls/demo/tickets/{ticket['id']}/slip.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        path = tmp_path / "ticket.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert ticket["number"] in text and "企业设立登记" in text and "示范区政务服务中心" in text
        svg = c.get(f"/halls/demo/tickets/{ticket['id']}/qr.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in svg.content and b"<path" in svg.content
        assert c.get("/api/halls/demo/tickets/nope/slip.pdf").status_code == 404
        assert c.get("/halls/demo/tickets/nope/qr.svg").status_code == 404
        page = c.get(f"/halls/demo/tickets/{ticket['id']}").text
        assert f"/api/halls/demo/tickets/{ticket['id']}/slip.pdf" in page


def test_without_a_cjk_font_the_pdf_is_a_clear_503(tmp_path: Path) -> None:
    hall = hall_file(tmp_path, 'driver = "dummy"')
    missing = tmp_path / "no-font.ttf"
    with (
        running(env(tmp_path, hall, HALL_PDF_FONT=str(missing)), log=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url) as c,
    ):
        ticket = issue(c)
        answer = c.get(f"/api/halls/demo/tickets/{ticket['id']}/slip.pdf")
        assert answer.status_code == 503 and str(missing) in answer.json()["detail"]
        assert issue(c, item="QY02")["number"]  # nothing else is affected


# ---------------------------------------------------------------- configuration and schema


@pytest.mark.parametrize(
    ("printer", "field", "words"),
    [
        ('driver = "network"', "devices[0].printer", "host is needed"),
        ('driver = "usb"', "devices[0].printer", "vendor_id and product_id"),
        ('driver = "usb"\nvendor_id = 1\nproduct_id = 2\nat = "server"', "devices[0].printer", "print-agent"),
        ('driver = "laser"', "devices[0].printer.driver", "'laser'"),
        ("paper_mm = 76", "devices[0].printer.paper_mm", "Invalid enum value 76"),
    ],
)
def test_a_wrong_printer_is_named_in_the_error(tmp_path: Path, printer: str, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_hall(hall_file(tmp_path, printer))
    message = str(error.value)
    assert str(tmp_path / "demo.toml") in message and field in message and words in message


def test_only_a_ticket_machine_has_a_printer(tmp_path: Path) -> None:
    text = DEMO_HALL.read_text(encoding="utf-8").replace(
        "# demo-screen-token\n", '# demo-screen-token\n[devices.printer]\ndriver = "dummy"\n', 1
    )
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"devices\[2\]\.printer: only a ticket machine"):
        load_hall(path)
