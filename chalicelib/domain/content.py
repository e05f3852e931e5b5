"""What a message carries: one typed content per message type.

These models are the contract between the API (which validates and stores them), the send
worker, the session hosts and the engines (which turn them into WhatsApp messages).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 65_536
MAX_CAPTION = 1_024


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoredMedia(_Model):
    """A media file kept in S3 under the tenant (``key``), sniffed and measured."""

    key: str
    mime_type: str
    size: int
    sha256: str
    filename: str | None = None


class Text(_Model):
    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    link_preview: bool = True
    mentions: list[str] = Field(default_factory=list, max_length=50)  # JIDs


class _Media(_Model):
    media: StoredMedia


class _Captioned(_Media):
    caption: str | None = Field(default=None, max_length=MAX_CAPTION)


class Image(_Captioned):
    type: Literal["image"] = "image"


class Video(_Captioned):
    type: Literal["video"] = "video"


class Audio(_Media):
    type: Literal["audio"] = "audio"


class Voice(_Media):
    """A voice note (push-to-talk): shown with a waveform, played inline."""

    type: Literal["voice"] = "voice"


class Document(_Captioned):
    type: Literal["document"] = "document"
    filename: str = Field(min_length=1, max_length=255)


class Sticker(_Media):
    type: Literal["sticker"] = "sticker"


class Location(_Model):
    type: Literal["location"] = "location"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = Field(default=None, max_length=256)
    address: str | None = Field(default=None, max_length=512)


class ContactCard(_Model):
    name: str = Field(min_length=1, max_length=256)
    vcard: str = Field(min_length=1, max_length=10_000)


class Contacts(_Model):
    type: Literal["contact"] = "contact"
    contacts: list[ContactCard] = Field(min_length=1, max_length=10)


class Poll(_Model):
    type: Literal["poll"] = "poll"
    question: str = Field(min_length=1, max_length=255)
    options: list[str] = Field(min_length=2, max_length=12)
    multiple: bool = False  # several options may be chosen


class ListRow(_Model):
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=24)
    description: str | None = Field(default=None, max_length=72)


class ListSection(_Model):
    title: str = Field(min_length=1, max_length=24)
    rows: list[ListRow] = Field(min_length=1, max_length=10)


class ListMessage(_Model):
    type: Literal["list"] = "list"
    text: str = Field(min_length=1, max_length=4096)
    button_text: str = Field(min_length=1, max_length=20)
    title: str | None = Field(default=None, max_length=60)
    footer: str | None = Field(default=None, max_length=60)
    sections: list[ListSection] = Field(min_length=1, max_length=10)


class Quote(_Model):
    """An earlier message, as WhatsApp needs it to quote or react to it."""

    message_id: str  # ours
    engine_message_id: str
    chat: str  # JID
    sender: str | None = None  # JID of its author (None: our own session)
    from_me: bool
    text: str | None = None


class Reaction(_Model):
    """An emoji on an earlier message (empty ``emoji`` takes the reaction back)."""

    type: Literal["reaction"] = "reaction"
    emoji: str = Field(max_length=16)
    target: Quote


Content = Annotated[
    Text | Image | Video | Audio | Voice | Document | Sticker | Location | Contacts | Poll
    | ListMessage | Reaction,
    Field(discriminator="type"),
]
MEDIA_TYPES = frozenset({"image", "video", "audio", "voice", "document", "sticker"})


def summary(content: BaseModel) -> str | None:
    """The human-readable text of a content (for listings, search and webhooks)."""
    for attribute in ("text", "caption", "question"):
        value = getattr(content, attribute, None)
        if value:
            return value
    if isinstance(content, Location):
        return content.name or f"{content.latitude},{content.longitude}"
    if isinstance(content, Contacts):
        return ", ".join(c.name for c in content.contacts)
    if isinstance(content, Reaction):
        return content.emoji
    return None
