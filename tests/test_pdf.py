"""PDF tickets, checked with poppler (what a viewer sees): the text, the embedded font, the page."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from PIL import Image

from printers.pdf import FontMissing, find_font, render_pdf
from printers.slip import Slip

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
MM = 72 / 25.4  # points in a millimetre
CAPTION = "扫码查看进度、评价服务"

# poppler-utils come with `make test` (Makefile DEBS); missing, every test here fails loudly.

SLIP = Slip(
    hall_name="示范区政务服务中心",
    hall_name_en="Demo District Government Service Centre",
    number="A001",
    item_name="企业设立登记",
    item_name_en="Enterprise registration",
    people_ahead=3,
    estimated_wait_minutes=12,
    issued_at=dt.datetime(2026, 11, 23, 9, 30, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
    status_url="http://127.0.0.1:8000/halls/demo/tickets/abc",
    notice="过号请到服务台办理恢复",
    notice_en="Missed your number? Please ask at the service desk",
)


@pytest.fixture(scope="module")
def font() -> Path:
    return find_font()


def write(tmp_path: Path, slip: Slip, font: Path, name: str = "ticket.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_pdf(slip, font))
    return path


def poppler(*args: str | Path) -> str:
    return subprocess.run([str(arg) for arg in args], check=True, capture_output=True, text=True, timeout=30).stdout


def text_of(pdf: Path) -> str:
    """The page's text with runs of spaces as one (-layout pads centred lines to columns)."""
    return re.sub(r"[ \t]+", " ", poppler("pdftotext", "-layout", pdf, "-"))


def test_the_ticket_says_what_the_paper_slip_says(tmp_path: Path, font: Path) -> None:
    text = text_of(write(tmp_path, SLIP, font))
    for expected in (
        "示范区政务服务中心",
        "Demo District Government Service Centre",
        "您的号码 Your number",
        "A001",
        "企业设立登记",
        "Enterprise registration",
        "前面还有 3 人等候",
        "3 ahead of you",
        "预计等候约 12 分钟",
        "Estimated wait about 12 min",
        "取号时间 Issued 2026-11-23 09:30:05",
        f"{CAPTION} Scan to follow your ticket",
        "过号请到服务台办理恢复",
        "Missed your number? Please ask at the service desk",
    ):
        assert expected in text, expected
    # in the slip's order: hall, number, item, people ahead, time, QR caption, notice
    order = ["示范区政务服务中心", "A001", "企业设立登记", "前面还有", "取号时间", CAPTION, "过号请到"]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    assert "绿色通道" not in text  # a normal ticket has no class line


def test_the_class_line_and_the_title(tmp_path: Path, font: Path) -> None:
    pdf = write(tmp_path, msgspec.structs.replace(SLIP, green=True), font)
    assert "绿色通道 Priority service" in text_of(pdf)
    assert re.search(r"^Title:\s+示范区政务服务中心 A001$", poppler("pdfinfo", pdf), re.MULTILINE)


def test_every_font_is_embedded(tmp_path: Path, font: Path) -> None:
    """A viewer without Chinese fonts (a phone, a kiosk browser) must still show the text."""
    rows = poppler("pdffonts", write(tmp_path, SLIP, font)).splitlines()[2:]  # after the header and the rule
    assert rows, "no fonts: the text was not drawn as text"
    for row in rows:
        fields = row.split()
        embedded = fields[-5]  # name type… encoding emb sub uni object-number generation
        assert embedded == "yes", row
    assert any("+" in row.split()[0] for row in rows)  # a subset (AAAAAA+Name): only the glyphs used


def test_the_page_renders_as_an_80_mm_ticket_with_the_qr_code(tmp_path: Path, font: Path) -> None:
    pdf = write(tmp_path, SLIP, font)
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "pdf-ticket.png"
    poppler("pdftoppm", "-r", "150", "-png", "-singlefile", pdf, png.with_suffix(""))
    with Image.open(png) as image:
        page = image.convert("L")
    width, height = page.size
    assert abs(width - 80 / 25.4 * 150) <= 2  # 80 mm at 150 dpi
    assert height > width * 1.5  # a ticket, taller than wide
    dark = sum(page.histogram()[:128])  # pixels darker than mid-grey
    assert 0.02 < dark / (width * height) < 0.5  # printed on, not blank and not black

    # The QR code sits right above its caption: a dense dark/light square centred on the page.
    bbox = poppler("pdftotext", "-bbox", pdf, "-")
    caption = re.search(r'yMin="([\d.]+)"[^>]*>' + CAPTION, bbox)
    assert caption, "no caption in the page"
    px = 150 / 72  # pixels per point
    bottom = float(caption.group(1)) * px
    box = (round(width / 2 - 15 * MM * px), round(bottom - 35 * MM * px))
    box += (round(width / 2 + 15 * MM * px), round(bottom - 5 * MM * px))
    area = page.crop(box)
    share = sum(area.histogram()[:128]) / (area.width * area.height)
    assert 0.25 < share < 0.75, share  # roughly half the modules of a QR code are dark


def test_no_status_url_no_qr_code(tmp_path: Path, font: Path) -> None:
    with_qr = write(tmp_path, SLIP, font, "with.pdf")
    without = write(tmp_path, msgspec.structs.replace(SLIP, status_url=""), font, "without.pdf")
    text = text_of(without)
    assert CAPTION not in text and "Scan to follow" not in text
    assert "过号请到服务台办理恢复" in text  # the rest is still there
    assert without.stat().st_size < with_qr.stat().st_size


def test_a_chinese_only_slip_has_no_english(tmp_path: Path, font: Path) -> None:
    text = text_of(write(tmp_path, msgspec.structs.replace(SLIP, english=False), font))
    for expected in ("示范区政务服务中心", "您的号码", "A001", "企业设立登记", "前面还有 3 人等候", CAPTION):
        assert expected in text, expected
    assert "取号时间 2026-11-23 09:30:05" in text
    assert re.findall(r"[A-Za-z]{2,}", text) == []  # no English word anywhere ("A001" is a number)


def test_long_lines_wrap_inside_the_page(tmp_path: Path, font: Path) -> None:
    long_name = "建设工程消防设计审查验收及特殊建设工程消防验收备案抽查" * 2
    slip = msgspec.structs.replace(
        SLIP, item_name=long_name, item_name_en="Fire protection design review and acceptance " * 3
    )
    bbox = poppler("pdftotext", "-bbox", write(tmp_path, slip, font), "-")
    page_width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    assert abs(page_width - 80 * MM) < 0.5
    for x_min, x_max in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', bbox):
        assert float(x_min) >= 0 and float(x_max) <= page_width, (x_min, x_max)
    assert long_name in text_of(write(tmp_path, slip, font)).replace("\n", "").replace(" ", "")


def test_rendering_is_deterministic(font: Path) -> None:
    assert render_pdf(SLIP, font) == render_pdf(SLIP, font)


def test_find_font(tmp_path: Path) -> None:
    found = find_font("")
    assert found.is_file()
    assert find_font(str(found)) == found

    with pytest.raises(FontMissing) as missing:
        find_font("/nonexistent/font.ttf")
    assert "/nonexistent/font.ttf" in str(missing.value)
    assert "fonts-wqy-microhei" in str(missing.value)  # tells a person what to do

    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font at all" * 10)
    with pytest.raises(FontMissing) as unloadable:
        find_font(str(junk))
    assert str(junk) in str(unloadable.value)
