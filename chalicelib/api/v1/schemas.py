"""Request bodies of the native API, and how records are shown."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.messages import Message
from chalicelib.domain.sessions import Session

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


class SendIn(Body):
    session_id: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=64)
    type: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=65536)


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
    return message.model_dump(mode="json", exclude={"tenant_id"})
