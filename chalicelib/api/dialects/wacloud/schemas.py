"""WACloud's request bodies, with its field names. Unknown fields are ignored (as WACloud's
own server does); strings are trimmed and bounded."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.api.dialects.schemas import ProductBody
from chalicelib.api.v1.schemas.common import HttpUrl, Name, Variables, text, token

Recipient = token(64)
DeviceRef = token(100)
Caption = text(1024)
MessageText = text(65_536)
RowTitle = text(24)
RowId = token(200)
RowText = text(72)
Heading = text(60)
ListText = text(4096)
ButtonText = text(20)
Question = text(255)
PollOption = text(100)
Description = text(1024, 0)
Key = token(64)
PhoneText = token(32)
FileName = token(255)
Code = token(10)


class WaBody(ProductBody):
    """A WACloud request body."""


class DeviceIn(WaBody):
    name: Name
    phone_number: PhoneText | None = Field(default=None, description="The number to pair "
                                           "(digits with country code); the device shows the "
                                           "number that scans its QR code.")


class ListRowIn(WaBody):
    title: RowTitle
    rowId: RowId | None = None  # noqa: N815 (WACloud's field name)
    id: RowId | None = None
    description: RowText | None = None


class ListSectionIn(WaBody):
    title: RowTitle
    rows: list[ListRowIn] = Field(min_length=1, max_length=10)


class ListIn(WaBody):
    title: Heading | None = None
    description: ListText = Field(description="The list's text.")
    button: ButtonText
    footer: Heading | None = None
    sections: list[ListSectionIn] = Field(min_length=1, max_length=10, description="At least one "
                                          "section: WhatsApp shows no empty list.")


MessageType = Literal["text", "image", "video", "document", "poll", "list"]


class MessageIn(WaBody):
    """``POST /messages``: ``message_type`` and its own fields, or a template."""

    device_id: DeviceRef = Field(description="The device's id or its name.")
    to: Recipient = Field(description="Digits with country code (with or without +), or a "
                                      "chat id (…@c.us, …@g.us).")
    message_type: MessageType = "text"
    text: MessageText | None = None
    image_url: HttpUrl | None = None
    video_url: HttpUrl | None = None
    document_url: HttpUrl | None = None
    caption: Caption | None = None
    filename: FileName | None = None
    as_note: bool = False
    convert: bool = False
    poll_name: Question | None = None
    poll_options: list[PollOption] | None = Field(default=None, min_length=2, max_length=12)
    message: ListIn | None = None
    template_id: Key | None = None
    variables: Variables = Field(default_factory=dict)

    @model_validator(mode="after")
    def _its_fields(self) -> MessageIn:
        kind = self.message_type
        needs = {"image": "image_url", "video": "video_url", "document": "document_url",
                 "poll": "poll_name", "list": "message"}
        if kind == "text" and self.text is None and self.template_id is None:
            raise ValueError("text is required (or template_id)")
        if kind in needs and getattr(self, needs[kind]) is None and not (
                kind == "list" and self.template_id):
            raise ValueError(f"{needs[kind]} is required for a {kind} message")
        if kind == "poll" and not self.poll_options:
            raise ValueError("poll_options (2 to 12) are required for a poll")
        if self.as_note:
            raise ValueError("as_note: video notes are not supported; send false")
        return self


class WebhookIn(WaBody):
    url: HttpUrl
    events: list[Literal["message", "status"]] = Field(default_factory=lambda: ["message"],
                                                       min_length=1, max_length=2)
    device_id: DeviceRef | None = Field(default=None, description="Only this device's events "
                                        "(its id or name); none: every device's.")


TemplateContent = ListText


class TemplateIn(WaBody):
    name: Name
    content: TemplateContent = Field(description="The text, with @{{variable}} placeholders.")
    message_type: Literal["text"] = "text"
    variables: list[Key] = Field(default_factory=list, max_length=50,
                                       description="Ignored: the placeholders of content are "
                                                   "the template's variables.")
    description: Description | None = None


class TemplatePatch(WaBody):
    name: Name | None = None
    content: TemplateContent | None = None
    message_type: Literal["text"] | None = None
    variables: list[Key] = Field(default_factory=list, max_length=50)
    description: Description | None = None


class PreviewIn(WaBody):
    variables: Variables = Field(default_factory=dict)


class OtpIn(WaBody):
    device_id: DeviceRef | None = Field(default=None, description="The sending device (id or "
                                        "name); none: the OTP default of PUT /v1/otp/settings.")
    to: Recipient
    template_id: Key | None = Field(default=None, description="A template whose content "
                                          "holds @{{code}} (and optionally @{{minutes}}).")
    expiry_minutes: int = Field(default=10, ge=1, le=60)


class VerifyIn(WaBody):
    phone_number: Recipient
    code: Code


class ContactUpdateIn(WaBody):
    firstName: Name | None = None  # noqa: N815 (WACloud's field names)
    lastName: Name | None = None  # noqa: N815

    @model_validator(mode="after")
    def _something(self) -> ContactUpdateIn:
        if self.firstName is None and self.lastName is None:
            raise ValueError("give firstName and/or lastName")
        return self


class ContactIdIn(WaBody):
    """WAHA's form of block/unblock: the contact in the body."""

    contactId: Recipient  # noqa: N815 (WAHA's field name)
