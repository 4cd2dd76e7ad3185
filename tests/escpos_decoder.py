"""The tests' reading of what a thermal printer gets: ESC/POS bytes back into lines, QR codes and cuts.

Not a printer emulator: it knows the few commands ``printers.escpos.render_slip`` sends (and a
few more python-escpos may send), follows the text style they set, and refuses anything else
with an error naming the byte offset, so a test fails the day we start sending something new.
Text is read as GB18030, in and out of Kanji mode (FS & … FS .); whether each byte came inside
Kanji mode is kept, so a test can tell which mode a printer needs to print it right.

    printout = decode(render_slip(slip, spec))
    printout.line_with("A001").width          # 4
    printout.qr_codes[0].payload              # the status URL
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from printers.slip import text_width

__all__ = ["QR", "Cut", "EscPosDecodeError", "Feed", "Line", "Printout", "decode"]

Align = Literal["left", "center", "right"]
Level = Literal["L", "M", "Q", "H"]

ESC, GS, FS, LF = 0x1B, 0x1D, 0x1C, 0x0A
_ALIGNS: dict[int, Align] = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}
_QR_MODELS = {49: 1, 50: 2, 51: 3}  # 3: Micro QR
_QR_LEVELS: dict[int, Level] = {48: "L", 49: "M", 50: "Q", 51: "H"}
# Commands read and then ignored: their argument bytes (they change nothing a test looks at).
_ESC_IGNORED = {ord("-"): 1, ord("t"): 1, ord("M"): 1, ord("{"): 1}  # underline, code table, font, upside down
_GS_IGNORED = {ord("B"): 1, ord("L"): 2, ord("W"): 2}  # reverse, left margin, print area width


class EscPosDecodeError(ValueError):
    """Bytes this decoder does not know, or a command cut short."""


@dataclass(frozen=True)
class Line:
    """One printed line (ended by LF or ESC d), in the style of its first character."""

    text: str
    align: Align = "left"
    width: int = 1  # magnification, 1–8
    height: int = 1
    bold: bool = False
    kanji: bool = False  # some of its text came inside FS & … FS .

    @property
    def columns(self) -> int:
        """Columns of the standard font it takes: wide (CJK) characters two, times the width."""
        return text_width(self.text) * self.width


@dataclass(frozen=True)
class QR:
    """A QR code printed by the printer itself (GS ( k … fn 81)."""

    payload: str
    module_size: int
    error_correction: Level
    model: int  # 1, 2, or 3 for Micro QR
    align: Align = "left"


@dataclass(frozen=True)
class Cut:
    partial: bool


@dataclass(frozen=True)
class Feed:
    """ESC d n: paper fed by n lines (after printing what was pending)."""

    lines: int


Item = Line | QR | Cut | Feed


@dataclass
class Printout:
    items: list[Item] = field(default_factory=list)
    non_ascii_outside_kanji: bool = False  # a byte ≥ 0x80 came outside FS & … FS .
    # … after an explicit FS ., when a printer takes every byte as a single-byte character:
    non_ascii_after_kanji_off: bool = False
    kanji_on_count: int = 0  # FS & commands
    kanji_off_count: int = 0  # FS . commands

    @property
    def printed_lines(self) -> list[Line]:
        return [item for item in self.items if isinstance(item, Line)]

    @property
    def lines(self) -> list[str]:
        return [line.text for line in self.printed_lines]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def qr_codes(self) -> list[QR]:
        return [item for item in self.items if isinstance(item, QR)]

    @property
    def cuts(self) -> list[Cut]:
        return [item for item in self.items if isinstance(item, Cut)]

    def line_with(self, substring: str) -> Line:
        """The first line containing ``substring``; an AssertionError showing the whole printout if none."""
        for line in self.printed_lines:
            if substring in line.text:
                return line
        raise AssertionError(f"no line contains {substring!r}; the printout:\n{self.describe()}")

    def describe(self) -> str:
        """The printout one item a line, for assertion messages."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Line):
                flags = ("B" if item.bold else "-") + ("K" if item.kanji else "-")
                out.append(f"[{item.align:<6} {item.width}x{item.height} {flags}] {item.text}")
            elif isinstance(item, QR):
                out.append(f"<QR {item.payload!r} module {item.module_size} EC {item.error_correction} {item.align}>")
            elif isinstance(item, Feed):
                out.append(f"<feed {item.lines}>")
            else:
                out.append(f"<cut {'partial' if item.partial else 'full'}>")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.describe()


@dataclass
class _Style:
    align: Align = "left"
    width: int = 1
    height: int = 1
    bold: bool = False


def decode(data: bytes) -> Printout:
    """What a printer prints for ``data``; EscPosDecodeError on anything unknown or cut short."""
    return _Decoder(data).run()


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.out = Printout()
        self.style = _Style()
        self.kanji: bool | None = None  # None: the printer's own default (no FS & or FS . since ESC @)
        # The line being filled: runs of text bytes, each with whether it came in Kanji mode.
        self.runs: list[tuple[bytearray, bool]] = []
        self.line_style: _Style | None = None  # the style of the pending line's first character
        self.qr_data: str | None = None
        self.qr_module = 3  # the printer's defaults
        self.qr_level: Level = "L"
        self.qr_model = 2

    # -- reading ---------------------------------------------------------------------------------

    def fail(self, start: int, message: str) -> EscPosDecodeError:
        snippet = self.data[start : start + 12]
        return EscPosDecodeError(f"at byte {start} ({snippet!r}): {message}")

    def take(self, start: int, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise self.fail(start, f"command cut short: {count} more byte(s) expected")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self, start: int) -> int:
        return self.take(start, 1)[0]

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> Printout:
        while self.pos < len(self.data):
            start = self.pos
            b = self.byte(start)
            if b == ESC:
                self.esc(start)
            elif b == GS:
                self.gs(start)
            elif b == FS:
                self.fs(start)
            elif b == LF:
                self.end_line(force=True)
            elif b < 0x20:
                raise self.fail(start, f"unexpected control byte 0x{b:02x}")
            else:
                self.add_text(start, b)
        if self.runs:
            raise self.fail(len(self.data), "text left unprinted at the end (no LF after it)")
        return self.out

    def add_text(self, start: int, b: int) -> None:
        if not self.runs:
            self.line_style = _Style(**vars(self.style))
        elif self.line_style is not None and (
            (self.line_style.width, self.line_style.height, self.line_style.bold)
            != (self.style.width, self.style.height, self.style.bold)
        ):
            raise self.fail(start, "the text style changes within a line (this decoder keeps one style a line)")
        in_kanji = self.kanji is True
        if b >= 0x80:
            if not in_kanji:
                self.out.non_ascii_outside_kanji = True
            if self.kanji is False:
                self.out.non_ascii_after_kanji_off = True
        if self.runs and self.runs[-1][1] == in_kanji:
            self.runs[-1][0].append(b)
        else:
            self.runs.append((bytearray([b]), in_kanji))

    def end_line(self, *, force: bool) -> None:
        """Print the pending line: always on LF (an empty one feeds a blank line), only if any on ESC d."""
        if not self.runs and not force:
            return
        style = self.line_style if self.runs and self.line_style is not None else self.style
        parts: list[str] = []
        for chunk, _ in self.runs:
            try:
                parts.append(bytes(chunk).decode("gb18030"))
            except UnicodeDecodeError as exc:
                raise EscPosDecodeError(f"text not GB18030 before byte {self.pos}: {bytes(chunk)!r}") from exc
        self.out.items.append(
            Line(
                text="".join(parts),
                align=style.align,
                width=style.width,
                height=style.height,
                bold=style.bold,
                kanji=any(in_kanji for _, in_kanji in self.runs),
            )
        )
        self.runs = []
        self.line_style = None

    def at_line_start(self, start: int, what: str) -> None:
        if self.runs:
            raise self.fail(start, f"{what} with text pending in the line (a printer takes it at a line's start)")

    # -- commands --------------------------------------------------------------------------------

    def esc(self, start: int) -> None:
        command = self.byte(start)
        if command == ord("@"):  # initialise: styles back to the defaults, the line buffer cleared
            self.style = _Style()
            self.runs = []
            self.line_style = None
            self.kanji = None
        elif command == ord("a"):
            n = self.byte(start)
            if n not in _ALIGNS:
                raise self.fail(start, f"ESC a {n}: no such alignment")
            if not self.runs:  # ignored by a printer unless at the start of a line
                self.style.align = _ALIGNS[n]
        elif command == ord("E"):
            self.style.bold = bool(self.byte(start) & 1)
        elif command == ord("!"):  # print mode: bold, double height, double width
            n = self.byte(start)
            self.style.bold = bool(n & 0x08)
            self.style.height = 2 if n & 0x10 else 1
            self.style.width = 2 if n & 0x20 else 1
        elif command == ord("d"):
            n = self.byte(start)
            self.end_line(force=False)
            self.out.items.append(Feed(n))
        elif command in _ESC_IGNORED:
            self.take(start, _ESC_IGNORED[command])
        else:
            raise self.fail(start, f"unknown command ESC 0x{command:02x}")

    def gs(self, start: int) -> None:
        command = self.byte(start)
        if command == ord("!"):
            n = self.byte(start)
            self.style.width = (n >> 4) + 1
            self.style.height = (n & 0x0F) + 1
            if self.style.width > 8 or self.style.height > 8:
                raise self.fail(start, f"GS ! 0x{n:02x}: magnification above 8")
        elif command == ord("V"):
            self.cut(start)
        elif command == ord("("):
            if self.byte(start) != ord("k"):
                raise self.fail(start, "unknown command GS (")
            self.two_d_code(start)
        elif command in _GS_IGNORED:
            self.take(start, _GS_IGNORED[command])
        else:
            raise self.fail(start, f"unknown command GS 0x{command:02x}")

    def fs(self, start: int) -> None:
        command = self.byte(start)
        if command == ord("&"):
            self.kanji = True
            self.out.kanji_on_count += 1
        elif command == ord("."):
            self.kanji = False
            self.out.kanji_off_count += 1
        else:
            raise self.fail(start, f"unknown command FS 0x{command:02x}")

    def cut(self, start: int) -> None:
        m = self.byte(start)
        if m in (0, 48, 1, 49):
            partial = m in (1, 49)
        elif m in (65, 66):
            self.byte(start)  # n: feed to the cutting position plus n units first
            partial = m == 66
        else:
            raise self.fail(start, f"GS V {m}: unknown cut")
        self.at_line_start(start, "a cut")
        self.out.items.append(Cut(partial=partial))

    def two_d_code(self, start: int) -> None:
        size = int.from_bytes(self.take(start, 2), "little")
        params = self.take(start, size)
        if size < 2 or params[0] != 49:
            raise self.fail(start, "GS ( k for a symbol other than QR (cn 49)")
        fn, args = params[1], params[2:]
        if fn == 65 and len(args) == 2:
            if args[0] not in _QR_MODELS:
                raise self.fail(start, f"QR model {args[0]}")
            self.qr_model = _QR_MODELS[args[0]]
        elif fn == 67 and len(args) == 1:
            self.qr_module = args[0]
        elif fn == 69 and len(args) == 1:
            if args[0] not in _QR_LEVELS:
                raise self.fail(start, f"QR error correction {args[0]}")
            self.qr_level = _QR_LEVELS[args[0]]
        elif fn == 80 and len(args) >= 1 and args[0] == 48:
            try:
                self.qr_data = bytes(args[1:]).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.fail(start, "QR data not UTF-8") from exc
        elif fn == 81 and len(args) == 1 and args[0] == 48:
            if self.qr_data is None:
                raise self.fail(start, "QR printed with no data stored")
            self.at_line_start(start, "a QR code")
            self.out.items.append(QR(self.qr_data, self.qr_module, self.qr_level, self.qr_model, self.style.align))
        else:
            raise self.fail(start, f"GS ( k QR function {fn} with {len(args)} argument byte(s)")
