"""Who books, pure: every identity document's number (shapes, check digits, what a phone
keyboard types), phones in and outside the mainland, 代办, the person's key, and the masks."""

from __future__ import annotations

import hashlib
import hmac
from typing import get_args

import pytest

from appointments.people import (
    DOCUMENTS,
    AgentInput,
    DocumentKind,
    PersonError,
    PersonInput,
    PersonKeys,
    check_document,
    check_phone,
    kind_of_card_number,
)
from config.privacy import mask_id_number, mask_phone, mask_text
from tests.support import id_number, with_check_digit

RESIDENCE_HK = with_check_digit("81000019900101001")  # 港澳台居民居住证, Hong Kong
RESIDENCE_TW = with_check_digit("83000019851231002")
FOREIGN_2023 = with_check_digit("93184019900101003")  # 外国人永久居留身份证, 2023 card


def wide(text: str) -> str:
    """As a Chinese phone keyboard in full-width mode types it: １２３…Ｅ."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_the_table_has_every_kind_the_api_takes() -> None:
    assert set(get_args(DocumentKind)) == set(DOCUMENTS)


@pytest.mark.parametrize(
    ("kind", "typed", "number"),
    [
        ("resident_id", id_number(1).lower(), id_number(1)),
        ("resident_id", f" {wide(id_number(2)[:6])} {wide(id_number(2)[6:])} ", id_number(2)),
        ("passport", "e12345678", "E12345678"),
        ("passport", wide("K 1234 5678"), "K12345678"),
        ("passport", "123456789", "123456789"),  # some countries' are digits only
        ("hk_macao_permit", "h12345678", "H12345678"),
        ("hk_macao_permit", wide("M1234567890"), "M1234567890"),  # an older permit's ten digits
        ("taiwan_permit", "1234 5678", "12345678"),
        ("taiwan_permit", "1234567890", "1234567890"),
        ("residence_permit", RESIDENCE_HK, RESIDENCE_HK),
        ("residence_permit", wide(RESIDENCE_TW), RESIDENCE_TW),
        ("foreign_permanent", FOREIGN_2023, FOREIGN_2023),
        ("foreign_permanent", "usa 123456789012", "USA123456789012"),  # the card before 2023
    ],
)
def test_each_documents_number_is_read_as_people_type_it(kind: str, typed: str, number: str) -> None:
    assert check_document(kind, typed) == number


@pytest.mark.parametrize(
    ("kind", "typed", "zh", "en"),
    [
        ("resident_id", "12345", "居民身份证号码应为18位", "resident ID card number is 18 characters"),
        ("resident_id", "١" * 17 + "1", "居民身份证号码应为18位", "18 characters"),  # other scripts' digits
        ("resident_id", wrong_check_digit(id_number(1)), "居民身份证号码有误（校验位不符）", "check digit"),
        ("passport", "E123", "护照号码应为5至17位字母和数字", "passport number is 5 to 17 letters"),
        ("passport", "ABCDEFGH", "护照号码应为", "passport"),  # no digit: not a passport number
        ("passport", "E1234567890123456789", "护照号码应为", "passport"),
        ("hk_macao_permit", "A12345678", "港澳居民来往内地通行证号码应为H或M开头", "H or M and 8 digits"),
        ("hk_macao_permit", "H123456789", "港澳居民来往内地通行证号码应为", "H or M"),
        ("taiwan_permit", "1234567", "台湾居民来往大陆通行证号码应为8位数字", "8 digits"),
        (
            "residence_permit",
            "71000019900101001X",
            "港澳台居民居住证号码应为18位，以81、82或83开头",
            "starting with 81",
        ),
        ("residence_permit", id_number(1), "该号码是居民身份证号码，请将证件类型选为「居民身份证」", "resident ID"),
        ("residence_permit", wrong_check_digit(RESIDENCE_HK), "港澳台居民居住证号码有误（校验位不符）", "check digit"),
        ("foreign_permanent", wrong_check_digit(FOREIGN_2023), "外国人永久居留身份证号码有误", "check digit"),
        ("foreign_permanent", "US123456789012", "外国人永久居留身份证号码应为18位以9开头", "3 letters and 12"),
    ],
)
def test_a_wrong_number_is_named_in_chinese_and_english(kind: str, typed: str, zh: str, en: str) -> None:
    with pytest.raises(PersonError) as wrong:
        check_document(kind, typed)
    assert wrong.value.field == "person.id_number"
    assert zh in wrong.value.message_zh and en in wrong.value.message
    assert str(wrong.value).startswith("person.id_number: ")  # the API's detail names the field


def test_a_card_number_of_another_kind_says_which_kind_to_choose() -> None:
    with pytest.raises(PersonError) as wrong:
        check_document("resident_id", RESIDENCE_HK)
    assert wrong.value.message_zh == "该号码是港澳台居民居住证号码，请将证件类型选为「港澳台居民居住证」"
    with pytest.raises(PersonError) as foreign:
        check_document("passport", FOREIGN_2023)  # 18 characters: too long for a passport
    assert "外国人永久居留身份证" in foreign.value.message_zh
    assert [kind_of_card_number(n) for n in (id_number(1), RESIDENCE_TW, FOREIGN_2023, "E12345678")] == [
        "resident_id", "residence_permit", "foreign_permanent", None,
    ]  # fmt: skip
    with pytest.raises(PersonError, match="document_kind"):
        check_document("driving_licence", "123456")


def test_one_person_is_one_document_kind_and_number() -> None:
    keys = PersonKeys(b"k" * 32)
    assert keys.person_key("e12345678", "passport") == keys.person_key(wide("E1234 5678"), "passport")
    same_digits = {keys.person_key("12345678", kind) for kind in ("passport", "taiwan_permit")}
    assert len(same_digits) == 2  # the same characters on two kinds of document: two people
    # A resident ID's key is what it was before other documents: earlier bookings are still found.
    lookup = hmac.new(b"k" * 32, b"hallq appointments person v1", hashlib.sha256).digest()
    before = hmac.new(lookup, id_number(1).encode(), hashlib.sha256).hexdigest()
    assert keys.person_key(id_number(1)) == keys.person_key(id_number(1), "resident_id") == before


@pytest.mark.parametrize(
    ("kind", "number"),
    [("resident_id", id_number(1)), ("residence_permit", RESIDENCE_HK), ("foreign_permanent", FOREIGN_2023)],
)
def test_an_18_character_cards_key_is_what_it_was_when_every_card_was_a_resident_id(kind: str, number: str) -> None:
    """Before other documents, 81… and 9… numbers were booked as resident IDs, keyed by the
    number alone: that booking is the same person's under its own kind now."""
    keys = PersonKeys(b"k" * 32)
    lookup = hmac.new(b"k" * 32, b"hallq appointments person v1", hashlib.sha256).digest()
    before = hmac.new(lookup, number.encode(), hashlib.sha256).hexdigest()
    assert keys.person_key(number.lower(), kind) == before
    # the older 15-character permanent residence card came after: it has the kind's key
    assert (
        keys.person_key("USA123456789012", "foreign_permanent")
        == hmac.new(lookup, b"foreign_permanent:USA123456789012", hashlib.sha256).hexdigest()
    )


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        (wide("13812345678"), "13812345678"),
        ("+852 6123 4567", "+85261234567"),  # Hong Kong
        ("＋８５３ ６６１２ ３４５６", "+85366123456"),  # Macao, typed full-width
        ("+886 912-345-678", "+886912345678"),  # Taiwan
        ("00852 61234567", "+85261234567"),
        ("+1 (202) 555-0123", "+12025550123"),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_phones_in_and_outside_the_mainland(typed: str, number: str) -> None:
    assert check_phone(typed) == number


@pytest.mark.parametrize(
    "typed",
    ["61234567", "1381234567", "23812345678", "+86 23812345678", "+0852 61234567", "+8521234", "+1234567890123456"],
)
def test_a_phone_that_is_neither_is_refused_saying_how_to_write_it(typed: str) -> None:
    with pytest.raises(PersonError) as wrong:
        check_phone(typed)
    assert wrong.value.field == "person.phone"
    assert "11位大陆手机号" in wrong.value.message_zh and "+852" in wrong.value.message_zh
    assert "country code" in wrong.value.message


def test_booking_for_someone_asks_for_the_agents_phone_and_not_the_persons() -> None:
    elderly = PersonInput(
        id_number=id_number(1), name="王奶奶", agent=AgentInput(name=" 王小明 ", phone="139 1234 0002")
    )
    checked = elderly.checked()
    assert checked.phone == "" and checked.agent == AgentInput(name="王小明", phone="13912340002")
    masked = PersonKeys.masked(checked)
    assert masked["agent_name_masked"] == "王**" and masked["agent_phone_masked"] == "139****0002"
    assert masked["phone_masked"] == ""
    with pytest.raises(PersonError) as no_phone:  # booking for oneself: one's own phone
        PersonInput(id_number=id_number(1), name="王奶奶").checked()
    assert no_phone.value.field == "person.phone"
    with pytest.raises(PersonError) as agent_phone:
        PersonInput(id_number=id_number(1), name="王奶奶", agent=AgentInput(name="王小明", phone="12345")).checked()
    assert agent_phone.value.field == "person.agent.phone" and agent_phone.value.message_zh.startswith("代办人手机号")
    with pytest.raises(PersonError) as agent_name:
        PersonInput(id_number=id_number(1), name="王奶奶", agent=AgentInput(name="  ", phone="13912340002")).checked()
    assert agent_name.value.field == "person.agent.name"


def test_every_kind_of_number_is_masked_never_more_than_half_shown() -> None:
    assert mask_id_number(id_number(1)) == "3201**********" + id_number(1)[-4:]
    assert mask_id_number(RESIDENCE_HK) == "8100**********" + RESIDENCE_HK[-4:]
    assert mask_id_number("USA123456789012") == "USA*********012"  # the older permanent residence card
    assert mask_id_number("E12345678") == "E1*****78"
    assert mask_id_number("H1234567890") == "H1*******90"
    assert mask_id_number("12345678") == "12****78"
    assert mask_id_number("A1234") == "A***4" and mask_id_number("1234") == "****"
    for size in range(1, 19):  # every length a document number has: at most half shown
        number = "ABC0123456789ABCDEFGH"[:size]
        assert 2 * sum(c != "*" for c in mask_id_number(number)) <= size, mask_id_number(number)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+85261234567", "+852****4567"),  # Hong Kong: three digits of country code
        ("+85366123456", "+853****3456"),  # Macao
        ("+886912345678", "+886*****5678"),  # Taiwan
        ("+12025550123", "+1******0123"),  # North America: one digit
        ("+79161234567", "+7******4567"),  # Russia
        ("+6591234567", "+65****4567"),  # Singapore: two
        ("+447700900123", "+44******0123"),
        ("+61412345678", "+61*****5678"),
        ("+819012345678", "+81******5678"),
        ("+821012345678", "+82******5678"),
        ("+971501234567", "+971*****4567"),  # a code not in the two-digit table: three
        ("+2341234", "+234**34"),  # short: at most half of the number after the code shown
    ],
)
def test_a_phone_keeps_only_its_country_code_and_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_log_text_is_masked_however_the_numbers_are_spaced() -> None:
    line = (
        "call +85261234567 or 13812345678; card USA123456789012, permit H12345678, 83000019851231002X; "
        "passport E12345678, EA1234567; Taiwan permit 12345678; phones +852 6123 4567, +1 202-555-0123, "
        "138 1234 5678"
    )
    masked = mask_text(line)
    for clear in ("+85261234567", "13812345678", "USA123456789012", "H12345678", "83000019851231002X",
                  "E12345678", "EA1234567", "12345678", "6123 4567", "555-0123", "1234 5678"):  # fmt: skip
        assert clear not in masked, clear
    assert masked.count("+852****4567") == 2 and "H1*****78" in masked and "E1*****78" in masked
    assert "+1******0123" in masked and masked.count("138****5678") == 2


@pytest.mark.parametrize(
    "line",
    [
        "ticket A012 called at counter 3 at 09:00:05, seq 4821, 12 waiting",
        "2026-11-23T09:00:00.123456+08:00 GET /api/halls/demo/tickets/gS3s6fWlw8SKMsiO 200 12.345678ms",
        "booking V5KTFPSX checked in as B003, slot 2026-11-23 10:00–10:30, version 1.20.30",
        "event 20261123-0001 replayed; uuid 3f2a9c1e-1234-5678-9abc-def012345678; port 127.0.0.1:8000",
    ],
)
def test_ordinary_log_text_is_left_as_it_is(line: str) -> None:
    assert mask_text(line) == line
