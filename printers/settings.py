"""How a ticket machine's printer is reached and what the slip says: the hall file's
``[devices.printer]`` (per ticket machine) and ``[slip]``.

    [[devices]]
    name = "kiosk-1"
    kind = "ticket_machine"
    token_sha256 = "…"
    [devices.printer]
    driver = "network"        # network | usb | file | dummy
    host = "192.168.1.60"     # network: the printer's address (port 9100 by default)
    paper_mm = 80             # 58 or 80
    chinese = "gb18030"       # gb18030: GB18030 bytes as they are; kanji: wrapped in FS & … FS .

A USB printer hangs on the ticket machine's own PC: ``driver = "usb"`` with ``vendor_id`` and
``product_id``, driven there by ``hall print-agent`` (``at = "agent"``, the default for USB).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from queueing.catalogue import HallInfo

__all__ = ["PrinterSpec", "PrintingHall", "SlipSettings"]

Driver = Literal["network", "usb", "file", "dummy"]


class PrinterSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ticket machine's thermal printer (热敏打印机)."""

    driver: Driver = "dummy"
    # Who drives it: the server (network printers, files, the dummy) or the print agent on
    # the ticket machine's PC (USB printers, or a device file there). Default: by driver.
    at: Literal["server", "agent", ""] = ""
    host: str = ""  # network
    port: int = 9100  # network: the raw-printing port most printers listen on
    vendor_id: int = 0  # usb, e.g. 0x0416
    product_id: int = 0  # usb, e.g. 0x5011
    path: str = ""  # file: a device (/dev/usb/lp0) or a file; dummy: a folder to keep slips in (optional)
    paper_mm: Literal[58, 80] = 80
    chinese: Literal["gb18030", "kanji"] = "gb18030"
    cut: Literal["full", "partial", "none"] = "partial"
    timeout_seconds: float = 5.0  # connecting and sending; a printer slower than that is at fault
    check_paper: bool = True  # network: ask the printer for its paper sensor first (DLE EOT 4)

    def __post_init__(self) -> None:
        if self.driver == "network" and not self.host:
            raise ValueError("host is needed for a network printer")
        if self.driver == "usb" and not (self.vendor_id and self.product_id):
            raise ValueError("vendor_id and product_id are needed for a USB printer (lsusb shows them)")
        if self.driver == "file" and not self.path:
            raise ValueError("path is needed for a file printer (e.g. /dev/usb/lp0)")
        if self.driver == "usb" and self.at == "server":
            raise ValueError('a USB printer hangs on the ticket machine: at = "agent" (hall print-agent)')
        if not 1 <= self.port <= 65535:
            raise ValueError("port must be from 1 to 65535")
        if not 0.5 <= self.timeout_seconds <= 60:
            raise ValueError("timeout_seconds must be from 0.5 to 60")

    @property
    def where(self) -> Literal["server", "agent"]:
        if self.at:
            return self.at
        return "agent" if self.driver == "usb" else "server"

    @property
    def columns(self) -> int:
        """Characters of the standard font (12×24 dots) on a line: 384 or 576 dots."""
        return 32 if self.paper_mm == 58 else 48

    def describe(self) -> str:
        """For managers and logs: which printer, without anything secret."""
        where = {
            "network": f"{self.host}:{self.port}",
            "usb": f"USB {self.vendor_id:04x}:{self.product_id:04x}",
            "file": self.path,
            "dummy": "dummy",
        }[self.driver]
        return f"{where}, {self.paper_mm} mm"


class SlipSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[slip]``: what a ticket slip (取号凭条) says beyond the ticket."""

    english: bool = True  # the item and the lines in English under the Chinese
    notice: str | None = None  # a short line at the foot; default: the hall's ``notice``
    notice_en: str = ""
    qr: bool = True  # the QR code that opens the ticket's status page
    job_expiry_minutes: int = 10  # a slip not printed by then is not printed any more

    def __post_init__(self) -> None:
        if self.notice is not None and len(self.notice) > 60:
            raise ValueError("notice: at most 60 characters (three lines of a 58 mm slip)")
        if not 1 <= self.job_expiry_minutes <= 120:
            raise ValueError("job_expiry_minutes must be from 1 to 120")


class PrintingHall(msgspec.Struct, frozen=True):
    """A hall as its printing knows it: what a slip says, and each ticket machine's printer."""

    info: HallInfo
    slip: SlipSettings = SlipSettings()
    printers: dict[str, PrinterSpec] = msgspec.field(default_factory=dict)  # ticket machine -> its printer

    @property
    def id(self) -> str:
        return self.info.id
