"""Phone numbers and WhatsApp JIDs (``chalicelib.domain.jids``)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import AppError, ValidationFailed
from chalicelib.domain.jids import (
    GROUP_SERVER,
    LID_SERVER,
    USER_SERVER,
    Jid,
    normalize_phone,
    parse_jid,
)

US_E164 = "+14155552671"
US_USER = "14155552671"


def assert_rejects_field(exc: ValidationFailed, field: str) -> None:
    """A 422 whose details name ``field`` (what the API edge shows the caller)."""
    assert exc.status == 422
    assert exc.code == "validation_failed"
    assert exc.details, "a validation error must say which field is wrong"
    assert [detail["field"] for detail in exc.details] == [field]
    assert exc.details[0]["message"]
    assert field in exc.message


def _example_mobiles() -> list[str]:
    """One valid E.164 mobile number per region phonenumbers knows an example for."""
    numbers = set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            numbers.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(numbers)


EXAMPLE_MOBILES = _example_mobiles()


# --- normalize_phone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+1 (415) 555-2671",
        "0014155552671",
        "14155552671",
        "+14155552671",
        "+1.415.555.2671",
        "  +1 415 555 2671  ",
        "1-415-555-2671",
        "00 1 415 555 2671",
        "+1\t415\n5552671",
    ],
)
def test_normalize_phone_accepts_what_people_type(raw: str) -> None:
    assert normalize_phone(raw) == US_E164


def test_normalize_phone_keeps_other_countries() -> None:
    assert normalize_phone("+44 7911 123456") == "+447911123456"
    assert normalize_phone("004915123456789") == "+4915123456789"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("+1415abc2671", "letters"),
        ("call me", "letters only"),
        ("+1 415 555 2671 ext 5", "extension"),
        ("+12345", "too short"),
        ("+1234567890123456", "too long (more than 15 digits)"),
        ("", "empty"),
        ("   ", "blank"),
        ("+", "just a plus"),
        ("++14155552671", "double plus"),
        ("+1/415/555/2671", "unsupported separator"),
        ("+10005550000", "invalid US number (area code 000)"),
        ("+999123456789", "unassigned country code"),
        ("+00014155552671", "zero country code"),
    ],
)
def test_normalize_phone_rejects(raw: str, why: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalize_phone(raw)
    assert_rejects_field(info.value, "phone")


def test_normalize_phone_rejects_none() -> None:
    with pytest.raises(ValidationFailed):
        normalize_phone(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["+1415abc2671", "+12345", "+10005550000"])
def test_normalize_phone_error_names_the_given_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalize_phone(raw, field="recipients[3].phone")
    assert_rejects_field(info.value, "recipients[3].phone")


def test_normalize_phone_distinguishes_bad_format_from_invalid_number() -> None:
    with pytest.raises(ValidationFailed) as bad_format:
        normalize_phone("+1415abc2671")
    with pytest.raises(ValidationFailed) as invalid:
        normalize_phone("+10005550000")
    assert bad_format.value.details[0]["message"] != invalid.value.details[0]["message"]


@given(st.sampled_from(EXAMPLE_MOBILES))
def test_normalize_phone_is_idempotent_on_valid_numbers(e164: str) -> None:
    assert normalize_phone(e164) == e164
    assert normalize_phone(normalize_phone(e164)) == e164


@given(st.sampled_from(EXAMPLE_MOBILES), st.sampled_from(["", "00", "+"]), st.data())
def test_normalize_phone_ignores_prefix_style_and_separators(
    e164: str, prefix: str, data: st.DataObject
) -> None:
    digits = e164.lstrip("+")
    separators = data.draw(st.lists(st.sampled_from([" ", "-", ".", "(", ")", ""]),
                                    min_size=len(digits), max_size=len(digits)))
    spaced = "".join(digit + sep for digit, sep in zip(digits, separators, strict=True))
    assert normalize_phone(prefix + spaced) == e164


@given(st.text(max_size=30))
def test_normalize_phone_only_ever_returns_e164_or_raises_422(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except ValidationFailed as exc:
        assert_rejects_field(exc, "phone")
    else:
        assert result.startswith("+")
        assert result[1:].isascii() and result[1:].isdigit()
        assert 7 <= len(result) <= 16
        assert normalize_phone(result) == result


# --- parse_jid ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+1 (415) 555-2671",
        "0014155552671",
        US_USER,
        f"{US_USER}@s.whatsapp.net",
        f"{US_USER}@c.us",
        f"{US_USER}@S.WhatsApp.NET",
        f"{US_USER}@C.US",
        f"  {US_USER}@c.us  ",
        f"{US_USER}:12@s.whatsapp.net",
        f"{US_USER}:0@c.us",
    ],
)
def test_parse_jid_phone_forms_all_become_the_same_user_jid(raw: str) -> None:
    jid = parse_jid(raw)
    assert jid == Jid(US_USER, USER_SERVER)
    assert str(jid) == f"{US_USER}@s.whatsapp.net"
    assert jid.phone == US_E164
    assert jid.is_user
    assert not jid.is_group


@pytest.mark.parametrize(
    "user",
    ["123456789-1234567890", "120363025246125486", "12345", "1" * 20, f"{'1' * 20}-{'2' * 20}"],
)
def test_parse_jid_groups(user: str) -> None:
    jid = parse_jid(f"{user}@g.us")
    assert jid == Jid(user, GROUP_SERVER)
    assert str(jid) == f"{user}@g.us"
    assert jid.is_group
    assert not jid.is_user
    assert jid.phone is None


def test_parse_jid_group_server_is_case_insensitive() -> None:
    assert parse_jid("123456789-1234567890@G.US") == Jid("123456789-1234567890", GROUP_SERVER)


@pytest.mark.parametrize(
    "raw",
    [
        "@g.us",
        "1234@g.us",  # too short
        "abc@g.us",
        "123456789-@g.us",
        "-1234567890@g.us",
        "123456789-1234567890-1234567890@g.us",
        f"{'1' * 21}@g.us",  # too long
        "12345 6789@g.us",
    ],
)
def test_parse_jid_rejects_malformed_groups(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid(raw)
    assert_rejects_field(info.value, "to")


@pytest.mark.parametrize("user", ["12345", "123456789012345", "9" * 25])
def test_parse_jid_lid_users(user: str) -> None:
    jid = parse_jid(f"{user}@lid")
    assert jid == Jid(user, LID_SERVER)
    assert str(jid) == f"{user}@lid"
    assert not jid.is_group
    assert not jid.is_user
    assert jid.phone is None, "a hidden @lid user has no phone number"


def test_parse_jid_lid_drops_device_suffix() -> None:
    assert parse_jid("123456789012345:3@lid") == Jid("123456789012345", LID_SERVER)


@pytest.mark.parametrize(
    "raw", ["@lid", "1234@lid", "abc@lid", "12345-67890@lid", f"{'9' * 26}@lid"]
)
def test_parse_jid_rejects_malformed_lids(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid(raw)
    assert_rejects_field(info.value, "to")


@pytest.mark.parametrize(
    "raw",
    [
        f"{US_USER}@example.com",
        f"{US_USER}@broadcast",
        f"{US_USER}@",
        f"{US_USER}@whatsapp.net",
        f"{US_USER}@s.whatsapp.net.evil.com",
    ],
)
def test_parse_jid_unknown_server_is_422_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid(raw, field="chat_id")
    assert_rejects_field(info.value, "chat_id")


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "hello", "@s.whatsapp.net", "abc@s.whatsapp.net", "12345@c.us",
     "10005550000@s.whatsapp.net"],
)
def test_parse_jid_rejects_bad_user_jids_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid(raw, field="recipient")
    assert_rejects_field(info.value, "recipient")


def test_parse_jid_default_field_is_to() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid("nope@nowhere")
    assert_rejects_field(info.value, "to")


@given(st.sampled_from(EXAMPLE_MOBILES))
def test_parse_jid_round_trips_through_str(e164: str) -> None:
    jid = parse_jid(e164)
    assert jid.phone == e164
    assert parse_jid(str(jid)) == jid
    assert parse_jid(str(jid).replace("@s.whatsapp.net", "@c.us")) == jid


@given(st.from_regex(r"\A[0-9]{5,20}(-[0-9]{5,20})?\Z"))
def test_parse_jid_group_round_trips_through_str(user: str) -> None:
    jid = parse_jid(f"{user}@g.us")
    assert jid.is_group
    assert parse_jid(str(jid)) == jid


@given(st.text(max_size=40))
def test_parse_jid_only_ever_returns_a_jid_or_raises_422(raw: str) -> None:
    try:
        jid = parse_jid(raw)
    except ValidationFailed as exc:
        assert_rejects_field(exc, "to")
    else:
        assert jid.server in (USER_SERVER, GROUP_SERVER, LID_SERVER)
        assert parse_jid(str(jid)) == jid


@pytest.mark.parametrize("raw", ["١٢٣٤٥٦٧٨٩@g.us", "١٢٣٤٥٦٧٨٩@lid"])
def test_parse_jid_group_and_lid_users_are_ascii_digits_only(raw: str) -> None:
    try:
        jid = parse_jid(raw)
    except ValidationFailed:
        return
    assert jid.user.isascii(), f"non-ASCII JID user accepted: {jid!r}"


# --- Jid ---------------------------------------------------------------------------------------


def test_jid_defaults_to_user_server() -> None:
    jid = Jid(US_USER)
    assert jid.server == USER_SERVER
    assert str(jid) == "14155552671@s.whatsapp.net"
    assert jid.phone == US_E164


def test_jid_is_hashable_immutable_and_ordered() -> None:
    a, b = Jid("111111"), Jid("222222")
    assert {a, Jid("111111")} == {a}
    assert sorted([b, a]) == [a, b]
    with pytest.raises(AttributeError):
        a.user = "333333"  # type: ignore[misc]


def test_validation_failed_is_an_app_error() -> None:
    with pytest.raises(AppError):
        parse_jid("x@y")
