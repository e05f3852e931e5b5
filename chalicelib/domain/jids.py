"""Phone numbers and WhatsApp JIDs: normalized once, here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from chalicelib.domain.errors import ValidationFailed

USER_SERVER = "s.whatsapp.net"
GROUP_SERVER = "g.us"
LID_SERVER = "lid"
NEWSLETTER_SERVER = "newsletter"
BROADCAST_SERVER = "broadcast"
STATUS_BROADCAST = f"status@{BROADCAST_SERVER}"  # where statuses (stories) are sent
_SERVER_ALIASES = {"c.us": USER_SERVER, USER_SERVER: USER_SERVER, GROUP_SERVER: GROUP_SERVER,
                   LID_SERVER: LID_SERVER, NEWSLETTER_SERVER: NEWSLETTER_SERVER,
                   BROADCAST_SERVER: BROADCAST_SERVER}
_GROUP_USER = re.compile(r"^\d{5,20}(-\d{5,20})?$", re.ASCII)
_INTERNATIONAL = "must be a phone number in international format, e.g. +14155552671"
_LID_USER = re.compile(r"^\d{5,25}$", re.ASCII)
_NEWSLETTER_USER = re.compile(r"^\d{5,25}$", re.ASCII)


@dataclass(frozen=True, order=True)
class Jid:
    """A WhatsApp address: ``user@server`` (a phone, a group, a hidden ``@lid`` user, a
    channel ``…@newsletter``, or ``status@broadcast``, where statuses go)."""

    user: str
    server: str = USER_SERVER

    def __str__(self) -> str:
        return f"{self.user}@{self.server}"

    @property
    def is_group(self) -> bool:
        return self.server == GROUP_SERVER

    @property
    def is_user(self) -> bool:
        return self.server == USER_SERVER

    @property
    def is_newsletter(self) -> bool:
        return self.server == NEWSLETTER_SERVER

    @property
    def phone(self) -> str | None:
        """The E.164 number of a phone JID, else None."""
        return f"+{self.user}" if self.is_user else None


def normalize_phone(raw: str, field: str = "phone") -> str:
    """An E.164 number (``+14155552671``) from what a person types, or a 422 naming ``field``."""
    text = re.sub(r"[\s().-]", "", raw or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        text = "+" + text
    if not re.fullmatch(r"\+\d{6,15}", text, re.ASCII):
        raise ValidationFailed.field(field, _INTERNATIONAL)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed.field(field, _INTERNATIONAL) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed.field(field, "is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_jid(raw: str, field: str = "to") -> Jid:
    """A JID from a JID string (``…@s.whatsapp.net``, ``…@c.us``, ``…@g.us``, ``…@lid``,
    ``<digits>@newsletter``, and of broadcasts only ``status@broadcast``) or a phone number;
    anything else is a 422 naming ``field``."""
    text = (raw or "").strip()
    if "@" not in text:
        return Jid(normalize_phone(text, field).lstrip("+"))
    user, _, server = text.partition("@")
    user = user.split(":")[0]  # drop a device suffix ("123:4@s.whatsapp.net")
    canonical = _SERVER_ALIASES.get(server.lower())
    if canonical is None:
        raise ValidationFailed.field(field, f"unknown WhatsApp server '{server}'")
    if canonical == USER_SERVER:
        return Jid(normalize_phone(user, field).lstrip("+"))
    if canonical == BROADCAST_SERVER:
        if user != "status":
            raise ValidationFailed.field(field, f"of broadcasts only {STATUS_BROADCAST} can be "
                                         "addressed")
        return Jid(user, canonical)
    pattern = {GROUP_SERVER: _GROUP_USER, NEWSLETTER_SERVER: _NEWSLETTER_USER}.get(canonical,
                                                                                   _LID_USER)
    if not pattern.fullmatch(user):
        raise ValidationFailed.field(field, f"is not a valid {canonical} address")
    return Jid(user, canonical)
