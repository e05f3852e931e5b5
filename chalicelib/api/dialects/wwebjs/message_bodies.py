"""Request bodies of the wrapper's message, chat-history and group routes, with its own field
names (``chatId``, ``messageId``, ``contentType``, ``destinationChatId``, ``contactIds`` …)."""

# ruff: noqa: N815 (the wrapper's own camelCase field names)
from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.domain.live.groups import DESCRIPTION_MAX, MAX_PARTICIPANTS, SUBJECT_MAX

Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]
MAX_OPTIONS_BYTES = 4_096


def _object(value: Any) -> Any:
    """An options object, also when sent as JSON text (the document prints
    ``"searchOptions": "{}"``); an empty string is no options."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        if len(value) > MAX_OPTIONS_BYTES:
            raise ValueError(f"may have at most {MAX_OPTIONS_BYTES} characters")
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("must be an object (or its JSON text)") from None
    return value


class _Options(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SearchOptions(_Options):
    """whatsapp-web.js's ``fetchMessages``/``searchMessages`` options we honour."""

    limit: int | None = Field(default=None, ge=1, le=100)
    fromMe: bool | None = None
    chatId: Id | None = None
    page: int | None = Field(default=None, ge=1, le=100)


Options = Annotated[SearchOptions | None, BeforeValidator(_object)]


class SendOptions(_Options):
    """whatsapp-web.js's ``MessageSendOptions`` we honour."""

    quotedMessageId: Id | None = None
    mentions: list[Id] = Field(default_factory=list, max_length=50)
    linkPreview: bool = True
    caption: str | None = Field(default=None, max_length=4_096)
    sendMediaAsDocument: bool = False
    sendAudioAsVoice: bool = False
    sendMediaAsSticker: bool = False
    media: MediaContent | None = None


class MediaContent(_Options):
    """whatsapp-web.js's ``MessageMedia``: base64 ``data`` of a ``mimetype``."""

    mimetype: Annotated[str, StringConstraints(max_length=255)] | None = None
    data: str = Field(min_length=1)
    filename: Annotated[str, StringConstraints(max_length=255)] | None = None
    filesize: int | None = None


class LocationContent(_Options):
    """whatsapp-web.js's ``Location`` (``description``, or the newer ``name``/``address``)."""

    latitude: float
    longitude: float
    description: str | None = None
    name: str | None = None
    address: str | None = None


class ContactContent(_Options):
    contactId: Id


class PollSettings(_Options):
    allowMultipleAnswers: bool = False


class PollContent(_Options):
    pollName: str
    pollOptions: list[str]
    options: PollSettings = Field(default_factory=PollSettings)


SendOptions.model_rebuild()
Send = Annotated[SendOptions | None, BeforeValidator(_object)]


class SendIn(ProductBody):
    chatId: Id = Field(description="The chat to send to (group or individual), e.g. "
                                   "6281288888888@c.us; a number alone is taken too.")
    contentType: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="string, MessageMedia, MessageMediaFromURL, Location, Contact, Poll, "
                    "List or Buttons.")
    content: Any = Field(default=None, description="The message's content: a string, or "
                                                   "the object its contentType takes.")
    options: Send = Field(default=None, description="The message send options.")


class MessageRef(ProductBody):
    chatId: Id = Field(description="The chat which contains the message.")
    messageId: Id = Field(description="The message's id (as the wrapper answers it in "
                                      "id.id, id._serialized, or WhatsApp's own id).")


class DeleteIn(MessageRef):
    everyone: bool = Field(default=False, description="Delete it for everyone.")


class ForwardIn(MessageRef):
    destinationChatId: Id = Field(description="The chat to forward the message to.")


class ReactIn(MessageRef):
    reaction: Annotated[str, StringConstraints(max_length=32)] = Field(
        default="", description="An emoji; empty takes the session's reaction back.")


class ReplyIn(MessageRef):
    content: Any = Field(default=None, description="The reply: a string.")
    destinationChatId: Id | None = Field(default=None, description="Another chat to send "
                                                                   "the reply to.")
    options: Send = Field(default=None, description="The message send options.")


class SearchIn(ProductBody):
    query: Annotated[str, StringConstraints(max_length=256)] = Field(
        default="", description="The text to search for.")
    options: Options = Field(default=None, description="chatId, page, limit.")


class ChatIn(ProductBody):
    chatId: Id = Field(description="The chat's id (group or individual).")


class FetchIn(ChatIn):
    searchOptions: Options = Field(default=None, description="limit, fromMe (an object or "
                                                             "its JSON text).")


class ParticipantsIn(ChatIn):
    contactIds: Annotated[list[Id], BeforeValidator(
        lambda v: [v] if isinstance(v, str) else v)] = Field(
        min_length=1, max_length=MAX_PARTICIPANTS,
        description="The people (…@c.us ids or numbers).")


class SubjectIn(ChatIn):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=SUBJECT_MAX)]


class DescriptionIn(ChatIn):
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]


class AdminsOnlyIn(ChatIn):
    adminsOnly: bool = Field(default=True, description="Only admins may (false: everyone).")


class PictureIn(ChatIn):
    pictureMimetype: Annotated[str, StringConstraints(max_length=255)] = "image/jpeg"
    pictureData: str = Field(min_length=1, description="The JPEG, base64.")


class CreateGroupIn(ProductBody):
    name: Annotated[str, StringConstraints(min_length=1, max_length=SUBJECT_MAX)]
    participants: Annotated[list[Id], BeforeValidator(
        lambda v: [v] if isinstance(v, str) else v)] = Field(
        default_factory=list, max_length=MAX_PARTICIPANTS)


class ContactIdIn(ProductBody):
    contactId: Id = Field(description="The person's id (_serialized, …@c.us) or number.")


class InviteIn(ProductBody):
    inviteCode: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="The invite code (or its chat.whatsapp.com link).")
