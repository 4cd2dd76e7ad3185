"""The person behind a booking: checked, protected, masked (GB/T 35273).

An ID number is kept two ways: a keyed hash (HMAC-SHA256 with a key derived from the
server's secret) to find a person's bookings and apply the rules, and sealed (AES-GCM) with
the phone and e-mail, to be opened only to send the person a message. Only masked forms
(3201**********1234, 138****5678, 张*) are ever shown, returned or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from typing import Annotated

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from config.privacy import mask_id_number, mask_name, mask_phone

__all__ = ["Contact", "PersonInput", "PersonKeys", "check_id_number"]

_ID = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only (\d would take other scripts)
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_id_number(value: str) -> str:
    """A resident ID number (居民身份证号码, GB 11643), upper-cased, or ValueError. Full-width
    digits and Ｘ (a phone keyboard's) and spaces are folded first, so one person has one key."""
    number = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if not _ID.match(number):
        raise ValueError("the ID number must be 18 characters: 17 digits and a digit or X")
    if _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11] != number[17]:
        raise ValueError("the ID number's check digit is wrong: please check the number")
    return number


class PersonInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who books (预约人), as they type it."""

    id_number: Annotated[str, msgspec.Meta(min_length=15, max_length=20)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    phone: Annotated[str, msgspec.Meta(min_length=11, max_length=16)]
    email: Annotated[str, msgspec.Meta(max_length=120)] = ""

    def checked(self) -> PersonInput:
        """Normalised, or ValueError naming the field."""
        try:
            id_number = check_id_number(self.id_number)
        except ValueError as exc:
            raise ValueError(f"id_number: {exc}") from None
        phone = re.sub(r"[\s-]", "", self.phone)
        if not _PHONE.match(phone):
            raise ValueError("phone: a mainland mobile number of 11 digits, starting with 1")
        email = self.email.strip()
        if email and not _EMAIL.match(email):
            raise ValueError("email: not an e-mail address")
        name = self.name.strip()
        if not name:
            raise ValueError("name: empty")
        return PersonInput(id_number=id_number, name=name, phone=phone, email=email)


class Contact(msgspec.Struct, frozen=True):
    """What is sealed with a booking: enough to tell the person, nothing else."""

    phone: str
    email: str = ""
    name: str = ""


class PersonKeys:
    """Keys derived from the server's secret: one to find a person, one to seal contacts."""

    def __init__(self, secret: bytes) -> None:
        self._lookup = hmac.new(secret, b"hallq appointments person v1", hashlib.sha256).digest()
        self._seal = AESGCM(hmac.new(secret, b"hallq appointments seal v1", hashlib.sha256).digest())

    def person_key(self, id_number: str) -> str:
        return hmac.new(self._lookup, check_id_number(id_number).encode(), hashlib.sha256).hexdigest()

    def seal(self, contact: Contact) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._seal.encrypt(nonce, msgspec.msgpack.encode(contact), b"contact")

    def open(self, sealed: bytes) -> Contact:
        return msgspec.msgpack.decode(self._seal.decrypt(sealed[:12], sealed[12:], b"contact"), type=Contact)

    @staticmethod
    def masked(person: PersonInput) -> tuple[str, str, str]:
        """ID number, name and phone as anyone may see them."""
        return mask_id_number(person.id_number), mask_name(person.name), mask_phone(person.phone)
