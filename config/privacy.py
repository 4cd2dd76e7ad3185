"""Masking personal information (GB/T 35273): what screens, slips and logs may show.

mask_id_number("320102199001011234") -> "3201**********1234"
mask_phone("13812345678")            -> "138****5678"
mask_name("张三丰")                   -> "张**"
mask_text("call 13812345678")        -> "call 138****5678"  (anything that looks like one)
"""

from __future__ import annotations

import re

__all__ = ["mask_id_number", "mask_name", "mask_phone", "mask_text"]

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_SECRET = re.compile(r"(?i)((?:[?&]token=)|(?:bearer\s+)|(?:password[\"']?\s*[:=]\s*[\"']?))([^&\s\"']+)")


def mask_id_number(value: str) -> str:
    """Resident ID numbers keep the first four and the last four characters."""
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    value = value.strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Chinese names keep the family name (one character); others the first letter."""
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number found in free text (log lines), and the
    secrets a request line can carry (``?token=…``, ``Bearer …``, ``password=…``)."""
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
