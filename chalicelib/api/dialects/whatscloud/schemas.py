"""WhatsMark SaaS's request bodies (its Laravel validation rules, as pydantic models)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.domain.address_book import TAG_NAME_MAX_CHARS

Short = Annotated[str, StringConstraints(max_length=255)]
# The address book keeps a name of at most 200 characters (first and last together) and a
# status, source or group name of at most 64: WhatsMark's 255 is cut to those.
First = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Last = Annotated[str, StringConstraints(min_length=1, max_length=99)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=TAG_NAME_MAX_CHARS)]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
StatusName = Annotated[str, StringConstraints(min_length=3, max_length=TAG_NAME_MAX_CHARS)]
Email = Annotated[str, StringConstraints(max_length=191)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
Id = Annotated[int, Field(ge=1, le=2**53 - 1)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048,
                                       pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://")]
Param = Annotated[str, StringConstraints(max_length=1024)]


class _Body(ProductBody):
    """A WhatsMark request body (Laravel ignores fields it does not know, trims strings)."""


class _ContactFields(_Body):
    company: Short | None = None
    description: Annotated[str, StringConstraints(max_length=1024)] | None = None
    country_id: Id | None = None
    zip: Short | None = None
    city: Short | None = None
    state: Short | None = None
    address: Short | None = None
    website: Short | None = None
    default_language: Short | None = None
    group_id: list[Id] | None = Field(default=None, max_length=20)


class ContactIn(_ContactFields):
    """POST …/contacts."""

    firstname: First
    lastname: Last
    phone: Phone
    type: Literal["lead", "contact", "customer"]
    source_id: Id
    status_id: Id
    email: Email | None = None


class ContactUpdate(_ContactFields):
    """PUT …/contacts/{id}: name and phone always, the rest when given (null clears)."""

    firstname: First
    lastname: Last
    phone: Phone
    type: Literal["lead", "contact", "customer"] | None = None
    source_id: Id | None = None
    status_id: Id | None = None
    email: Email | None = None


class StatusIn(_Body):
    name: StatusName
    color: Color | None = None
    isdefault: bool = False


class StatusUpdate(_Body):
    name: StatusName | None = None
    color: Color | None = None
    isdefault: bool | None = None


class NamedIn(_Body):
    """A source or a group."""

    name: Name


class NamedUpdate(_Body):
    name: Name | None = None


class NewContact(_Body):
    """The ``contact`` of a send: who to add to the book when the number is new to it."""

    first_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=99)] | None = None
    firstname: Annotated[str, StringConstraints(max_length=100)] | None = None
    lastname: Annotated[str, StringConstraints(max_length=99)] | None = None
    email: Email | None = None
    country: Annotated[str, StringConstraints(max_length=100)] | None = None
    language_code: Annotated[str, StringConstraints(max_length=10)] | None = None
    groups: Annotated[str, StringConstraints(max_length=2048)] | None = None


class Send(_Body):
    """What every send takes: the number, the sender, a new contact."""

    phone_number: Phone
    from_phone_number_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None \
        = Field(default=None, description="The session to send from: its id or its number "
                                          "(default: the tenant's oldest WORKING session).")
    contact: NewContact | None = None


class SendIn(Send):
    """POST …/messages/send."""

    message_body: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class MediaIn(Send):
    """POST …/messages/media (by URL)."""

    media_type: Literal["image", "document", "video", "audio"]
    media_url: Url
    caption: Annotated[str, StringConstraints(max_length=1024)] | None = None
    filename: Short | None = None


class TemplateIn(Send):
    """POST …/messages/template: ``field_1``… fill the template's placeholders in order."""

    template_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    template_language: Annotated[str, StringConstraints(min_length=2, max_length=10)]
    auto_generate_otp: bool = Field(default=False, description="Fill the first placeholder "
                                    "with a new 6-digit code, returned in ``data.otp``.")
    header_field_1: Param | None = None
    header_image_url: Url | None = None
    header_video_url: Url | None = None
    header_document_url: Url | None = None
    header_document_name: Short | None = None
    field_1: Param | None = None
    field_2: Param | None = None
    field_3: Param | None = None
    field_4: Param | None = None
    field_5: Param | None = None
    field_6: Param | None = None
    field_7: Param | None = None
    field_8: Param | None = None
    field_9: Param | None = None
    field_10: Param | None = None
    button_0: Param | None = None
    button_1: Param | None = None
    button_2: Param | None = None
    copy_code: Annotated[str, StringConstraints(max_length=100)] | None = None

    def fields(self) -> list[str | None]:
        return [getattr(self, f"field_{i}") for i in range(1, 11)]
