"""The TCP controller frame: what ``TcpDriver`` sends an LED controller for each board.

The bridge keeps one TCP connection to the controller (``--controller HOST:PORT``) and sends
one frame per board update; the controller sends nothing back (whatever it sends is read
and discarded)::

    offset  size  field
    0       1     STX 0x02
    1       1     address: the board's counter number, 1-255
    2       2     N, the length of the text in bytes, big-endian (0-65535)
    4       N     the text in GB18030 (GB2312 text encodes identically); lines separated
                  by LF 0x0A, no trailing LF; no other control characters
    4+N     1     checksum: XOR of the address byte, the two length bytes and every text byte
    5+N     1     ETX 0x03

Counter 3 showing ``3号窗口`` / ``A001``::

    02 03 00 0C 33 BA C5 B4 B0 BF DA 0A 41 30 30 31 58 03

An empty text (N = 0) blanks the board (its counter left the hall). ``encode_frame``,
``decode_frame`` and ``read_frame`` are the reference implementation, for controller
firmware and simulators alike.
"""

from __future__ import annotations

import asyncio

__all__ = ["ENCODING", "ETX", "MAX_TEXT", "STX", "FrameError", "decode_frame", "encode_frame", "read_frame"]

STX, ETX, LF = 0x02, 0x03, 0x0A
ENCODING = "gb18030"
MAX_TEXT = 0xFFFF


class FrameError(ValueError):
    """Not a valid frame."""


def _clean(line: str) -> str:
    return "".join(" " if ord(char) < 0x20 or ord(char) == 0x7F else char for char in line)


def _checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_frame(address: int, lines: list[str] | tuple[str, ...]) -> bytes:
    """One frame: STX, address, length (big-endian), GB18030 text, XOR checksum, ETX.

    Control characters inside a line become spaces (LF separates the lines); a character
    GB18030 cannot hold (a lone surrogate) becomes ``?``."""
    if not 0 <= address <= 0xFF:
        raise ValueError(f"board address {address} does not fit in one byte (0-255)")
    text = "\n".join(_clean(line) for line in lines).encode(ENCODING, errors="replace")
    if len(text) > MAX_TEXT:
        raise ValueError(f"board text of {len(text)} bytes is longer than {MAX_TEXT}")
    body = bytes([address]) + len(text).to_bytes(2, "big") + text
    return bytes([STX]) + body + bytes([_checksum(body), ETX])


def decode_frame(frame: bytes) -> tuple[int, list[str]]:
    """``(address, lines)`` of exactly one frame; ``FrameError`` if anything is wrong."""
    if len(frame) < 6:
        raise FrameError(f"a frame has at least 6 bytes, this one {len(frame)}")
    if frame[0] != STX:
        raise FrameError(f"a frame starts with STX 0x02, not 0x{frame[0]:02X}")
    length = int.from_bytes(frame[2:4], "big")
    if len(frame) != length + 6:
        raise FrameError(f"the length field says {length} text bytes, the frame holds {len(frame) - 6}")
    if frame[-1] != ETX:
        raise FrameError(f"a frame ends with ETX 0x03, not 0x{frame[-1]:02X}")
    body = frame[1 : 4 + length]
    if _checksum(body) != frame[-2]:
        raise FrameError(f"checksum 0x{frame[-2]:02X}, expected 0x{_checksum(body):02X}")
    try:
        text = body[3:].decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise FrameError(f"the text is not GB18030: {exc}") from None
    return body[0], text.split("\n") if text else []


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """The next frame from a stream (a controller's side of the connection).

    ``asyncio.IncompleteReadError`` at the end of the stream, ``FrameError`` on a bad frame."""
    head = await reader.readexactly(4)
    if head[0] != STX:
        raise FrameError(f"a frame starts with STX 0x02, not 0x{head[0]:02X}")
    rest = await reader.readexactly(int.from_bytes(head[2:4], "big") + 2)
    return decode_frame(head + rest)
