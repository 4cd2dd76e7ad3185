"""Masking personal information (GB/T 35273): what screens, slips and logs may show.

mask_id_number("320102199001011234") -> "3201**********1234"
mask_id_number("USA123456789012")    -> "USA*********012"  (the older permanent residence card)
mask_id_number("E12345678")          -> "E1*****78"  (a passport; any identity document)
mask_phone("13812345678")            -> "138****5678"
mask_phone("+85261234567")           -> "+852****4567"  (the country code and the last four)
mask_phone("+12025550123")           -> "+1******0123"
mask_name("张三丰")                   -> "张**"
mask_text("call 13812345678")        -> "call 138****5678"  (anything that looks like one)
"""

from __future__ import annotations

import re

__all__ = ["mask_code", "mask_id_number", "mask_name", "mask_phone", "mask_text"]

# Two-digit E.164 country codes (ITU-T E.164 Annex: +20 Egypt … +98 Iran); +1 and +7 are one
# digit, every other code three (+852 Hong Kong, +853 Macao, +886 Taiwan, +971 …).
_TWO_DIGIT_COUNTRY_CODES = frozenset(
    {20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58,
     60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98}
)  # fmt: skip

# Only what cannot be anything else in a log line: never next to letters, digits or the
# characters that join them into times, versions, paths and ids (09:00:05, 1.2.3, /a/b, A012).
_ALONE_BEFORE = r"(?<![0-9A-Za-z_\-.:/+])"
_ALONE_AFTER = r"(?![0-9A-Za-z_\-:/]|\.[0-9A-Za-z])"
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
# a mainland mobile, as typed: 13812345678, 138 1234 5678, 138-1234-5678
_PHONE = re.compile(r"(?<![\d+])1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
# E.164, as typed: +85261234567, +852 6123 4567, +1 202-555-0123 (8 to 15 digits)
_INTERNATIONAL_PHONE = re.compile(r"(?<![\w+])\+[1-9](?:[ -]?\d){7,14}(?![\d])")
# other identity documents with a shape of their own: 外国人永久居留证 (old), 港澳通行证,
# passports (E12345678, EA1234567, G12345678: one or two letters and 7 or 8 digits), and
# 台湾居民来往大陆通行证 (8 digits alone)
_DOCUMENT = re.compile(_ALONE_BEFORE + r"(?:[A-Z]{3}\d{12}|[HM]\d{8}(?:\d{2})?|[A-Z]{1,2}\d{7,8}|\d{8})" + _ALONE_AFTER)
_SECRET = re.compile(r"(?i)((?:[?&]token=)|(?:bearer\s+)|(?:password[\"']?\s*[:=]\s*[\"']?))([^&\s\"']+)")


def mask_id_number(value: str) -> str:
    """An identity document's number, never more than half shown: the 18-character cards
    (resident ID, residence permits, 2023 permanent residence cards) and long passports keep
    four characters at each end, the older 15-character permanent residence card three,
    passports and travel permits of 8 to 11 two, the shortest one."""
    value = value.strip()
    size = len(value)
    keep = 4 if size >= 16 else 3 if size >= 12 else 2 if size >= 8 else 1 if size >= 5 else 0
    if not keep:
        return "*" * size
    return value[:keep] + "*" * (size - 2 * keep) + value[-keep:]


def _country_code(digits: str) -> str:
    """The E.164 country code that begins ``digits`` (those after the +)."""
    if digits[0] in "17":
        return digits[0]
    return digits[:2] if int(digits[:2]) in _TWO_DIGIT_COUNTRY_CODES else digits[:3]


def mask_phone(value: str) -> str:
    """A mainland mobile keeps its first three and last four digits; a number in E.164 form
    its country code (+1, +65, +852) and its last four (fewer when the number is short)."""
    value = value.strip()
    if value.startswith("+"):
        digits = "".join(c for c in value if c.isdigit())
        if not digits:
            return "*" * len(value)
        code = _country_code(digits)
        national = digits[len(code) :]
        keep = min(4, len(national) // 2)
        return "+" + code + "*" * (len(national) - keep) + national[len(national) - keep :]
    if len(value) < 9:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_code(value: str) -> str:
    """A booking code in a log keeps its first two and last two characters: enough to match a
    citizen's complaint, not enough to open the booking."""
    value = value.strip()
    if len(value) < 6:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_name(value: str) -> str:
    """Chinese names keep the family name (one character); others the first letter."""
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_text(text: str) -> str:
    """Mask every identity document number and phone number found in free text (log lines),
    however spaced, and the secrets a request line can carry (``?token=…``, ``Bearer …``,
    ``password=…``)."""
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _INTERNATIONAL_PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    text = _PHONE.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group(0))), text)
    return _DOCUMENT.sub(lambda m: mask_id_number(m.group(0)), text)
