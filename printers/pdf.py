"""A slip as a PDF ticket: what a phone or the web issuing page downloads, so that people who
take a number online get the same ticket as those at the kiosk's thermal printer.

Same content and order as ``escpos.render_slip``, on an 80 mm wide page as tall as the slip
needs. Chinese is drawn in an embedded TrueType CJK font (reportlab cannot embed CFF/OpenType
outlines such as Noto CJK), so the ticket reads the same in any viewer, including ones with no
Chinese fonts of their own.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from printers.slip import Slip, wrap

__all__ = ["FONT_CANDIDATES", "FontMissing", "find_font", "register_font", "render_pdf"]

# TrueType-outline CJK fonts where distributions put them (first found wins). Noto/Source Han
# CJK are CFF-based and deliberately absent: reportlab cannot embed them.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian/Ubuntu fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora wqy-microhei-fonts
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",  # Arch
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian/Ubuntu fonts-wqy-zenhei
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",  # Fedora wqy-zenhei-fonts
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",  # Arch
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # Debian/Ubuntu fonts-droid-fallback
    "/usr/share/fonts/google-droid-sans-fonts/DroidSansFallbackFull.ttf",  # Fedora
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # Debian/Ubuntu fonts-arphic-uming
    "/usr/share/fonts/cjkuni-uming/uming.ttc",  # Fedora cjkuni-uming-fonts
    "/usr/share/fonts/truetype/arphic/ukai.ttc",  # Debian/Ubuntu fonts-arphic-ukai
)

_HELP = (
    "PDF tickets need a TrueType CJK font: install fonts-wqy-microhei (apt) or wqy-microhei-fonts (dnf), "
    "or set pdf_font / HALL_PDF_FONT to a .ttf/.ttc file with TrueType outlines (Noto CJK will not do)"
)

PAGE_WIDTH = 80 * mm
_MARGIN = 4 * mm
_TEXT_WIDTH = PAGE_WIDTH - 2 * _MARGIN
_QR_SIZE = 40 * mm  # as on 80 mm paper: big enough for a phone at arm's length
_NUMBER_MAX = 64.0  # points; the number is as large as the width allows, up to this


class FontMissing(Exception):
    """No usable CJK font; the message says what to install or configure."""


_fonts: dict[str, str] = {}  # resolved path -> registered reportlab font name
_fonts_lock = threading.Lock()  # registering parses a multi-MB file: once per path, not per thread


def find_font(configured: str = "") -> Path:
    """The configured font if given (it must exist and load), else the first candidate that loads."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise FontMissing(f"{_HELP}; the configured font {configured} does not exist")
        register_font(path)  # raises FontMissing naming it
        return path
    for candidate in FONT_CANDIDATES:
        path = Path(candidate)
        if not path.is_file():
            continue
        try:
            register_font(path)
        except FontMissing:
            continue  # e.g. a CFF font someone dropped at a well-known path: try the next one
        return path
    raise FontMissing(_HELP)


def render_pdf(slip: Slip, font: Path) -> bytes:
    """The ticket as PDF bytes: one 80 mm page, everything centred."""
    font_name = register_font(font)
    blocks = _layout(slip, font_name)
    height = 2 * _MARGIN + sum(block.height for block in blocks)

    buffer = io.BytesIO()
    # invariant: no creation date or random ID, so the same slip gives the same bytes
    # initialFontName: else the page still declares Helvetica, a font no viewer is sent
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, height), invariant=1, initialFontName=font_name)
    canvas.setTitle(f"{slip.hall_name} {slip.number}")
    canvas.setAuthor(slip.hall_name)
    canvas.setSubject("取号凭条 Queue ticket")
    canvas.setCreator("hall-queue")
    top = height - _MARGIN
    for block in blocks:
        block.draw(canvas, top)
        top -= block.height
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def register_font(path: Path) -> str:
    key = str(path.resolve())
    with _fonts_lock:
        if key in _fonts:
            return _fonts[key]
        # A name derived from the path, not a counter: the same in every process and run.
        name = "HallCJK-" + hashlib.sha1(key.encode()).hexdigest()[:10]
        try:
            # subfontIndex=0: the first face of a .ttc collection (ignored for .ttf)
            font = TTFont(name, key, subfontIndex=0)
        except Exception as error:  # TTFError for CFF outlines, OSError, struct errors on junk files
            raise FontMissing(f"{_HELP}; the font {path} cannot be loaded ({error})") from error
        pdfmetrics.registerFont(font)
        _fonts[key] = name
        return name


@dataclass(frozen=True)
class _Text:
    line: str
    font: str
    size: float
    bold: bool = False

    @property
    def height(self) -> float:
        ascent, descent = pdfmetrics.getAscentDescent(self.font, self.size)
        return (ascent - descent) * 1.1

    def draw(self, canvas: Canvas, top: float) -> None:
        ascent, _ = pdfmetrics.getAscentDescent(self.font, self.size)
        width = pdfmetrics.stringWidth(self.line, self.font, self.size)
        text = canvas.beginText((PAGE_WIDTH - width) / 2, top - ascent)
        text.setFont(self.font, self.size)
        if self.bold:
            canvas.setLineWidth(self.size * 0.03)
        # CJK TrueType fonts rarely come with a bold face: bold is filled and stroked outlines (2).
        # Set every time: the text render mode outlives the text object in the page's state.
        text.setTextRenderMode(2 if self.bold else 0)
        text.textOut(self.line)
        canvas.drawText(text)


@dataclass(frozen=True)
class _Gap:
    height: float
    rule: bool = False  # a dashed line across, like the "-----" on paper

    def draw(self, canvas: Canvas, top: float) -> None:
        if self.rule:
            y = top - self.height / 2
            canvas.saveState()
            canvas.setLineWidth(0.5)
            canvas.setDash(2, 2)
            canvas.line(_MARGIN, y, PAGE_WIDTH - _MARGIN, y)
            canvas.restoreState()


@dataclass(frozen=True)
class _Qr:
    url: str
    font: str
    height: float = _QR_SIZE

    def draw(self, canvas: Canvas, top: float) -> None:
        widget = QrCodeWidget(self.url, barLevel="M")  # the widget includes the quiet zone
        x0, y0, x1, y1 = widget.getBounds()
        scale_x, scale_y = _QR_SIZE / (x1 - x0), _QR_SIZE / (y1 - y0)
        # initialFontName: the drawing would otherwise set Helvetica, an unembedded font on the page
        drawing = Drawing(
            _QR_SIZE,
            _QR_SIZE,
            transform=[scale_x, 0, 0, scale_y, -x0 * scale_x, -y0 * scale_y],
            initialFontName=self.font,
        )
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, (PAGE_WIDTH - _QR_SIZE) / 2, top - _QR_SIZE)


_Block = _Text | _Gap | _Qr


def _layout(slip: Slip, font: str) -> list[_Block]:
    """The slip top to bottom, in the order and wording of ``escpos.render_slip``."""
    blocks: list[_Block] = []
    english = slip.english

    def text(line: str, size: float, *, bold: bool = False) -> None:
        blocks.extend(_Text(part, font, size, bold) for part in _wrap(line, font, size, _TEXT_WIDTH))

    def rule() -> None:
        blocks.append(_Gap(4 * mm, rule=True))

    text(slip.hall_name, 14, bold=True)
    if english and slip.hall_name_en:
        text(slip.hall_name_en, 8)
    rule()

    text("您的号码" + (" Your number" if english else ""), 10)
    text(slip.number, _number_size(slip.number, font), bold=True)
    if (kind := slip.class_line()) is not None:
        text(kind[0] + (f" {kind[1]}" if english else ""), 16, bold=True)
    text(slip.item_name, 14, bold=True)
    if english and slip.item_name_en:
        text(slip.item_name_en, 8)
    rule()

    ahead = slip.ahead_line()
    text(ahead[0], 12)
    if english:
        text(ahead[1], 8)
    if (wait := slip.wait_line()) is not None:
        text(wait[0], 12)
        if english:
            text(wait[1], 8)
    if (where := slip.where_line()) is not None:
        text(where[0], 10)
        if english:
            text(where[1], 8)
    text(f"取号时间 Issued {slip.time_line()}" if english else f"取号时间 {slip.time_line()}", 9)

    if slip.status_url:
        blocks.append(_Gap(2 * mm))
        blocks.append(_Qr(slip.status_url, font))
        text("扫码查看进度、评价服务" + (" Scan to follow your ticket" if english else ""), 8)
    if slip.notice or (english and slip.notice_en):
        rule()
        if slip.notice:
            text(slip.notice, 10, bold=True)
        if english and slip.notice_en:
            text(slip.notice_en, 8)
    return blocks


def _number_size(number: str, font: str) -> float:
    """As large as fits one line, up to ``_NUMBER_MAX`` (long numbers shrink rather than wrap)."""
    width = pdfmetrics.stringWidth(number, font, 1) or 1
    return max(10.0, min(_NUMBER_MAX, _TEXT_WIDTH / width))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than ``width`` points, wrapped as on paper (``slip.wrap``)."""
    return wrap(text, width, lambda line: pdfmetrics.stringWidth(line, font, size))
