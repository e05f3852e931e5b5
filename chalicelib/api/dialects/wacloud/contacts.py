"""Contacts and LIDs of a device, under ``/devices/{device}/…`` as WAHA (which WACloud runs
on) serves them; ``{device}`` is the device's id or its name."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.api.dialects.wacloud.devices import device
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import ContactIdIn, ContactUpdateIn
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import LID_SERVER, parse_jid
from chalicelib.services.contacts import MAX_WINDOW

BASE = "/api/v1/devices/{device}/contacts"
LIDS = "/api/v1/devices/{device}/lids"
MAX_PAGE = 1000


def _flag(call: Call, name: str) -> bool:
    value = call.query(name)
    if value not in (None, "true", "false"):
        raise ValidationFailed.field(name, "must be true or false")
    return value == "true"


@router.route("GET", BASE, scope="contacts:read",
              query=("limit", "offset", "sortBy", "sortOrder"))
def list_contacts(call: Call, device: str) -> list[dict[str, Any]]:
    """The device's contacts, ``limit`` (default 100) from ``offset``, sorted by ``id`` or
    ``name``, ``asc`` or ``desc``."""
    order = call.query("sortOrder") or "asc"
    if order not in ("asc", "desc"):
        raise ValidationFailed.field("sortOrder", "must be asc or desc")
    limit = call.query_int("limit", 100, 1, MAX_PAGE)
    offset = call.query_int("offset", 0, 0, MAX_WINDOW)
    contacts = call.services.contacts_service.window(
        call.principal, _device_id(call, device), offset, limit, call.query("sortBy") or "id",
        order == "desc")
    return [shapes.contact(c) for c in contacts]


def _device_id(call: Call, ref: str) -> str:
    return device(call, ref).id


@router.route("GET", BASE + "/check-exists", scope="contacts:read", query=("phone",))
def check_exists(call: Call, device: str) -> dict[str, Any]:
    """Whether a number is on WhatsApp (asked live through the device)."""
    phone = call.query("phone")
    if not phone:
        raise ValidationFailed.field("phone", "is required")
    checked = call.services.contacts_service.check(call.principal, _device_id(call, device),
                                                   [phone])
    result = checked.results[0]
    return {"numberExists": result.on_whatsapp,
            "chatId": shapes.c_us(result.jid) if result.on_whatsapp else None}


@router.route("GET", BASE + "/{contact_id}", scope="contacts:read")
def get_contact(call: Call, device: str, contact_id: str) -> dict[str, Any]:
    """One contact by phone number or chat id (``…@c.us`` or ``…@lid``)."""
    return shapes.contact(call.services.contacts_service.get(
        call.principal, _device_id(call, device), contact_id))


@router.route("PUT", BASE + "/{contact_id}", scope="contacts:write", body=ContactUpdateIn)
def update_contact(call: Call, device: str, contact_id: str) -> Said:
    """Set the contact's first and last name (kept by the gateway; a number it did not know
    becomes a contact)."""
    body = call.body()
    changes = {k: v for k, v in (("first_name", body.firstName), ("last_name", body.lastName))
               if v is not None}
    contact = call.services.contacts_service.rename(call.principal, _device_id(call, device),
                                                    contact_id, changes)
    return Said("Contact updated successfully", shapes.contact(contact))


@router.route("GET", BASE + "/{contact_id}/profile-picture", scope="contacts:read",
              query=("refresh",))
def profile_picture(call: Call, device: str, contact_id: str) -> dict[str, Any]:
    """The contact's profile picture URL, cached 24 hours (``refresh=true`` asks again)."""
    picture, cached = call.services.contacts_service.picture(
        call.principal, _device_id(call, device), contact_id, _flag(call, "refresh"))
    return {"profilePictureURL": picture.url, "cached": cached}


def _block(call: Call, device: str, contact_id: str, blocked: bool) -> Said:
    call.services.contacts_service.block(call.principal, _device_id(call, device), contact_id,
                                         blocked)
    return Said(f"Contact {'blocked' if blocked else 'unblocked'}",
                {"contactId": contact_id, "blocked": blocked})


@router.route("POST", BASE + "/{contact_id}/block", scope="contacts:write")
def block_contact(call: Call, device: str, contact_id: str) -> Said:
    """Block the contact on WhatsApp."""
    return _block(call, device, contact_id, True)


@router.route("POST", BASE + "/{contact_id}/unblock", scope="contacts:write")
def unblock_contact(call: Call, device: str, contact_id: str) -> Said:
    """Unblock the contact on WhatsApp."""
    return _block(call, device, contact_id, False)


@router.route("POST", BASE + "/block", scope="contacts:write", body=ContactIdIn)
def block_by_body(call: Call, device: str) -> Said:
    """Block the contact named by ``contactId`` (WAHA's form)."""
    return _block(call, device, call.body().contactId, True)


@router.route("POST", BASE + "/unblock", scope="contacts:write", body=ContactIdIn)
def unblock_by_body(call: Call, device: str) -> Said:
    """Unblock the contact named by ``contactId`` (WAHA's form)."""
    return _block(call, device, call.body().contactId, False)


@router.route("GET", LIDS, scope="contacts:read", query=("limit", "offset"))
def list_lids(call: Call, device: str) -> list[dict[str, Any]]:
    """The known LID to phone number mappings, by LID: ``limit`` (default 100) from
    ``offset``."""
    limit = call.query_int("limit", 100, 1, MAX_PAGE)
    offset = call.query_int("offset", 0, 0, MAX_WINDOW)
    mappings = call.services.contacts_service.lids_window(
        call.principal, _device_id(call, device), offset, limit)
    return [shapes.lid(m) for m in mappings]


@router.route("GET", LIDS + "/count", scope="contacts:read")
def count_lids(call: Call, device: str) -> dict[str, int]:
    """How many LID mappings are known."""
    return {"count": call.services.contacts_service.lids_count(call.principal,
                                                               _device_id(call, device))}


@router.route("GET", LIDS + "/{lid}", scope="contacts:read")
def phone_of_lid(call: Call, device: str, lid: str) -> dict[str, Any]:
    """The phone number behind a LID (``pn`` null while unknown)."""
    full = lid if "@" in lid else f"{lid}@{LID_SERVER}"
    session_id = _device_id(call, device)
    try:
        mapping = call.services.contacts_service.by_lid(call.principal, session_id, lid)
    except NotFound:
        return {"lid": full, "pn": None}
    return shapes.lid(mapping)


@router.route("GET", LIDS + "/pn/{phone}", scope="contacts:read")
def lid_of_phone(call: Call, device: str, phone: str) -> dict[str, Any]:
    """The LID of a phone number or chat id (``lid`` null while unknown)."""
    session_id = _device_id(call, device)
    if phone.endswith("@" + LID_SERVER):
        return {"lid": phone, "pn": None}
    try:
        mapping = call.services.contacts_service.by_phone(call.principal, session_id, phone)
    except NotFound:
        return {"lid": None, "pn": shapes.c_us(str(parse_jid(phone, "phone")))}
    return shapes.lid(mapping)
