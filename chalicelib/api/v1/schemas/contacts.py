"""Contacts, identity (LIDs) and presence subscriptions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from chalicelib.api.v1.schemas.common import Body, Name, Out, token
from chalicelib.domain.people import Contact, LidMapping

Presence = Literal["available", "unavailable"]


class ContactOut(Out):
    id: str = Field(description="The contact's JID: its phone JID, or its LID while no number "
                                "is known.")
    phone: str | None
    lid: str | None
    name: str | None = Field(description="The local name if given, else the person's own "
                                         "(push name), else a business name.")
    first_name: str | None
    last_name: str | None
    push_name: str | None
    business_name: str | None
    on_whatsapp: bool | None = Field(description="As the last number check said (null: never "
                                                 "checked).")
    checked_at: str | None
    blocked: bool | None
    picture_url: str | None = Field(description="The cached profile picture URL, if asked for.")
    seen_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        body = contact.model_dump(mode="json", exclude={"tenant_id", "session_id", "jid",
                                                        "picture_at"})
        return cls.model_validate({**body, "id": contact.jid, "name": contact.name})


class ContactPatch(Body):
    """The local name, kept by wagate only (never sent to the phone); null removes a part."""

    first_name: Name | None = None
    last_name: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _something(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data:
            raise ValueError("give first_name and/or last_name")
        return data


class PictureOut(Out):
    url: str | None = Field(description="The profile picture's URL (null: none, or hidden).")
    cached: bool = Field(description="Answered from wagate's 24 h cache.")


class AboutOut(Out):
    about: str | None


class BlockedContact(Out):
    jid: str
    phone: str | None


class DoneOut(Out):
    done: bool


class LidOut(Out):
    lid: str
    phone: str
    jid: str
    updated_at: str

    @classmethod
    def of(cls, mapping: LidMapping) -> LidOut:
        return cls.model_validate(mapping.model_dump())


class SandboxPresenceIn(Body):
    contact: token(64) = Field(description="Whose phone: a number, phone JID or LID.")
    presence: Presence
