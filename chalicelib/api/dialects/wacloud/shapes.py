"""Our records as WACloud shows them: devices, messages, templates, webhooks, contacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.jids import USER_SERVER
from chalicelib.domain.messages import Message
from chalicelib.domain.people import Contact, LidMapping
from chalicelib.domain.sessions import Qr, Session, SessionStatus
from chalicelib.domain.templates import Template
from chalicelib.domain.webhooks import Subscription
from chalicelib.services.webhook_formats.wacloud import STATUSES, c_us, unix

QR_VALID_S = 120  # WACloud: "QR code berlaku selama 2 menit"

# WACloud's webhook events and the wagate events they stand for.
EVENTS = {"message": "message.received", "status": "message.status"}
OUR_EVENTS = {ours: theirs for theirs, ours in EVENTS.items()}


def device_status(session: Session) -> str:
    """``connected`` (linked and online), ``pairing`` (waiting for its QR code to be
    scanned) or ``disconnected`` (stopped, failed, or reconnecting)."""
    if session.status == SessionStatus.WORKING:
        return "connected"
    if session.status == SessionStatus.SCAN_QR or (
            session.status == SessionStatus.STARTING and not session.phone):
        return "pairing"
    return "disconnected"


def digits(phone: str | None) -> str | None:
    return phone.lstrip("+") if phone else None


def device(session: Session) -> dict[str, Any]:
    return {"id": session.id, "name": session.name, "phone_number": digits(session.phone),
            "status": device_status(session), "created_at": session.created_at,
            "updated_at": session.updated_at}


def device_detail(session: Session) -> dict[str, Any]:
    return {**device(session), "push_name": session.push_name,
            "last_seen_at": session.last_event_at}


def qr(session: Session, code: Qr, image: str) -> dict[str, Any]:
    """The pairing answer; ``expires_at`` is the shown code's own end, never more than two
    minutes away."""
    latest = clock.now() + timedelta(seconds=QR_VALID_S)
    expires = min(clock.parse(code.expires_at), latest)
    return {"qr_code": image, "expires_at": clock.iso(expires), "device_id": session.id,
            "status": "pairing"}


def _address(jid: str | None) -> str | None:
    """A phone JID as its digits (as WACloud's ``to`` is written); other JIDs as
    ``c_us`` gives them."""
    if jid and jid.endswith("@" + USER_SERVER):
        return jid.split("@")[0]
    return c_us(jid)


def message(record: Message) -> dict[str, Any]:
    status, ack = STATUSES[record.status.value]
    inbound = record.direction.value == "inbound"
    sender = (record.from_ or record.sender or record.chat) if inbound else record.from_
    return {"message_id": record.id, "whatsapp_message_id": record.engine_message_id,
            "device_id": record.session_id, "direction": record.direction.value,
            "from": _address(sender), "to": _address(record.to if inbound else record.chat),
            "message_type": record.type, "body": record.text, "status": status, "ack": ack,
            "error": (record.error or {}).get("reason") if status == "failed" else None,
            "timestamp": unix(record.created_at), "created_at": record.created_at,
            "updated_at": record.updated_at}


def sent(record: Message) -> dict[str, Any]:
    """What ``POST /messages`` answers (the document's fields first)."""
    shaped = message(record)
    return {key: shaped[key] for key in ("message_id", "whatsapp_message_id", "status", "ack",
                                         "to", "device_id", "message_type", "created_at")}


def template(record: Template) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "content": record.body,
            "message_type": "text", "variables": record.variables,
            "description": record.description, "created_at": record.created_at,
            "updated_at": record.updated_at}


def webhook(record: Subscription, secret: bool = False) -> dict[str, Any]:
    events = [OUR_EVENTS.get(e, e) for e in record.events]
    shaped = {"id": record.id, "url": record.url, "events": events,
              "device_id": record.session_ids[0] if record.session_ids else None,
              "is_active": record.enabled, "created_at": record.created_at,
              "updated_at": record.updated_at}
    if secret:
        shaped["secret"] = record.secret
    return shaped


def contact(record: Contact) -> dict[str, Any]:
    """A contact as WAHA shows one (``id`` is its chat id), with the local names."""
    return {"id": c_us(record.jid), "number": digits(record.phone), "name": record.name,
            "pushname": record.push_name, "shortName": record.first_name,
            "firstName": record.first_name, "lastName": record.last_name,
            "lid": record.lid, "isBusiness": record.business_name is not None,
            "isBlocked": bool(record.blocked), "isMyContact": bool(
                record.first_name or record.last_name)}


def lid(record: LidMapping) -> dict[str, Any]:
    return {"lid": record.lid, "pn": c_us(record.jid)}
