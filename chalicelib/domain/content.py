"""What a message carries: one typed content per message type.

These models are the contract between the API (which validates and stores them), the send
worker, the session hosts and the engines (which turn them into WhatsApp messages).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.text import bounded

MAX_TEXT = 65_536  # characters (WhatsApp's own limit), and UTF-8 bytes too
MAX_CAPTION = 1_024
# A stored message record stays well under DynamoDB's 400 KB item limit: every free-form
# string below has a UTF-8 byte bound, and the whole record one more (services.messaging).
MAX_RECORD_BYTES = 256 * 1024


Body = bounded(MAX_TEXT, MAX_TEXT, 1)
Caption = bounded(4 * MAX_CAPTION, MAX_CAPTION)
JidText = bounded(128)
FileName = bounded(1_024, 255, 1)
Name = bounded(1_024, 256, 1)
Address = bounded(2_048, 512)
VCard = bounded(10_000, 10_000, 1)
Question = bounded(1_024, 255, 1)
PollOption = bounded(1_024, None, 1)
RowId = bounded(800, 200, 1)
ShortTitle = bounded(96, 24, 1)  # list sections and rows
RowDescription = bounded(288, 72)
ListText = bounded(16_384, 4096, 1)
ButtonText = bounded(80, 20, 1)
Heading = bounded(240, 60)  # a list's title and footer
QuotedText = bounded(MAX_TEXT)
Emoji = bounded(64, 16)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoredMedia(_Model):
    """A media file kept in S3 under the tenant (``key``), sniffed and measured."""

    key: str
    mime_type: str
    size: int
    sha256: str
    filename: str | None = None


StatusFont = Literal["system", "system_text", "fb_script", "system_bold",
                     "morningbreeze_regular", "calistoga_regular", "exo2_extrabold",
                     "courierprime_bold"]


class Text(_Model):
    type: Literal["text"] = "text"
    text: Body
    link_preview: bool = True
    mentions: list[JidText] = Field(default_factory=list, max_length=50)
    # A text status's look (``status@broadcast``): its background (#RRGGBB or #AARRGGBB).
    background_color: str | None = Field(default=None,
                                         pattern=r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")
    font: StatusFont | None = None


class _Media(_Model):
    media: StoredMedia


class _Captioned(_Media):
    caption: Caption | None = None


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
    filename: FileName


class Sticker(_Media):
    type: Literal["sticker"] = "sticker"


class Location(_Model):
    type: Literal["location"] = "location"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: Name | None = None
    address: Address | None = None


class ContactCard(_Model):
    name: Name
    vcard: VCard


class Contacts(_Model):
    type: Literal["contact"] = "contact"
    contacts: list[ContactCard] = Field(min_length=1, max_length=10)


class Poll(_Model):
    type: Literal["poll"] = "poll"
    question: Question
    options: list[PollOption] = Field(min_length=2, max_length=12)
    multiple: bool = False  # several options may be chosen


class ListRow(_Model):
    id: RowId
    title: ShortTitle
    description: RowDescription | None = None


class ListSection(_Model):
    title: ShortTitle
    rows: list[ListRow] = Field(min_length=1, max_length=10)


class ListMessage(_Model):
    type: Literal["list"] = "list"
    text: ListText
    button_text: ButtonText
    title: Heading | None = None
    footer: Heading | None = None
    sections: list[ListSection] = Field(min_length=1, max_length=10)


class Quote(_Model):
    """An earlier message, as WhatsApp needs it to quote or react to it."""

    message_id: str  # ours
    engine_message_id: str
    chat: str  # JID
    sender: str | None = None  # JID of its author (None: our own session)
    from_me: bool
    text: QuotedText | None = None


class Reaction(_Model):
    """An emoji on an earlier message (empty ``emoji`` takes the reaction back)."""

    type: Literal["reaction"] = "reaction"
    emoji: Emoji
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


def masked(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (a JSON-like content) with every occurrence of each secret in its strings
    replaced by as many ``*``: what is stored and shown of a message that carries a code."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, "*" * len(secret))
        return value
    if isinstance(value, dict):
        return {key: masked(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, secrets) for item in value]
    return value
