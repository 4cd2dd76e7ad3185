"""Ticket numbers: the group's prefix and the day's sequence, A001, A002 … A999, A1000."""

from __future__ import annotations

__all__ = ["format_number"]


def format_number(prefix: str, seq: int) -> str:
    if seq < 1:
        raise ValueError("ticket sequences start at 1")
    return prefix + str(seq).zfill(3)  # quicker than a format spec; A1000 after A999
