"""Push-notification devices: the record, its bounds, and the push a message gives."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from chalicelib.domain.events import Event, EventType
from chalicelib.domain.text import bounded

MAX_TOKEN_BYTES = 4096  # device_token and notifiable_token (FCM tokens are ~160 bytes)
MAX_NAME_CHARS = 100
MAX_DEVICES_PER_USER = 100
MAX_TITLE_CHARS = 100
MAX_BODY_CHARS = 200
MAX_DATA_VALUE_CHARS = 256  # each data value; FCM takes at most 4 KB of data in all
UNREGISTERED = "unregistered"  # the disabled_reason of a token the push service dropped

DeviceToken = bounded(MAX_TOKEN_BYTES, MAX_TOKEN_BYTES, 1, one_line=True)
DeviceName = bounded(4 * MAX_NAME_CHARS, MAX_NAME_CHARS, 1, one_line=True)


class DeviceType(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    WEB = "web"


class NotifiableMethod(StrEnum):
    FIREBASE = "firebase"


class Device(BaseModel):
    """A user's phone or browser that gets a push for each message its tenant receives."""

    id: str
    tenant_id: str
    user_id: str
    device_type: DeviceType
    device_token: DeviceToken
    device_name: DeviceName | None = None
    notifiable_method: NotifiableMethod = NotifiableMethod.FIREBASE
    notifiable_token: DeviceToken
    enabled: bool = True
    disabled_reason: str | None = None
    created_at: str
    updated_at: str


def device_id(user_id: str, device_token: str) -> str:
    """The id of a user's device: the same for the same ``device_token``, so registering a
    device again replaces it (POST /v1/devices upserts)."""
    digest = hashlib.sha256(f"{user_id}\n{device_token}".encode("utf-8", "surrogatepass"))
    return f"dev_{digest.hexdigest()[:32]}"


class PushOutcome(StrEnum):
    SENT = "sent"
    UNREGISTERED = "unregistered"  # the token is dead: disable the device
    FAILED = "failed"  # this time only (the service is down, throttled, timed out)


@dataclass(frozen=True)
class Push:
    """A notification: what the device shows (title, body) and what the app reads (data,
    string values only, as FCM requires)."""

    event_id: str
    session_id: str | None
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)


def clip(value: str, max_chars: int) -> str:
    """``value`` in at most ``max_chars`` characters, an ellipsis saying when it was cut."""
    return value if len(value) <= max_chars else value[:max_chars - 1] + "…"


def _preview(message: dict[str, Any]) -> str:
    """What a message says, in words: its text, a caption, or what kind of message it is."""
    content = message.get("content") or {}
    words = message.get("text") or (content.get("caption") if isinstance(content, dict) else None)
    if isinstance(words, str) and words.strip():
        return " ".join(words.split())
    return f"[{message.get('type') or 'message'}]"


def push_for(event: Event) -> Push | None:
    """The push a ``message.received`` event gives (None for every other event): the
    sender's name or number as the title, the text clipped to ``MAX_BODY_CHARS``."""
    if event.type != EventType.MESSAGE_RECEIVED:
        return None
    message = event.data
    sender = (message.get("push_name") or message.get("sender_phone") or message.get("sender")
              or message.get("chat") or "WhatsApp")
    data = {"event_id": event.id, "event_type": event.type.value,
            "session_id": event.session_id, "message_id": message.get("id"),
            "chat": message.get("chat"), "sender": message.get("sender")}
    return Push(event_id=event.id, session_id=event.session_id,
                title=clip(" ".join(str(sender).split()), MAX_TITLE_CHARS),
                body=clip(_preview(message), MAX_BODY_CHARS),
                data={k: clip(str(v), MAX_DATA_VALUE_CHARS) for k, v in data.items() if v})
