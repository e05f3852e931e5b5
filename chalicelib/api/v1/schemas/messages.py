"""Messages: sending every type, and how a message is shown."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.v1.schemas.common import (
    Body,
    HttpUrl,
    Id,
    Metadata,
    Out,
    Timestamp,
    Variables,
    text,
    token,
)
from chalicelib.domain import status_codes
from chalicelib.domain.content import ButtonText, Heading, ListSection, ListText, Location, Poll
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.messages import Message, Priority
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

MessageText = text(65_536)
Caption = text(1_024)
FileName = token(255)
MimeType = token(100)
Recipient = token(64)
Short = text(256)
VCard = text(10_000)
Phone = token(32)
Emoji = text(16, 0)
Status = Literal["queued", "scheduled", "sending", "sent", "delivered", "read", "played",
                 "received", "failed", "expired", "canceled"]
MessageType = Literal["text", "image", "video", "audio", "voice", "document", "sticker",
                      "location", "contact", "poll", "list", "reaction"]


class MediaIn(Body):
    """A file by ``url`` (fetched by the gateway) or inline ``base64`` (or a data: URL)."""

    url: HttpUrl | None = None
    base64: str | None = Field(default=None, max_length=14 * 1024 * 1024)
    mime_type: MimeType | None = None
    filename: FileName | None = None
    caption: Caption | None = None


class ContactIn(Body):
    name: Short
    phone: Phone | None = None
    vcard: VCard | None = None


class ListIn(Body):
    """A list message (its ``text`` may come from a template instead)."""

    text: ListText | None = None
    button_text: ButtonText
    title: Heading | None = None
    footer: Heading | None = None
    sections: list[ListSection] = Field(min_length=1, max_length=10)


class ReactionIn(Body):
    message_id: Id
    emoji: Emoji = Field(description="An empty emoji takes the reaction back.")


_TYPED = ("image", "video", "audio", "voice", "document", "sticker", "location", "contacts",
          "poll", "list", "reaction")


class ContentIn(Body):
    """A message's content: ``type`` and the one object it names (or a template's text)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    type: MessageType = "text"
    text: MessageText | None = None
    link_preview: bool = True
    mentions: list[Recipient] = Field(default_factory=list, max_length=50)
    image: MediaIn | None = None
    video: MediaIn | None = None
    audio: MediaIn | None = None
    voice: MediaIn | None = None
    document: MediaIn | None = None
    sticker: MediaIn | None = None
    location: Location | None = None
    contacts: list[ContactIn] | None = Field(default=None, min_length=1, max_length=10)
    poll: Poll | None = None
    list_: ListIn | None = Field(default=None, alias="list")
    reaction: ReactionIn | None = None
    template_id: Id | None = None

    @classmethod
    def precheck(cls, data: dict[str, Any]) -> None:
        """A content object of another type is refused before it is validated (see
        ``api.edge.Request.body``)."""
        kind = data.get("type", "text")
        key = "contacts" if kind == "contact" else kind
        for other in _TYPED:
            if other != key and data.get(other) is not None:
                raise ValidationFailed.field(other, f"does not belong to a {kind} message")

    def _given(self, key: str) -> Any:
        return getattr(self, "list_" if key == "list" else key)

    def draft(self, session_id: str = "", to: str = "") -> Draft:
        """The service's view: the type's own fields in ``body``, media as a source."""
        key = "contacts" if self.type == "contact" else self.type
        body: dict[str, Any] = {}
        media = None
        if self.type == "text":
            if self.text is None and self.template_id is None:
                raise ValidationFailed.field("text", "is required (or template_id)")
            if self.text is not None:
                body["text"] = self.text
            body.update(link_preview=self.link_preview, mentions=self.mentions)
        else:
            for name in ("text", "mentions"):
                if getattr(self, name) and self.type != "list":
                    raise ValidationFailed.field(name, f"does not belong to a {self.type} message")
            given = self._given(key)
            if given is None and not (self.type == "list" and self.template_id):
                raise ValidationFailed.field(key, f"is required for a {self.type} message")
            if isinstance(given, MediaIn):
                media = MediaSource(url=given.url, base64=given.base64,
                                    mime_type=given.mime_type, filename=given.filename)
                body = {k: v for k, v in (("caption", given.caption),
                                          ("filename", given.filename)) if v is not None}
                if self.type != "document":
                    body.pop("filename", None)
            elif self.type == "contact":
                body = {"contacts": [c.model_dump(exclude_none=True) for c in given or []]}
            elif isinstance(given, BaseModel):
                body = given.model_dump(exclude_none=True)
                if self.type == "list" and self.text and "text" not in body:
                    body["text"] = self.text
        return Draft(session_id=session_id, to=to, type=self.type, body=body, media=media,
                     template_id=self.template_id)


class SendIn(ContentIn):
    """POST /v1/messages: common fields, plus the one object named by ``type``."""

    session_id: Id
    to: Recipient = Field(description="A phone number (E.164) or a JID (…@s.whatsapp.net, "
                                      "…@g.us).")
    variables: Variables = Field(default_factory=dict)
    reply_to: Id | None = None
    schedule_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=35 * 86_400)
    priority: Literal["high", "normal", "bulk"] = "normal"
    typing_ms: int = Field(default=0, ge=0, le=5000)
    metadata: Metadata = Field(default_factory=dict)
    category: Literal["transactional", "marketing"] = Field(
        default="transactional", description="marketing: never sent to a number on the "
                                             "opt-out list (it ends failed, opted_out).")

    def draft(self, session_id: str = "", to: str = "") -> Draft:
        """The service's view, with the sending fields."""
        draft = super().draft(self.session_id, self.to)
        draft.variables = self.variables
        draft.reply_to = self.reply_to
        draft.schedule_at = self.schedule_at
        draft.expires_at = self.expires_at
        draft.ttl_seconds = self.ttl_seconds
        draft.priority = Priority(self.priority)
        draft.typing_ms = self.typing_ms
        draft.metadata = self.metadata
        draft.category = self.category
        return draft


class ForwardIn(Body):
    to: Recipient
    session_id: Id | None = None


class EditIn(Body):
    text: MessageText


class StarIn(Body):
    starred: bool = True


class Accepted(Out):
    """A message the gateway accepted: it is queued (or scheduled) and will be sent once."""

    id: str
    status: Literal["queued", "scheduled"]
    type: MessageType
    session_id: str
    to: str
    priority: Literal["high", "normal", "bulk"]
    schedule_at: str | None
    expires_at: str | None
    created_at: str

    @classmethod
    def of(cls, message: Message) -> Accepted:
        return cls(id=message.id, status=message.status.value, type=message.type,
                   session_id=message.session_id, to=message.chat,
                   priority=message.priority.value, schedule_at=message.schedule_at,
                   expires_at=message.expires_at, created_at=message.created_at)


class StatusChangeOut(BaseModel):
    status: Status
    at: str
    reason: str | None = None


class MessageOut(Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    session_id: str
    direction: Literal["outbound", "inbound"]
    chat: str
    type: str
    text: str | None
    content: dict[str, Any] | None
    reply_to: str | None
    quoted: dict[str, Any] | None
    priority: Literal["high", "normal", "bulk"]
    category: Literal["transactional", "marketing"]
    schedule_at: str | None
    expires_at: str | None
    typing_ms: int
    sender: str | None
    sender_phone: str | None
    push_name: str | None
    from_: str | None = Field(default=None, alias="from",
                              description="The author's phone JID, when known.")
    to: str | None = Field(default=None, description="The recipient's phone JID, when known.")
    lid: str | None = Field(default=None, description="The other person's LID (…@lid), when "
                                                      "known.")
    status: Status
    engine_message_id: str | None
    created_at: str
    updated_at: str
    timestamps: dict[str, str]
    history: list[StatusChangeOut]
    error: dict[str, Any] | None
    metadata: dict[str, Any]
    edited_at: str | None
    revoked_at: str | None
    starred: bool
    campaign_id: str | None = Field(default=None, description="The campaign that sent it.")
    ack: int = Field(description="WAHA-style ack: -1 error, 0 pending, 1 server, 2 device, "
                                 "3 read, 4 played.")
    status_letter: Literal["U", "A", "Q", "S", "D", "R"]

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        body = message.model_dump(mode="json", exclude={"tenant_id", "sealed"})
        return cls.model_validate({**body, "ack": status_codes.ack(message.status),
                                   "status_letter": status_codes.letter(message.status)})
