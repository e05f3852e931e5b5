"""Group ids, invite links and participants: parsed once, anything else a 422 naming the
field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.live.groups import parse_group_id, parse_invite, parse_participant

CODE = "AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize("raw", ["120363025246125888@g.us", " 120363025246125888@G.US ",
                                 "14155552671-1600000000@g.us"])
def test_group_ids(raw: str) -> None:
    assert str(parse_group_id(raw)) == raw.strip().lower()


@pytest.mark.parametrize("raw", ["", "120363025246125888", "12@g.us", "abc@g.us",
                                 "14155552671@s.whatsapp.net", "123456789012345@lid",
                                 "1-2-3@g.us"])
def test_not_group_ids(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_group_id(raw)
    assert refused.value.details[0]["field"] == "group_id"


@pytest.mark.parametrize("raw", [CODE, f"https://chat.whatsapp.com/{CODE}",
                                 f"chat.whatsapp.com/{CODE}/", f"http://chat.whatsapp.com/{CODE}",
                                 f"https://chat.whatsapp.com/invite/{CODE}"])
def test_invite_links_and_codes(raw: str) -> None:
    assert parse_invite(raw) == CODE


@pytest.mark.parametrize("raw", ["", "short", f"https://evil.example/{CODE}",
                                 f"https://chat.whatsapp.com/{CODE}?x=1", f"{CODE}!",
                                 "https://chat.whatsapp.com/"])
def test_not_invite_links(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_invite(raw)
    assert refused.value.details[0]["field"] == "invite"


@given(st.text(max_size=80))
def test_any_text_is_an_id_a_link_or_a_422(raw: str) -> None:
    for parse, field in ((parse_group_id, "group_id"), (parse_invite, "invite"),
                         (lambda r, f="p": parse_participant(r, f), "p")):
        try:
            parse(raw)
        except ValidationFailed as exc:
            assert exc.details[0]["field"] == field


def test_participants_are_people() -> None:
    assert str(parse_participant("+1 415 555 2671", "p")) == "14155552671@s.whatsapp.net"
    assert str(parse_participant("123456789012345@lid", "p")) == "123456789012345@lid"
    with pytest.raises(ValidationFailed):
        parse_participant("120363025246125888@g.us", "p")
