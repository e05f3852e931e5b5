"""Channel (``…@newsletter``) and status (``status@broadcast``) JIDs: accepted, and nothing
else loosened."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import NEWSLETTER_SERVER, STATUS_BROADCAST, Jid, parse_jid


def test_channels_and_status_are_addresses() -> None:
    channel = parse_jid("120363025246125999@newsletter")
    assert channel == Jid("120363025246125999", NEWSLETTER_SERVER) and channel.is_newsletter
    assert not channel.is_user and channel.phone is None
    status = parse_jid(STATUS_BROADCAST)
    assert str(status) == STATUS_BROADCAST and not status.is_user and not status.is_newsletter


@pytest.mark.parametrize("raw", ["14155552671@broadcast", "1234567890@broadcast",
                                 "Status@broadcast", "@broadcast", "abc@newsletter",
                                 "1234@newsletter", "@newsletter", f"{'1' * 26}@newsletter",
                                 "120363025246125999-1@newsletter"])
def test_other_broadcasts_and_malformed_channels_are_422(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_jid(raw, "chat_id")
    assert [d["field"] for d in info.value.details] == ["chat_id"]
