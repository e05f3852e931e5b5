"""Request bodies of the native API, and how records are shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from chalicelib.domain import status_codes
from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.messages import Message, Priority
from chalicelib.domain.sessions import Session
from chalicelib.domain.templates import Template
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

Name = Field(min_length=1, max_length=100)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LogoutIn(Body):
    from_all: bool = False


class TenantIn(Body):
    name: str = Name


class UserIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    role: Literal["owner", "member", "admin"] = "member"


class ApiKeyIn(Body):
    name: str = Name
    scopes: list[str] = Field(min_length=1)


SendInterval = Field(default=None, ge=0, le=60_000)


class SessionIn(Body):
    name: str = Name
    webhook_url: AnyHttpUrl | None = None
    engine: str | None = None
    start: bool = True
    send_interval_ms: int | None = SendInterval


class SessionPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    send_interval_ms: int | None = SendInterval


class PairingCodeIn(Body):
    phone: str = Field(min_length=1, max_length=32)


class CheckNumbersIn(Body):
    phones: list[str] = Field(min_length=1, max_length=50)


class LinkIn(Body):
    code: str = Field(min_length=8, max_length=9)


class DropIn(Body):
    logged_out: bool = False
    refuse_reconnects: int = Field(default=0, ge=0, le=20)


class MediaIn(Body):
    url: str | None = Field(default=None, max_length=2048)
    base64: str | None = None
    mime_type: str | None = Field(default=None, max_length=100)
    filename: str | None = Field(default=None, max_length=255)
    caption: str | None = Field(default=None, max_length=1024)


class ContactIn(Body):
    name: str = Field(min_length=1, max_length=256)
    phone: str | None = Field(default=None, max_length=32)
    vcard: str | None = Field(default=None, max_length=10_000)


class ReactionIn(Body):
    message_id: str = Field(min_length=1, max_length=64)
    emoji: str = Field(max_length=16)


_TYPED = ("image", "video", "audio", "voice", "document", "sticker", "location", "contacts",
          "poll", "list", "reaction")


class SendIn(Body):
    """POST /v1/messages: common fields, plus the one object named by ``type``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    session_id: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=64)
    type: Literal["text", "image", "video", "audio", "voice", "document", "sticker",
                  "location", "contact", "poll", "list", "reaction"] = "text"
    text: str | None = Field(default=None, min_length=1, max_length=65_536)
    link_preview: bool = True
    mentions: list[str] = Field(default_factory=list, max_length=50)
    image: MediaIn | None = None
    video: MediaIn | None = None
    audio: MediaIn | None = None
    voice: MediaIn | None = None
    document: MediaIn | None = None
    sticker: MediaIn | None = None
    location: dict[str, Any] | None = None
    contacts: list[ContactIn] | None = Field(default=None, min_length=1, max_length=10)
    poll: dict[str, Any] | None = None
    list_: dict[str, Any] | None = Field(default=None, alias="list")
    reaction: ReactionIn | None = None
    template_id: str | None = Field(default=None, max_length=64)
    variables: dict[str, str] = Field(default_factory=dict)
    reply_to: str | None = Field(default=None, max_length=64)
    schedule_at: datetime | None = None
    expires_at: datetime | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=35 * 86_400)
    priority: Literal["high", "normal", "bulk"] = "normal"
    typing_ms: int = Field(default=0, ge=0, le=5000)
    metadata: dict[str, str] = Field(default_factory=dict, max_length=20)

    def _given(self, key: str) -> Any:
        return getattr(self, "list_" if key == "list" else key)

    def draft(self) -> Draft:
        """The service's view: the type's own fields in ``body``, media as a source."""
        key = "contacts" if self.type == "contact" else self.type
        for other in _TYPED:
            if other != key and self._given(other) is not None:
                raise ValidationFailed.field(other, f"does not belong to a {self.type} message")
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
                if self.type not in ("document",):
                    body.pop("filename", None)
            elif self.type == "contact":
                body = {"contacts": [c.model_dump(exclude_none=True) for c in given or []]}
            elif isinstance(given, BaseModel):
                body = given.model_dump()
            else:
                body = dict(given or {})
        return Draft(session_id=self.session_id, to=self.to, type=self.type, body=body,
                     media=media, template_id=self.template_id, variables=self.variables,
                     reply_to=self.reply_to, schedule_at=self.schedule_at,
                     expires_at=self.expires_at, ttl_seconds=self.ttl_seconds,
                     priority=Priority(self.priority), typing_ms=self.typing_ms,
                     metadata=self.metadata)


class ForwardIn(Body):
    to: str = Field(min_length=1, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)


class EditIn(Body):
    text: str = Field(min_length=1, max_length=65_536)


class StarIn(Body):
    starred: bool = True


class TemplateIn(Body):
    name: str = Name
    body: str = Field(min_length=1, max_length=4096)


class TemplatePatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, min_length=1, max_length=4096)


class PreviewIn(Body):
    variables: dict[str, str] = Field(default_factory=dict)


class LimitsIn(Body):
    messages_per_day: int = Field(ge=0)
    messages_per_month: int = Field(ge=0)
    sessions: int = Field(ge=0)


class ScanIn(Body):
    phone: str | None = None


class InboundIn(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    sender: str = Field(alias="from", min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=65536)
    push_name: str | None = None


def tenant_out(tenant: Tenant) -> dict[str, Any]:
    return tenant.model_dump(mode="json")


def user_out(user: User) -> dict[str, Any]:
    return user.model_dump(mode="json", include={"id", "tenant_id", "username", "role",
                                                 "created_at"})


def api_key_out(key: ApiKey) -> dict[str, Any]:
    return key.model_dump(mode="json", include={"id", "name", "scopes", "created_by",
                                                "created_at", "last_four"})


def session_out(session: Session, with_secrets: bool = False) -> dict[str, Any]:
    body = session.model_dump(mode="json", include={
        "id", "name", "engine", "status", "reason", "phone", "push_name", "send_interval_ms",
        "created_at", "updated_at"})
    body["webhooks"] = [w.model_dump(include={"id", "url", "events", "secret"} if with_secrets
                                     else {"id", "url", "events"}) for w in session.webhooks]
    body["host"] = session.owner  # the session host holding its connection, if any
    if with_secrets and session.webhooks:
        body["webhook_secret"] = session.webhooks[0].secret
    return body


def message_out(message: Message) -> dict[str, Any]:
    body = message.model_dump(mode="json", exclude={"tenant_id"})
    body["ack"] = status_codes.ack(message.status)  # the seeds' vocabularies, for dialects
    body["status_letter"] = status_codes.letter(message.status)
    return body


def template_out(template: Template) -> dict[str, Any]:
    return {**template.model_dump(exclude={"tenant_id"}), "variables": template.variables}
