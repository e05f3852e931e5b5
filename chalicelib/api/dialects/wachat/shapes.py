"""Our records in WAChat's shapes: a sent message, a message's info (status letters and
dates), the gateway balance."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.content import StoredMedia
from chalicelib.domain.jids import GROUP_SERVER
from chalicelib.domain.messages import Message
from chalicelib.domain.sessions import Session
from chalicelib.domain.status_codes import letter


def number(session: Session | None) -> str | None:
    """A session's phone number as WAChat writes numbers: digits with the country code."""
    return session.phone.lstrip("+") if session and session.phone else None


def date(value: str | None) -> str | None:
    """``2019-08-24T14:15:22Z``, as the document prints dates."""
    return clock.parse(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def destination(message: Message) -> str:
    """The chat as WAChat writes it: a number, or a group id."""
    return message.chat.split("@")[0]


def info(message: Message, session: Session | None, media_url: str | None) -> dict[str, Any]:
    """GetMessage: the message's status letter and the dates of its steps."""
    content = message.content or {}
    stamps = message.timestamps
    return {
        "destination": destination(message),
        "sender": number(session),
        "is_group": message.chat.endswith("@" + GROUP_SERVER),
        "create_date": date(message.created_at),
        "sent_date": date(stamps.get("sent")),
        "read_date": date(stamps.get("read") or stamps.get("played")),
        "delivered_date": date(stamps.get("delivered")),
        "ref_no": message.id,
        "status": letter(message.status),
        "message": message.text if message.type == "text" else None,
        "caption": content.get("caption"),
        "media_url": media_url,
    }


def stored_media(message: Message) -> StoredMedia | None:
    stored = (message.content or {}).get("media")
    return StoredMedia.model_validate(stored) if stored else None
