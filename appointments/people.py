"""The person behind a booking: checked, protected, masked (GB/T 35273).

Who books shows one identity document (证件): the mainland resident ID card, a passport, a
travel permit of Hong Kong, Macao or Taiwan residents, their residence permit, or a foreign
permanent resident's card; ``DOCUMENTS`` is the table of their numbers' shapes. One person is
one document kind and its number, folded as a phone keyboard types it (full-width digits, Ｘ,
spaces). A booking may be made for someone else (代办): the agent's name and phone come with
it, and the agent is the one told.

A document number is kept two ways: a keyed hash (HMAC-SHA256 with a key derived from the
server's secret) to find a person's bookings and apply the rules, and masked to show. The
phones and the e-mail are sealed (AES-GCM), to be opened only to tell the person or to check
a phone typed to find or cancel a booking. Only masked forms (3201**********1234, E1*****78,
138****5678, +852****4567, 张*) are ever shown, returned or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Literal, NamedTuple

import msgspec

from config.crypto import Sealer
from config.privacy import mask_id_number, mask_name, mask_phone

__all__ = [
    "CONSENT_NOTICE",
    "DOCUMENTS",
    "NOTICE_VERSION",
    "AgentInput",
    "Contact",
    "DocumentKind",
    "PersonError",
    "PersonInput",
    "PersonKeys",
    "check_document",
    "check_id_number",
    "check_phone",
    "checks_in_by_code",
    "kind_of_card_number",
]

DocumentKind = Literal[
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit", "residence_permit", "foreign_permanent"
]


class Document(NamedTuple):
    """A kind of identity document and the shape of its numbers (ASCII only: ``\\d`` would
    take other scripts' digits)."""

    name: str
    name_en: str
    pattern: str  # the whole number, after folding (checked here only: the booking page shows ``shape``)
    shape: str  # what the number looks like, said to whoever typed it wrong
    shape_en: str
    checksum: bool  # the last character is the GB 11643 check digit


DOCUMENTS: dict[str, Document] = {
    "resident_id": Document(
        "居民身份证", "resident ID card", "^[1-6][0-9]{16}[0-9X]$",
        "18位，17位数字加1位数字或X", "18 characters: 17 digits and a digit or X", True,
    ),
    "passport": Document(
        "护照", "passport", "^(?=.*[0-9])[A-Z0-9]{5,17}$",
        "5至17位字母和数字", "5 to 17 letters and digits", False,
    ),
    "hk_macao_permit": Document(
        "港澳居民来往内地通行证", "Mainland Travel Permit for Hong Kong and Macao Residents",
        "^[HM][0-9]{8}([0-9]{2})?$",
        "H或M开头，后接8位（旧证10位）数字", "H or M and 8 digits (10 on older permits)", False,
    ),
    "taiwan_permit": Document(
        "台湾居民来往大陆通行证", "Mainland Travel Permit for Taiwan Residents", "^[0-9]{8}([0-9]{2})?$",
        "8位数字（旧证10位）", "8 digits (10 on older permits)", False,
    ),
    "residence_permit": Document(
        "港澳台居民居住证", "Residence Permit for Hong Kong, Macao and Taiwan Residents",
        "^8[123][0-9]{15}[0-9X]$",
        "18位，以81、82或83开头", "18 characters starting with 81, 82 or 83", True,
    ),
    "foreign_permanent": Document(
        "外国人永久居留身份证", "Foreign Permanent Resident ID Card",
        "^(9[0-9]{16}[0-9X]|[A-Z]{3}[0-9]{12})$",
        "18位以9开头（2023年版），或3个字母加12位数字（旧版）",
        "18 characters starting with 9 (2023 card), or 3 letters and 12 digits (older card)", True,
    ),
}  # fmt: skip

# The consent notice the booking page shows (个人信息保护法 Art. 14, 17, 29): each booking keeps
# when both consents were given and this version. Changing a word of it is a new version.
NOTICE_VERSION = "2026-12-07"
CONSENT_NOTICE = {
    "privacy_consent": (
        "同意为本次预约处理以上姓名、手机号和邮箱：仅用于预约、签到和预约通知，页面只显示脱敏信息；"
        "代他人预约的，我确认已取得办事人本人的授权",
        "I agree to the use of the names, phones and e-mail above for this booking, its check-in and its "
        "notices; pages show them masked. Booking for someone else, I confirm I have their authorisation.",
    ),
    "document_consent": (
        "单独同意提供证件号码（敏感个人信息）：仅用于到厅核验身份、签到和防止重复预约；"
        "只保存不可还原的摘要和脱敏号码（如3201**********1234），不保存完整号码",
        "Separately, I agree to give the document number (sensitive personal information), used only to "
        "check identity at the hall, to check in and to prevent duplicate bookings; a keyed hash of it and "
        "a masked form (like 3201**********1234) are kept, never the whole number.",
    ),
}
_SHAPES = {kind: re.compile(document.pattern) for kind, document in DOCUMENTS.items()}
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_INTERNATIONAL = re.compile(r"^\+[1-9][0-9]{7,14}$")  # E.164: 8 to 15 digits with the country code
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PersonError(ValueError):
    """What is wrong with what someone typed: the field (``person.id_number``), and why in
    Chinese and English, naming the field."""

    def __init__(self, field: str, message_zh: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message_zh, self.message = field, message_zh, message


def _fold(value: str) -> str:
    """As a phone keyboard typed it, half-width: full-width digits and letters folded, spaces gone."""
    return "".join(unicodedata.normalize("NFKC", value).split())


def _check_digit_ok(number: str) -> bool:
    return _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11] == number[17]


def _is_card(kind: str, number: str) -> bool:
    """An 18-character card with the GB 11643 check digit: read alike by card readers."""
    return DOCUMENTS[kind].checksum and len(number) == 18


def kind_of_card_number(number: str) -> str | None:
    """Which 18-character card a number is by its first digits (81–83 a residence permit,
    9 a permanent residence card, else a resident ID): the card readers and the kiosk's
    keypad read them all alike."""
    number = _fold(number).upper()
    return next((k for k in DOCUMENTS if _is_card(k, number) and _SHAPES[k].match(number)), None)


def checks_in_by_code(number: str) -> bool:
    """A passport's, a travel permit's or an older permanent residence card's number: no card
    reader reads them, their bookings check in by the booking code. A mistyped 18-character
    card (17 digits and more) is not one: it is told what is wrong with it."""
    number = _fold(number).upper()
    if len(number) >= 17 and number[:17].isdigit():
        return False
    return any(_SHAPES[kind].match(number) for kind in DOCUMENTS if not _is_card(kind, number))


def check_document(kind: str, value: str, prefix: str = "person.") -> str:
    """The number of a ``kind`` document, folded and upper-cased, or ``PersonError`` naming
    the field as the request has it: ``person.id_number`` when booking (``prefix``), a
    top-level ``id_number`` (prefix "") to find or check in."""
    field = f"{prefix}id_number"
    document = DOCUMENTS.get(kind)
    if document is None:
        raise PersonError(f"{prefix}document_kind", "请选择证件类型", f"no document kind {kind!r}")
    number = _fold(value).upper()
    if not _SHAPES[kind].match(number):
        other = kind_of_card_number(number)
        if other is not None and other != kind:  # an 81… number typed as a resident ID
            name = DOCUMENTS[other].name
            raise PersonError(
                field,
                f"该号码是{name}号码，请将证件类型选为「{name}」",
                f"this is a {DOCUMENTS[other].name_en} number: choose that document kind",
            )
        raise PersonError(
            field,
            f"{document.name}号码应为{document.shape}",
            f"a {document.name_en} number is {document.shape_en}",
        )
    if document.checksum and len(number) == 18 and not _check_digit_ok(number):
        raise PersonError(
            field,
            f"{document.name}号码有误（校验位不符），请核对后重新输入",
            f"the {document.name_en} number's check digit is wrong: please check the number",
        )
    return number


def check_id_number(value: str) -> str:
    """A resident ID number (居民身份证号码, GB 11643), folded, or ``PersonError``."""
    return check_document("resident_id", value)


def check_phone(value: str, field: str = "person.phone", label: str = "手机号") -> str:
    """A mainland mobile as its 11 digits (+86 taken off), or a number outside the mainland
    in E.164 form (+85261234567; 00 read as +); spaces, dashes and full-width digits folded."""
    number = re.sub(r"[-().]", "", _fold(value))
    if number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+86"):
        number = number[3:]
    elif len(number) == 13 and number.startswith("86"):
        number = number[2:]
    if _MOBILE.match(number) or _INTERNATIONAL.match(number):
        return number
    raise PersonError(
        field,
        f"{label}应为以1开头的11位大陆手机号；境外号码请以+和国际区号开头，如 +852 6123 4567",
        "a mainland mobile number has 11 digits starting with 1; a number outside the mainland "
        "starts with + and its country code, like +852 6123 4567",
    )


class AgentInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """代办人: who books for the person (a son for his mother) and is told about the booking."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=24)]


class PersonInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who comes (预约人), as typed: their own document is checked at the counter. With an
    ``agent`` (代办), the person's own phone may be left out: the agent's is the contact."""

    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]  # the document's number
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    phone: Annotated[str, msgspec.Meta(max_length=24)] = ""
    email: Annotated[str, msgspec.Meta(max_length=120)] = ""
    document_kind: DocumentKind = "resident_id"
    agent: AgentInput | None = None

    def checked(self) -> PersonInput:
        """Normalised, or ``PersonError`` naming the field."""
        name = self.name.strip()
        if not name:
            raise PersonError("person.name", "请填写姓名", "the name is empty")
        id_number = check_document(self.document_kind, self.id_number)
        phone = self.phone.strip()
        if phone or self.agent is None:
            phone = check_phone(phone)
        email = self.email.strip()
        if email and not _EMAIL.match(email):
            raise PersonError("person.email", "邮箱格式有误", "not an e-mail address")
        agent = None
        if self.agent is not None:
            agent_name = self.agent.name.strip()
            if not agent_name:
                raise PersonError("person.agent.name", "请填写代办人姓名", "the agent's name is empty")
            agent = AgentInput(
                name=agent_name, phone=check_phone(self.agent.phone, "person.agent.phone", "代办人手机号")
            )
        return PersonInput(
            id_number=id_number, name=name, phone=phone, email=email, document_kind=self.document_kind, agent=agent
        )


class Contact(msgspec.Struct, frozen=True):
    """What is sealed with a booking: enough to tell the person (or their agent), nothing else."""

    phone: str  # the person's own; "" when an agent booked without it
    email: str = ""
    name: str = ""
    agent_name: str = ""  # 代办人
    agent_phone: str = ""

    @property
    def reach(self) -> str:
        """The phone the hall's messages go to: the agent's when someone booked for the person."""
        return self.agent_phone or self.phone

    @property
    def phones(self) -> tuple[str, ...]:
        """Each phone that proves a booking is one's own (to find or cancel it)."""
        return tuple(p for p in (self.phone, self.agent_phone) if p)


class PersonKeys:
    """Keys derived from the server's secret: one to find a person, one to seal contacts.

    After a rotation the secrets before it (``old``) are still read with: a contact sealed
    with one opens (``hall rekey`` seals them all again with the new one), and a person is
    found by the keyed hash of their number under any of them (a hash cannot be made again
    without the number, which is not kept). Only the new secret writes."""

    def __init__(self, secret: bytes, old: Iterable[bytes] = ()) -> None:
        self._lookups = [hmac.new(s, b"hallq appointments person v1", hashlib.sha256).digest() for s in (secret, *old)]
        self._codes = hmac.new(secret, b"hallq appointments phone code v1", hashlib.sha256).digest()
        self._sealer = Sealer(secret, b"hallq appointments seal v1", b"contact", old)

    def person_key(self, id_number: str, kind: str = "resident_id", prefix: str = "person.") -> str:
        """The same for the same document kind and number. An 18-character card's (resident
        ID, residence permit, 2023 permanent residence card) is the number alone, as before
        other documents existed, when all three were taken as resident IDs: their bookings are
        still found, and their first digits never overlap. Other documents' numbers are the
        kind's too: the same characters on a passport and a Taiwan permit are two people."""
        return self.person_keys(id_number, kind, prefix)[0]

    def person_keys(self, id_number: str, kind: str = "resident_id", prefix: str = "person.") -> list[str]:
        """``person_key`` under the new secret and each one before it: what finds a person."""
        number = check_document(kind, id_number, prefix)
        message = (number if _is_card(kind, number) else f"{kind}:{number}").encode()
        return [hmac.new(key, message, hashlib.sha256).hexdigest() for key in self._lookups]

    def phone_keys(self, phone: str) -> list[str]:
        """A phone's keyed hash (``check_phone``'s form) under the new secret and each one
        before it: a verified phone counts as a person (the rules count its bookings)."""
        return [hmac.new(key, f"phone:{phone}".encode(), hashlib.sha256).hexdigest() for key in self._lookups]

    def code_hash(self, phone_key: str, code: str) -> str:
        """A one-time code's keyed hash, for that phone only: a copy of the database gives
        neither the codes nor, by trying all million, the phones."""
        return hmac.new(self._codes, f"{phone_key}:{code}".encode(), hashlib.sha256).hexdigest()

    def seal(self, contact: Contact) -> bytes:
        return self._sealer.seal(msgspec.msgpack.encode(contact))

    def open(self, sealed: bytes) -> Contact:
        """The contact, sealed with the new secret or one before it."""
        return msgspec.msgpack.decode(self._sealer.open(sealed), type=Contact)

    def reseal(self, sealed: bytes) -> bytes:
        """A contact sealed again with the new secret (a key rotation's ``hall rekey``)."""
        return self._sealer.reseal(sealed)

    @staticmethod
    def masked(person: PersonInput) -> dict[str, str]:
        """What anyone may see of the person and the agent: the booking's masked columns."""
        agent = person.agent
        return {
            "id_masked": mask_id_number(person.id_number),
            "name_masked": mask_name(person.name),
            "phone_masked": mask_phone(person.phone) if person.phone else "",
            "agent_name_masked": mask_name(agent.name) if agent else "",
            "agent_phone_masked": mask_phone(agent.phone) if agent else "",
        }
