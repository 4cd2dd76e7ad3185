"""A slip laid out in ESC/POS for a 58 or 80 mm thermal printer: the bytes, no I/O.

Built with python-escpos's command set on its ``Dummy`` printer (which only collects bytes),
so what is tested is exactly what a printer is sent. Chinese text does not go through the
library's code-page guessing, which knows no Chinese: it is written as GB18030 bytes, as
Chinese-market printers take it, or wrapped in the Kanji-mode commands FS & … FS . for
printers that start in single-byte mode. The number is printed as large as the paper allows,
the QR code by the printer itself (GS ( k), then a partial or full cut.
"""

from __future__ import annotations

from escpos.printer import Dummy

from printers.settings import PrinterSpec
from printers.slip import Slip, text_width, wrap

__all__ = ["KANJI_OFF", "KANJI_ON", "render_slip"]

KANJI_ON = b"\x1c&"  # FS &: double-byte (Chinese) characters
KANJI_OFF = b"\x1c."  # FS .: back to single-byte
_INIT = b"\x1b@"  # ESC @


class _Slip:
    def __init__(self, spec: PrinterSpec) -> None:
        self.spec = spec
        self.printer = Dummy()
        self.columns = spec.columns

    def raw(self, data: bytes) -> None:
        self.printer._raw(data)

    def text(self, line: str) -> None:
        data = line.encode("gb18030", errors="replace")
        if self.spec.chinese == "kanji" and not line.isascii():
            data = KANJI_ON + data + KANJI_OFF
        self.raw(data + b"\n")

    def style(self, *, align: str = "left", width: int = 1, height: int = 1, bold: bool = False) -> None:
        self.printer.set(align=align, custom_size=True, width=width, height=height, bold=bold)

    def block(self, text: str, *, align: str = "left", width: int = 1, height: int = 1, bold: bool = False) -> None:
        self.style(align=align, width=width, height=height, bold=bold)
        for line in wrap(text, self.columns // width):
            self.text(line)

    def rule(self) -> None:
        self.style()
        self.text("-" * self.columns)


def render_slip(slip: Slip, spec: PrinterSpec) -> bytes:
    out = _Slip(spec)
    out.raw(_INIT)
    english = slip.english
    out.block(slip.hall_name, align="center", height=2, bold=True)
    if english and slip.hall_name_en:
        out.block(slip.hall_name_en, align="center")
    out.rule()

    out.block("您的号码" + (" Your number" if english else ""), align="center")
    size = _number_size(slip.number, out.columns)
    out.block(slip.number, align="center", width=size, height=size, bold=True)
    if (kind := slip.class_line()) is not None:
        out.block(kind[0] + (f" {kind[1]}" if english else ""), align="center", width=2, height=2, bold=True)
    out.block(slip.item_name, align="center", height=2, bold=True)
    if english and slip.item_name_en:
        out.block(slip.item_name_en, align="center")
    out.rule()

    ahead = slip.ahead_line()
    out.block(ahead[0], align="left", height=2)
    if english:
        out.block(ahead[1])
    if (wait := slip.wait_line()) is not None:
        out.block(wait[0], height=2)
        if english:
            out.block(wait[1])
    if (where := slip.where_line()) is not None:
        out.block(where[0])
        if english:
            out.block(where[1])
    label = "取号时间 Issued" if english else "取号时间"
    if text_width(f"{label} {slip.time_line()}") <= out.columns:
        out.block(f"{label} {slip.time_line()}")
    else:  # 58 mm with English: the date and time together on a line of their own
        out.block(label)
        out.block(slip.time_line())

    if slip.status_url:
        out.style(align="center")
        # Module size: about 40 mm of code on 80 mm paper, 30 mm on 58 mm (a status link with
        # its rating key, 80–110 bytes, is QR version 5–6, 37–41 modules, at 8 dots a mm).
        out.printer.qr(slip.status_url, size=8 if spec.paper_mm == 80 else 6, native=True)
        out.raw(b"\n")
        out.block("扫码查看进度、评价服务", align="center")
        if english:
            out.block("Scan to follow your ticket", align="center")
    if slip.notice or (english and slip.notice_en):
        out.rule()
        if slip.notice:
            out.block(slip.notice, align="center", bold=True)
        if english and slip.notice_en:
            out.block(slip.notice_en, align="center")
    out.style()
    if spec.cut != "none":
        out.printer.cut(mode="PART" if spec.cut == "partial" else "FULL")
    else:
        out.printer.print_and_feed(6)  # past the tear bar, as cut() feeds past the cutter
    return out.printer.output


def _number_size(number: str, columns: int) -> int:
    """The largest magnification (up to 4 on 58 mm, 5 on 80 mm) at which it fits one line."""
    biggest = 4 if columns <= 32 else 5
    return max(1, min(biggest, columns // max(text_width(number), 1)))
