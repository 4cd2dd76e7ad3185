"""What a ticket slip (取号凭条) says, the same on paper and in the PDF: pure, no I/O.

``slip_for`` turns a ticket (as the kiosk sees it) into a ``Slip``; ``escpos.py`` lays it out
for a thermal printer and ``pdf.py`` for a PDF. Nothing personal is on a slip: the ticket
carries no name, ID or phone.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec

from printers.settings import SlipSettings
from queueing.views import TicketView, counter_spans, wait_words

__all__ = ["Slip", "slip_for", "text_width", "wrap"]


class Slip(msgspec.Struct, frozen=True, kw_only=True):
    hall_name: str
    hall_name_en: str = ""
    number: str
    item_name: str
    item_name_en: str = ""
    green: bool = False  # 绿色通道
    appointment: bool = False
    people_ahead: int | None
    estimated_wait_minutes: int | None
    estimated_wait_range: tuple[int, int] | None = None  # said instead of the minutes when wide
    opens_at: dt.datetime | None = None  # no counter for it staffed yet: when the hall opens (hall's zone)
    counters: tuple[int, ...] = ()  # where it may be called
    issued_at: dt.datetime  # in the hall's zone
    status_url: str  # what the QR code opens; "" for no QR code
    notice: str = ""
    notice_en: str = ""
    english: bool = True

    def ahead_line(self) -> tuple[str, str]:
        if self.people_ahead is None:
            return "暂无窗口办理该事项，请咨询服务台", "No counter serves this item now; please ask at the desk"
        if self.people_ahead == 0 and self.estimated_wait_minutes is not None:
            return "前面没有人等候，请留意叫号", "You are next; please watch the screen"
        return f"前面还有 {self.people_ahead} 人等候", f"{self.people_ahead} ahead of you"

    def wait_line(self) -> tuple[str, str] | None:
        if self.people_ahead is None:
            return None
        if self.estimated_wait_minutes is None:  # none staffed, or its turn after closing: no minutes made up
            if self.opens_at is not None:
                return f"{self.opens_at:%H:%M} 开始办理，请留意叫号", f"Service begins at {self.opens_at:%H:%M}"
            return "暂无法估计等候时间，请咨询服务台", "Waiting time cannot be estimated now; please ask at the desk"
        if self.people_ahead == 0:
            return None
        zh, en = wait_words(self.estimated_wait_minutes, self.estimated_wait_range)
        return f"预计等候{zh}", f"Estimated wait {en}"

    def where_line(self) -> tuple[str, str] | None:
        """Which counters may call it, so the citizen waits within sight of them."""
        if not self.counters:
            return None
        spans = counter_spans(self.counters)
        return f"办理窗口：{'、'.join(spans)}号", f"Counter{'s' if len(self.counters) > 1 else ''} {', '.join(spans)}"

    def time_line(self) -> str:
        return f"{self.issued_at:%Y-%m-%d %H:%M:%S}"

    def class_line(self) -> tuple[str, str] | None:
        if self.green:
            return "绿色通道", "Priority service"
        if self.appointment:
            return "预约", "Appointment"
        return None


def slip_for(
    ticket: TicketView,
    hall_name: str,
    hall_name_en: str,
    timezone: str,
    status_url: str,
    settings: SlipSettings,
    hall_notice: str = "",
) -> Slip:
    return Slip(
        hall_name=hall_name,
        hall_name_en=hall_name_en,
        number=ticket.number,
        item_name=ticket.item_name,
        item_name_en=ticket.item_name_en,
        green=ticket.priority.name == "GREEN",
        appointment=ticket.priority.name == "APPOINTMENT",
        people_ahead=ticket.people_ahead,
        estimated_wait_minutes=ticket.estimated_wait_minutes,
        estimated_wait_range=ticket.estimated_wait_range,
        opens_at=ticket.opens_at.astimezone(ZoneInfo(timezone)) if ticket.opens_at else None,
        counters=ticket.counters,
        issued_at=ticket.issued_at.astimezone(ZoneInfo(timezone)),
        status_url=status_url if settings.qr else "",
        notice=hall_notice if settings.notice is None else settings.notice,
        notice_en=settings.notice_en,
        english=settings.english,
    )


_widths: dict[str, int] = {}  # each character's columns, as looked up once


def _width(char: str) -> int:
    width = _widths.get(char)
    if width is None:
        width = _widths[char] = 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def text_width(text: str) -> int:
    """Columns on a printer or a fixed-width screen: wide (CJK) characters take two."""
    return sum(map(_width, text))


def wrap(text: str, limit: float, measure: Callable[[str], float] = text_width) -> list[str]:
    """Lines no wider than ``limit`` (columns, or whatever ``measure`` counts, e.g. points in a
    PDF): at spaces where there are any (English), else anywhere (Chinese has no spaces); a
    word wider than a line is cut."""
    if measure is text_width:
        return _wrap_columns(text, limit)

    def fits(line: str) -> bool:
        return measure(line.rstrip()) <= limit

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in _words(paragraph):
            if fits(line + word):
                line += word
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = word.lstrip()
            while not fits(line):  # wider than a line on its own
                cut = next((i for i in range(len(line) - 1, 0, -1) if fits(line[:i])), 1)
                lines.append(line[:cut])
                line = line[cut:]
        if line.strip() or not lines:
            lines.append(line.rstrip())
    return lines


def _wrap_columns(text: str, limit: float) -> list[str]:
    """``wrap`` in columns, the same lines: a line's width is kept as it grows, where measuring
    it afresh for each word made a slip's Chinese lines (a word a character) cost two thirds of
    laying out the slip. A word's columns are known from ``_words``: a piece of more than one
    character is a run of narrow ones, one column each; a single character is looked up."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, width, bare = "", 0, 0  # the line's columns, with and without its trailing spaces
        for word in _words(paragraph):
            if len(word) > 1:
                kept, columns = word.rstrip(), len(word)
                wide = width + len(kept) if kept else bare  # the line with it, trailing spaces stripped
            else:
                columns = _width(word)
                wide = width + columns if not word.isspace() else bare
            if wide <= limit:
                line, width, bare = line + word, width + columns, wide
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = word.lstrip()
            while text_width(line.rstrip()) > limit:  # wider than a line on its own
                cut = next((i for i in range(len(line) - 1, 0, -1) if text_width(line[:i].rstrip()) <= limit), 1)
                lines.append(line[:cut])
                line = line[cut:]
            width, bare = text_width(line), text_width(line.rstrip())
        if line.strip() or not lines:
            lines.append(line.rstrip())
    return lines


_ASCII_WORDS = re.compile(r"[^ ]* |[^ ]+")


def _words(text: str) -> list[str]:
    """Breakable pieces: a wide character alone, or a run of narrow ones with its trailing space."""
    if text.isascii():  # no wide character: the runs alone
        return _ASCII_WORDS.findall(text)
    words: list[str] = []
    run = ""
    for char in text:
        if _width(char) == 2:
            if run:
                words.append(run)
                run = ""
            words.append(char)
        else:
            run += char
            if char == " ":
                words.append(run)
                run = ""
    if run:
        words.append(run)
    return words
