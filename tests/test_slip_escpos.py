"""The ticket slip as a thermal printer gets it: ``render_slip``'s real bytes read back by the
tests' ESC/POS decoder, on 58 and 80 mm paper, with GB18030 as it is and in Kanji mode."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec
import pytest
import qrcode

from printers.escpos import render_slip
from printers.settings import PrinterSpec
from printers.slip import Slip, text_width, wrap
from queueing.views import counter_spans
from tests.escpos_decoder import QR, Cut, EscPosDecodeError, Feed, Line, Printout, decode

# a real hall's address, with the ticket's rating key (评价码) as every printed slip has it
STATUS_URL = (
    "https://zwfw.some-district.example.gov.cn/halls/district-centre/tickets/abcdefghijklmnop?k=ABCDEFGHIJKLMNOP"
)
NOTICE = "过号请到服务台办理恢复，超过30分钟请重新取号"
NOTICE_EN = "Missed your number? Ask at the desk."
SLIP = Slip(
    hall_name="示范区政务服务中心",
    hall_name_en="Demo District Government Service Centre",
    number="A001",
    item_name="企业设立登记",
    item_name_en="Enterprise registration",
    people_ahead=3,
    estimated_wait_minutes=12,
    issued_at=dt.datetime(2026, 11, 21, 10, 5, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    status_url=STATUS_URL,
    notice=NOTICE,
    notice_en=NOTICE_EN,
)
DOTS = {58: 384, 80: 576}  # a line of the standard font: 32 or 48 columns of 12 dots


@pytest.fixture(params=[58, 80], ids=["58mm", "80mm"])
def paper_mm(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture(params=["gb18030", "kanji"])
def spec(request: pytest.FixtureRequest, paper_mm: int) -> PrinterSpec:
    return PrinterSpec(paper_mm=paper_mm, chinese=request.param)


def printed(spec: PrinterSpec, **changes: object) -> Printout:
    return decode(render_slip(msgspec.structs.replace(SLIP, **changes), spec))


def number_line(printout: Printout, number: str = "A001") -> Line:
    lines = [line for line in printout.printed_lines if line.text == number]
    assert len(lines) == 1, printout.describe()
    return lines[0]


def joined(printout: Printout, separator: str) -> str:
    return separator.join(line.text for line in printout.printed_lines)


# -- what the slip says ------------------------------------------------------------------------------


def test_starts_by_initialising_the_printer(spec: PrinterSpec) -> None:
    assert render_slip(SLIP, spec).startswith(b"\x1b@")


def test_hall_name_is_centered(spec: PrinterSpec) -> None:
    assert printed(spec).line_with("示范区政务服务中心").align == "center"


def test_number_is_centered_bold_and_the_biggest_text(spec: PrinterSpec) -> None:
    printout = printed(spec)
    number = number_line(printout)
    assert number.align == "center"
    assert number.bold
    assert number.width == number.height >= 4
    for line in printout.printed_lines:
        if line is not number and line.text.strip():
            assert line.width * line.height < number.width * number.height, printout.describe()
            assert line.height <= number.height, printout.describe()


def test_item_name_in_chinese_and_english(spec: PrinterSpec) -> None:
    printout = printed(spec)
    assert printout.line_with("企业设立登记")
    assert printout.line_with("Enterprise registration")


def test_people_ahead_and_wait(spec: PrinterSpec) -> None:
    printout = printed(spec)
    assert printout.line_with("前面还有 3 人等候")
    assert printout.line_with("预计等候约 12 分钟")


def test_a_wide_wait_is_printed_as_a_range(spec: PrinterSpec) -> None:
    printout = printed(spec, people_ahead=6, estimated_wait_minutes=60, estimated_wait_range=(45, 75))
    assert printout.line_with("预计等候约 45–75 分钟")
    assert printout.line_with("Estimated wait about 45–75 min")
    assert "约 60 分钟" not in printout.text


def test_issue_time_on_one_line(spec: PrinterSpec) -> None:
    assert printed(spec).line_with("2026-11-21 10:05:00")


def test_notice_in_chinese_and_english(spec: PrinterSpec) -> None:
    printout = printed(spec)
    assert NOTICE in joined(printout, ""), printout.describe()  # Chinese wraps anywhere, without a space
    assert NOTICE_EN in joined(printout, " "), printout.describe()


def test_one_qr_code_with_the_status_url(spec: PrinterSpec) -> None:
    printout = printed(spec)
    assert len(printout.qr_codes) == 1, printout.describe()
    code = printout.qr_codes[0]
    assert code.payload == STATUS_URL
    assert code.align == "center"


def test_qr_code_fits_the_paper(spec: PrinterSpec) -> None:
    code = printed(spec).qr_codes[0]
    level = {"L": qrcode.ERROR_CORRECT_L, "M": qrcode.ERROR_CORRECT_M, "Q": qrcode.ERROR_CORRECT_Q}
    symbol = qrcode.QRCode(error_correction=level.get(code.error_correction, qrcode.ERROR_CORRECT_H), border=0)
    symbol.add_data(code.payload.encode())
    symbol.make(fit=True)
    modules = 17 + 4 * symbol.version
    assert code.module_size >= 3
    assert (modules + 8) * code.module_size <= DOTS[spec.paper_mm]  # with the quiet zone of 4 modules a side


def test_no_qr_code_without_a_status_url(spec: PrinterSpec) -> None:
    printout = printed(spec, status_url="")
    assert printout.qr_codes == []
    assert "扫码" not in printout.text


@pytest.mark.parametrize(("cut", "expected"), [("partial", [Cut(partial=True)]), ("full", [Cut(partial=False)])])
def test_ends_with_one_cut(paper_mm: int, cut: Literal["full", "partial"], expected: list[Cut]) -> None:
    printout = decode(render_slip(SLIP, PrinterSpec(paper_mm=paper_mm, cut=cut)))
    assert printout.cuts == expected
    assert printout.items[-1] == expected[0]
    assert isinstance(printout.items[-2], Feed), "fed past the cutter first"


def test_partial_cut_by_default() -> None:
    assert PrinterSpec().cut == "partial"
    assert decode(render_slip(SLIP, PrinterSpec())).cuts == [Cut(partial=True)]


def test_no_cut_when_the_printer_has_no_cutter(paper_mm: int) -> None:
    printout = decode(render_slip(SLIP, PrinterSpec(paper_mm=paper_mm, cut="none")))
    assert printout.cuts == []


def test_without_a_cutter_the_slip_is_still_fed_past_the_tear_bar(paper_mm: int) -> None:
    # The tear bar is some 15 mm above the print head: without a feed the notice stays in the
    # printer when the slip is torn off, and comes out on top of the next one.
    printout = decode(render_slip(SLIP, PrinterSpec(paper_mm=paper_mm, cut="none")))
    last = printout.items[-1]
    assert isinstance(last, Feed) and last.lines >= 4, printout.describe()


# -- the paper ---------------------------------------------------------------------------------------


def test_no_line_wider_than_the_paper(spec: PrinterSpec) -> None:
    printout = printed(spec)
    assert spec.columns == {58: 32, 80: 48}[spec.paper_mm]
    for line in printout.printed_lines:
        assert text_width(line.text) * line.width <= spec.columns, printout.describe()


@pytest.mark.parametrize("number", ["ABC12345", "V12"])
def test_a_long_number_still_fits_one_line(spec: PrinterSpec, number: str) -> None:
    printout = printed(spec, number=number)
    line = number_line(printout, number)
    assert line.width == line.height >= 2
    assert text_width(number) * line.width <= spec.columns


# -- Chinese bytes -----------------------------------------------------------------------------------


def test_chinese_bytes_for_the_mode(spec: PrinterSpec) -> None:
    printout = printed(spec)
    chinese = [line for line in printout.printed_lines if not line.text.isascii()]
    assert chinese
    if spec.chinese == "kanji":
        assert not printout.non_ascii_outside_kanji, printout.describe()
        assert all(line.kanji for line in chinese)
        assert printout.kanji_on_count == printout.kanji_off_count  # each FS & closed by FS .
    else:
        assert printout.kanji_on_count == 0
        assert not any(line.kanji for line in printout.printed_lines)


def test_gb18030_mode_leaves_the_printer_in_chinese_mode(paper_mm: int) -> None:
    # Chinese-market printers power on in Chinese (Kanji) mode, where bytes of 0x80 and up are the
    # first of a double-byte character and ASCII stays single-byte; FS . cancels it, and then every
    # byte prints as a character of the single-byte code page: the Chinese comes out as rubbish.
    printout = printed(PrinterSpec(paper_mm=paper_mm, chinese="gb18030"))
    assert printout.kanji_off_count == 0
    assert not printout.non_ascii_after_kanji_off


# -- variants ----------------------------------------------------------------------------------------


def test_without_english(spec: PrinterSpec) -> None:
    printout = printed(spec, english=False)
    for line in printout.printed_lines:
        if line.text != "A001":
            assert not re.search("[A-Za-z]", line.text), printout.describe()
    assert printout.line_with("企业设立登记")
    assert printout.line_with("2026-11-21 10:05:00")
    assert NOTICE in joined(printout, "")
    assert len(printout.qr_codes) == 1


def test_nobody_ahead(spec: PrinterSpec) -> None:
    printout = printed(spec, people_ahead=0, estimated_wait_minutes=0)
    assert printout.line_with("前面没有人等候")
    assert "预计等候" not in printout.text
    assert "Estimated wait" not in printout.text


def test_no_counter_for_the_item(spec: PrinterSpec) -> None:
    printout = printed(spec, people_ahead=None, estimated_wait_minutes=None)
    assert printout.line_with("暂无窗口")
    assert "预计等候" not in printout.text


def test_before_opening_when_service_begins_not_minutes(spec: PrinterSpec) -> None:
    opens = dt.datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    printout = printed(spec, people_ahead=0, estimated_wait_minutes=None, opens_at=opens)
    assert printout.line_with("前面还有 0 人等候")  # not "you are next": nobody is calling yet
    assert printout.line_with("09:00 开始办理")
    assert printout.line_with("Service begins at 09:00")
    assert "预计等候" not in printout.text and "前面没有人等候" not in printout.text


def test_no_counter_for_the_item_staffed_yet(spec: PrinterSpec) -> None:
    printout = printed(spec, people_ahead=4, estimated_wait_minutes=None)
    assert printout.line_with("前面还有 4 人等候")
    assert printout.line_with("暂无法估计等候时间")
    assert "预计等候" not in printout.text


def test_the_counters_that_serve_it(spec: PrinterSpec) -> None:
    printout = printed(spec, counters=(1, 2, 3, 4, 5, 8))
    assert printout.line_with("办理窗口：1-5、8号"), printout.describe()
    assert printout.line_with("Counters 1-5, 8")
    assert "办理窗口" not in printed(spec).text  # none known: no line


def test_counter_spans() -> None:
    assert counter_spans((8, 1, 2, 3, 5)) == ["1-3", "5", "8"]
    assert counter_spans((4, 5)) == ["4", "5"]
    assert counter_spans((7,)) == ["7"] and counter_spans(()) == []


def test_green_channel(spec: PrinterSpec) -> None:
    printout = printed(spec, green=True)
    line = printout.line_with("绿色通道")
    assert line.align == "center" and line.bold
    assert number_line(printout).width > line.width


def test_appointment(spec: PrinterSpec) -> None:
    assert printed(spec, appointment=True).line_with("预约")
    assert "绿色通道" not in printed(spec).text


# -- wrap ----------------------------------------------------------------------------------------------


def test_wrap_chinese_anywhere_at_width_two() -> None:
    assert wrap("示范区政务服务中心", 8) == ["示范区政", "务服务中", "心"]
    assert wrap("示范区政务服务中心", 7) == ["示范区", "政务服", "务中心"]
    assert wrap("示范区", 6) == ["示范区"]


def test_wrap_english_at_spaces() -> None:
    assert wrap("Missed your number? Ask at the desk.", 16) == ["Missed your", "number? Ask at", "the desk."]
    assert all(text_width(line) <= 16 for line in wrap(NOTICE_EN, 16))


def test_wrap_cuts_a_word_longer_than_a_line() -> None:
    assert wrap("abcdefghijklmnop", 6) == ["abcdef", "ghijkl", "mnop"]
    assert wrap("see abcdefghij", 6) == ["see", "abcdef", "ghij"]


def test_wrap_mixed_text_and_short_text() -> None:
    assert wrap("前面还有 3 人等候", 32) == ["前面还有 3 人等候"]
    assert wrap("", 10) == [""]
    for columns in (8, 11, 16):
        for line in wrap(NOTICE, columns):
            assert text_width(line) <= columns
        assert "".join(wrap(NOTICE, columns)) == NOTICE


def test_text_width() -> None:
    assert text_width("A001") == 4
    assert text_width("企业设立登记") == 12
    assert text_width("前面还有 3 人等候") == 17
    assert text_width("超过30分钟，") == 12  # full-width comma: two columns
    assert text_width("") == 0


# -- the decoder itself ----------------------------------------------------------------------------


def test_decoder_reads_styles_and_kanji() -> None:
    data = b"\x1b@\x1ba\x01\x1d!\x11\x1bE\x01\x1c&" + "号".encode("gb18030") + b"\x1c.\nA\x1bd\x03\x1dV\x00"
    printout = decode(data)
    assert printout.items == [
        Line("号", align="center", width=2, height=2, bold=True, kanji=True),
        Line("A", align="center", width=2, height=2, bold=True),
        Feed(3),
        Cut(partial=False),
    ]
    assert not printout.non_ascii_outside_kanji


def test_decoder_reads_a_qr_code() -> None:
    payload = "http://x/票".encode()
    store = b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"1P0" + payload
    data = b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x05\x1d(k\x03\x001E1" + store + b"\x1d(k\x03\x001Q0\n"
    assert decode(data).qr_codes == [QR("http://x/票", module_size=5, error_correction="M", model=2)]


@pytest.mark.parametrize(
    ("data", "offset"),
    [(b"ab\n\x1b3\x18", 3), (b"\x1d(k\x03\x000C", 0), (b"\n\x1ba", 1), (b"x\r\n", 1), (b"\x1c!\x00", 0)],
)
def test_decoder_refuses_what_it_does_not_know(data: bytes, offset: int) -> None:
    with pytest.raises(EscPosDecodeError, match=f"at byte {offset} "):
        decode(data)


def test_line_with_shows_the_printout() -> None:
    with pytest.raises(AssertionError, match="A001"):
        decode(render_slip(SLIP, PrinterSpec())).line_with("no such text")
