"""CloudWA's request bodies (its Laravel validation rules, as the document prints them, as
pydantic models). GET routes read the same models from the query string and the body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.api.v1.schemas.auth import Password, Username
from chalicelib.api.v1.schemas.common import HttpUrl, text, token
from chalicelib.domain.bots import MAX_KEYWORDS, PATTERN_MAX_CHARS
from chalicelib.domain.campaigns import MAX_INLINE_RECIPIENTS, MAX_SESSIONS


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _string(value: object) -> object:
    """Laravel takes ``201101782890`` and ``"201101782890"`` alike."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Uuid = token(191, 4)  # "Must be at least 4 characters. Must not be greater than 191"
ChatId = Annotated[token(191, 5), BeforeValidator(_string)]
# A message id: its integer id (any length, though the document asks 2 or 3 characters of a
# string) or its ``uuid``.
MessageId = Annotated[token(191), BeforeValidator(_string)]
Phone = Annotated[token(32), BeforeValidator(_string)]
Kind = Annotated[Literal["TEXT", "IMAGE"], BeforeValidator(_upper)]
MessageText = text(65_536)


class Body(ProductBody):
    """A CloudWA request (Laravel ignores fields it does not know and trims strings)."""


class LoginIn(Body):
    username: Username = Field(description="User email/phone: the wagate username.")
    password: Password


class LogoutIn(Body):
    from_all: bool = Field(default=False, description="Log out from all devices: every "
                                                      "login token of the user.")


class DeviceIn(Body):
    device_type: Literal["ios", "android", "web"]
    device_token: token(255)
    device_name: token(255) | None = None
    notifiable_method: Literal["firebase"]
    notifiable_token: token(4096)
    enabled: bool


class AutoActionIn(Body):
    keywords: list[token(PATTERN_MAX_CHARS)] = Field(min_length=1, max_length=MAX_KEYWORDS)
    type: Annotated[Literal["REPLY", "WEBHOOK", "ACTION"], BeforeValidator(_upper)] = Field(
        default="REPLY", description="REPLY with a template, call a WEBHOOK, or an ACTION.")
    lookup: Annotated[Literal["EXACT", "REGEX", "CONTAINS", "STARTS_WITH"],
                      BeforeValidator(_upper)] = Field(default="EXACT",
                                                       description="How keywords match.")
    message_template_id: Annotated[token(64), BeforeValidator(_string)] | None = Field(
        default=None, description="REPLY: the template replied with (its integer id or its "
                                  "wagate id).")
    webhook_url: HttpUrl | None = Field(default=None, description="WEBHOOK: where the match "
                                                                  "is POSTed.")
    action: Annotated[Literal["SUBSCRIBE", "UNSUBSCRIBE"], BeforeValidator(_upper)] | None = \
        Field(default=None, description="ACTION: SUBSCRIBE or UNSUBSCRIBE the sender.")
    allow_groups: bool
    sessions: list[Uuid] = Field(max_length=100, description="The sessions it listens on "
                                                             "([]: all).")


class CampaignRef(Body):
    campaign_id: int = Field(ge=1, le=2**53 - 1)


class CampaignAction(CampaignRef):
    action: Annotated[Literal["start", "pause", "resume", "cancel"], BeforeValidator(_lower)]


class CampaignIn(Body):
    name: token(191)
    description: text(2_000)
    session_uuids: list[Uuid] = Field(max_length=MAX_SESSIONS)
    phones: list[Phone] = Field(min_length=1, max_length=MAX_INLINE_RECIPIENTS)
    type: Kind
    starting_time: datetime
    ending_time: datetime
    typing_duration: int | None = Field(default=None, ge=0, le=3_600)
    daily_limit: int | None = Field(default=None, ge=1, le=100_000)
    message_interval: token(32) | None = None
    add_ref: bool = False
    session_uuid: Uuid
    message: MessageText | None = None
    image: HttpUrl | None = None


class SessionRef(Body):
    session_uuid: Uuid


class ChatRef(SessionRef):
    chat_id: ChatId


class ChatsIn(SessionRef):
    type: token(32) | None = None
    last_chat_id: ChatId | None = None
    direction: Annotated[token(16), BeforeValidator(_lower)] | None = None


class GroupLinkIn(SessionRef):
    url: token(512)


class MessagesIn(ChatRef):
    last_message_id: MessageId | None = None
    direction: Annotated[token(16), BeforeValidator(_lower)] | None = None
    include_notifications: bool = False


class ShowIn(Body):
    session_uuid: Uuid | None = None


class SendIn(SessionRef):
    chat_id: ChatId
    typing_duration: int = Field(default=0, ge=0, le=5)
    type: Kind
    schedule_at: datetime = Field(description="UTC; at or before now: sent now.")
    urgency: int = Field(ge=0, le=2, description="0 low (bulk), 1 normal, 2 high.")
    reply_to_message_id: MessageId | None = None
    message: MessageText | None = None
    image: HttpUrl | None = None


class MessageRef(ChatRef):
    message_id: MessageId


class OtpIn(Body):
    phone: Phone | None = Field(default=None, description="Only this number may send the "
                                                          "code back.")


class SessionIn(Body):
    name: token(191, 3)
    webhook_url: HttpUrl | None = None


class StatusIn(SessionRef):
    no_action: bool = False
