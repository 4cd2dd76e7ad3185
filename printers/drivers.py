"""Sending a slip's bytes to a printer through python-escpos: network, USB, file, dummy.

``send`` blocks (sockets, USB transfers): the server calls it in a thread, the print agent
likewise. Every failure becomes a ``PrinterFault`` with a kind a manager can act on:
``offline`` (cannot reach it), ``paper_out`` (its sensor says so) or ``error`` (anything else).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from pathlib import Path
from typing import Literal

from escpos.exceptions import DeviceNotFoundError, USBNotFoundError
from escpos.printer import Dummy, File, Network

from printers.settings import PrinterSpec

__all__ = ["FaultKind", "PrinterFault", "send"]

log = logging.getLogger("hall.printers")

FaultKind = Literal["offline", "paper_out", "error"]

_FAULT_WORDS: dict[str, str] = {
    "offline": "打印机未连接",
    "paper_out": "打印机缺纸",
    "error": "打印机故障",
}
_PAPER_STATUS = b"\x10\x04\x04"  # DLE EOT 4: the roll paper sensor
_PAPER_END = 0x60  # bits 5 and 6: paper end


class PrinterFault(Exception):
    def __init__(self, kind: FaultKind, detail: str) -> None:
        super().__init__(f"{_FAULT_WORDS[kind]} ({kind}): {detail}")
        self.kind, self.detail = kind, detail


def send(spec: PrinterSpec, data: bytes, name: str = "") -> None:
    """Print ``data`` (a whole slip) on the printer ``spec`` describes."""
    if spec.driver == "dummy":
        _send_dummy(spec, data, name)
    elif spec.driver == "network":
        _send_network(spec, data)
    elif spec.driver == "file":
        _send_file(spec, data)
    else:
        _send_usb(spec, data)


def _send_dummy(spec: PrinterSpec, data: bytes, name: str) -> None:
    printer = Dummy()
    printer._raw(data)
    if spec.path:  # keep the slips, for looking at them in development
        folder = Path(spec.path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{name or 'slip'}.bin").write_bytes(printer.output)
        except OSError as exc:
            raise PrinterFault("error", f"cannot keep the slip in {folder}: {exc.strerror}") from None


def _send_network(spec: PrinterSpec, data: bytes) -> None:
    printer = Network(spec.host, spec.port, timeout=spec.timeout_seconds)
    try:
        printer.open()
    except DeviceNotFoundError as exc:
        raise PrinterFault("offline", f"{spec.host}:{spec.port} does not answer ({_cause(exc)})") from None
    try:
        if spec.check_paper:
            _check_paper(printer, spec)
        printer._raw(data)
    except PrinterFault:
        raise
    except (OSError, TimeoutError) as exc:
        raise PrinterFault("offline", f"{spec.host}:{spec.port}: {_cause(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            printer.close()


def _check_paper(printer: Network, spec: PrinterSpec) -> None:
    """Ask the paper sensor; a printer that does not answer in a moment is taken as fine
    (many cheap ones never answer), one that says paper end is not sent the slip."""
    sock: socket.socket = printer.device
    sock.sendall(_PAPER_STATUS)
    sock.settimeout(min(0.5, spec.timeout_seconds))
    try:
        status = sock.recv(1)
    except TimeoutError:
        return
    finally:
        sock.settimeout(spec.timeout_seconds)
    if not status:
        raise PrinterFault("offline", f"{spec.host}:{spec.port} closed the connection")
    if status[0] & _PAPER_END == _PAPER_END:
        raise PrinterFault("paper_out", f"{spec.host}:{spec.port} reports paper end")


def _send_file(spec: PrinterSpec, data: bytes) -> None:
    printer = File(spec.path, auto_flush=True)
    try:
        printer.open()
    except DeviceNotFoundError as exc:
        raise PrinterFault("offline", f"cannot open {spec.path} ({_cause(exc)})") from None
    try:
        printer._raw(data)
    except OSError as exc:
        raise PrinterFault("error", f"{spec.path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            printer.close()


def _send_usb(spec: PrinterSpec, data: bytes) -> None:
    from escpos.printer import Usb  # needs pyusb and libusb; only the print agent gets here

    printer = Usb(spec.vendor_id, spec.product_id, timeout=int(spec.timeout_seconds * 1000))
    ident = f"USB {spec.vendor_id:04x}:{spec.product_id:04x}"
    try:
        printer.open()
    except (DeviceNotFoundError, USBNotFoundError) as exc:
        raise PrinterFault("offline", f"{ident} is not connected ({_cause(exc)})") from None
    except Exception as exc:  # pyusb's own errors: permissions, no backend
        if type(exc).__name__ == "NoBackendError":
            raise PrinterFault("offline", f"{ident}: libusb is missing on this PC (apt install libusb-1.0-0)") from None
        raise PrinterFault("offline", f"{ident}: {_cause(exc)}") from None
    try:
        printer._raw(data)
    except Exception as exc:
        raise PrinterFault("error", f"{ident}: {_cause(exc)}") from None
    finally:
        try:
            printer.close()
        except Exception:
            log.debug("closing %s failed", ident, exc_info=True)


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return text[:200] or type(exc).__name__
