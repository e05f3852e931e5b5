"""Sending: text, media by URL and templates (WhatsMark's ``messages/send|media|template``)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.api.dialects.whatscloud import schemas
from chalicelib.api.dialects.whatscloud.profile import router
from chalicelib.api.dialects.whatscloud.shapes import own
from chalicelib.domain import clock
from chalicelib.domain.address_book import Contact
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.messages import Message
from chalicelib.domain.otp import new_code
from chalicelib.domain.sessions import Session
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

BASE = "/api/v1/{tenant}"
SEND_FIELD = "from_phone_number_id"
OTP_DIGITS = 6  # the code auto_generate_otp makes (NIST 800-63B: at least 6 digits)


def _sender(call: Call, body: schemas.Send) -> Session:
    """The session that sends (see the package's decisions)."""
    ref = body.from_phone_number_id
    try:
        return call.services.session_service.find(call.principal, ref)
    except NotFound:
        raise ValidationFailed.field(
            SEND_FIELD, "is not a session of yours (its id, name or number)" if ref else
            "no session of yours is WORKING: pair one first (the WhatsApp connection)"
        ) from None


def _recipient(call: Call, body: schemas.Send) -> tuple[str, Contact, bool]:
    """The number as a JID, and its contact in the address book (made when new)."""
    jid = parse_jid(body.phone_number, "phone_number")
    if not jid.is_user:
        raise ValidationFailed.field("phone_number", "must be a phone number")
    given = body.contact or schemas.NewContact()
    first = given.first_name or given.firstname
    last = given.last_name or given.lastname
    fields: dict[str, Any] = {}
    if first or last:
        fields["name"] = " ".join(p for p in (first, last) if p)
    if given.email:
        fields["email"] = given.email
    found, created = call.services.address_book.contact_for(call.principal, str(jid.phone),
                                                            fields)
    return str(jid), found, created


def _sent(call: Call, message: Message, found: Contact, created: bool) -> dict[str, Any]:
    """What WhatsMark answers of a send (``status``: the message is accepted and queued;
    its callbacks follow it to sent, delivered, read or failed)."""
    return {"message_id": message.id, "contact_id": Numbers(call).of("contact", found.id),
            "phone": found.phone, "status": "accepted",
            "sent_at": clock.parse(message.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            "chat_id": None, "contact_created": created}


def _send(call: Call, body: schemas.Send, type_: str, fields: dict[str, Any],
          **draft: Any) -> tuple[Message, Contact, bool]:
    """Send from the body's session to its number: the message, the number's contact, and
    whether that contact is new."""
    session = _sender(call, body)
    to, found, created = _recipient(call, body)
    message = call.services.messaging.send(call.principal, Draft(
        session_id=session.id, to=to, type=type_, body=fields, **draft))
    return message, found, created


@router.route("POST", f"{BASE}/messages/send", scope="messages:send", body=schemas.SendIn)
def send_message(call: Call, tenant: str) -> dict[str, Any]:
    """Send a text message to a number (a contact is added to the book for a new number)."""
    own(call, tenant)
    body: schemas.SendIn = call.body()
    message, found, created = _send(call, body, "text", {"text": body.message_body})
    return {"message": "Message sent successfully",
            "data": {**_sent(call, message, found, created), "message": message.text}}


@router.route("POST", f"{BASE}/messages/media", scope="messages:send", body=schemas.MediaIn)
def send_media(call: Call, tenant: str) -> dict[str, Any]:
    """Send an image, video, audio or document by URL."""
    own(call, tenant)
    body: schemas.MediaIn = call.body()
    fields: dict[str, Any] = {}
    if body.caption and body.media_type != "audio":
        fields["caption"] = body.caption
    if body.media_type == "document" and body.filename:
        fields["filename"] = body.filename
    message, found, created = _send(call, body, body.media_type, fields, media=MediaSource(
        url=body.media_url, filename=body.filename))
    return {"message": "Media message sent successfully",
            "data": {**_sent(call, message, found, created), "media_type": body.media_type,
                     "media_url": body.media_url, "caption": fields.get("caption"),
                     "filename": body.filename, "chat_message_id": None}}


@router.route("POST", f"{BASE}/messages/template", scope="messages:send",
              body=schemas.TemplateIn)
def send_template(call: Call, tenant: str) -> dict[str, Any]:
    """Send a template by name: ``field_1``… fill its placeholders in order of first use
    (``auto_generate_otp``: the first with a new code, answered in ``data.otp`` and stored
    masked)."""
    own(call, tenant)
    body: schemas.TemplateIn = call.body()
    found_template = call.services.template_service.named(call.principal, body.template_name)
    if found_template is None:
        raise NotFound(f"Template '{body.template_name}' not found")
    names = found_template.variables
    given = body.fields()
    code = new_code(OTP_DIGITS) if body.auto_generate_otp else None
    if code is not None:
        given[0] = code
    missing = [i for i in range(1, len(names) + 1) if given[i - 1] is None]
    if missing:
        raise ValidationFailed("template_fields: missing", details=[
            {"field": "template_fields", "message": f"field_{i} (Body parameter {i} required)"}
            for i in missing])
    variables = {name: str(given[i]) for i, name in enumerate(names) if i < len(given)}
    message, found, created = _send(call, body, "text", {}, template_id=found_template.id,
                                    variables=variables, conceal=(code,) if code else ())
    numbers = Numbers(call)
    first, _, last = (found.name or "").partition(" ")
    return {"message": "Template message sent successfully", "data": {
        "contact": {"id": numbers.of("contact", found.id), "phone": found.phone,
                    "first_name": first, "last_name": last, "email": found.email or "",
                    "created": created},
        "template": {"template_name": found_template.name, "language": body.template_language,
                     "sent": True, "header_format": None, "has_media": False},
        "message_id": message.id, "status": "accepted",
        "whatsapp_response": {}, "media_info": None, **({"otp": code} if code else {})}}
