"""Masking personal information (GB/T 35273): what screens, slips and logs may show.

mask_id_number("320102199001011234") -> "3201**********1234"
mask_id_number("E12345678")          -> "E1*****78"  (a passport; any identity document)
mask_phone("13812345678")            -> "138****5678"
mask_phone("+85261234567")           -> "+852****4567"
mask_name("张三丰")                   -> "张**"
mask_text("call 13812345678")        -> "call 138****5678"  (anything that looks like one)
"""

from __future__ import annotations

import re

__all__ = ["mask_id_number", "mask_name", "mask_phone", "mask_text"]

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_INTERNATIONAL_PHONE = re.compile(r"(?<![\w+])\+[1-9]\d{7,14}(?!\d)")  # E.164: +852 61234567
# other identity documents with a shape of their own: 外国人永久居留证 (old), 港澳通行证
_DOCUMENT = re.compile(r"(?<![0-9A-Za-z])(?:[A-Z]{3}\d{12}|[HM]\d{8}(?:\d{2})?)(?![0-9A-Za-z])")
_SECRET = re.compile(r"(?i)((?:[?&]token=)|(?:bearer\s+)|(?:password[\"']?\s*[:=]\s*[\"']?))([^&\s\"']+)")


def mask_id_number(value: str) -> str:
    """An identity document's number: the 15 and 18 character ones (resident ID, residence
    permits, permanent residence cards) keep the first four and the last four characters,
    shorter ones (passports, travel permits) the first two and the last two, the shortest
    one at each end: never more than half shown."""
    value = value.strip()
    keep = 4 if len(value) >= 15 else 2 if len(value) >= 8 else 1 if len(value) >= 5 else 0
    if not keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_phone(value: str) -> str:
    """A mainland mobile keeps its first three and last four digits; a number in E.164 form
    (+852…) its country code's first digits (+852) and its last four."""
    value = value.strip()
    head = 4 if value.startswith("+") else 3
    if len(value) < head + 6:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - 4) + value[-4:]


def mask_name(value: str) -> str:
    """Chinese names keep the family name (one character); others the first letter."""
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number found in free text (log lines), and the
    secrets a request line can carry (``?token=…``, ``Bearer …``, ``password=…``)."""
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _DOCUMENT.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _INTERNATIONAL_PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
