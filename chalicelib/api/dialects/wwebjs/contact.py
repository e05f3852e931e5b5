"""``/contact/*``: one person's class info, chat, about text, profile picture, formatted
number and country code, and blocking them. Each answers ``result`` (as the wrapper's
contact controller does). A person wagate knows nothing of yet is answered as a bare contact
(whatsapp-web.js answers one for any id); an id that is not a person's is a 422."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import shapes
from chalicelib.api.dialects.wwebjs.bodies import ContactIdBody
from chalicelib.api.dialects.wwebjs.profile import connected, route
from chalicelib.domain.errors import NotFound
from chalicelib.domain.sessions import Session
from chalicelib.services.contacts import person


def _person(call: Call, session_id: str) -> tuple[Session, str]:
    session = connected(call, session_id)
    return session, str(person(call.body().contact_id, "contactId"))


@route("POST", "/contact/getClassInfo/{sessionId}", scope="contacts:read", body=ContactIdBody)
def contact_class_info(call: Call, session_id: str) -> dict[str, Any]:
    """The person as whatsapp-web.js's ``Contact``."""
    session, jid = _person(call, session_id)
    try:
        contact = call.services.contacts_service.get(call.principal, session.id, jid)
    except NotFound:
        return {"result": shapes.bare_contact(jid, session)}
    return {"result": shapes.contact_json(contact, session)}


@route("POST", "/contact/block/{sessionId}", scope="contacts:write", body=ContactIdBody)
def block_contact(call: Call, session_id: str) -> dict[str, Any]:
    """Block the person on WhatsApp; ``result`` true."""
    session, jid = _person(call, session_id)
    call.services.contacts_service.block(call.principal, session.id, jid, True)
    return {"result": True}


@route("POST", "/contact/unblock/{sessionId}", scope="contacts:write", body=ContactIdBody)
def unblock_contact(call: Call, session_id: str) -> dict[str, Any]:
    """Unblock the person; ``result`` true."""
    session, jid = _person(call, session_id)
    call.services.contacts_service.block(call.principal, session.id, jid, False)
    return {"result": True}


@route("POST", "/contact/getAbout/{sessionId}", scope="contacts:read", body=ContactIdBody)
def contact_about(call: Call, session_id: str) -> dict[str, Any]:
    """The person's about text, asked live (null when hidden or empty)."""
    session, jid = _person(call, session_id)
    about = call.services.contacts_service.about(call.principal, session.id, jid).about
    return {"result": about or None}


@route("POST", "/contact/getChat/{sessionId}", scope="chats:read", body=ContactIdBody)
def contact_chat(call: Call, session_id: str) -> dict[str, Any]:
    """The chat with the person (a fresh one when they never wrote)."""
    session, jid = _person(call, session_id)
    try:
        chat = call.services.chat_service.get(call.principal, session.id, jid)
    except NotFound:
        return {"result": shapes.bare_chat(jid, session)}
    return {"result": shapes.chat_json(chat, session)}


@route("POST", "/contact/getProfilePicUrl/{sessionId}", scope="contacts:read",
       body=ContactIdBody)
def contact_profile_pic_url(call: Call, session_id: str) -> dict[str, Any]:
    """The person's profile picture URL (null when none or hidden), cached 24 hours."""
    session, jid = _person(call, session_id)
    picture, _ = call.services.contacts_service.picture(call.principal, session.id, jid, False)
    return {"result": picture.url or None}


@route("POST", "/contact/getFormattedNumber/{sessionId}", scope="contacts:read",
       body=ContactIdBody)
def contact_formatted_number(call: Call, session_id: str) -> dict[str, Any]:
    """The number in international format (``+62 812-8888-8888``)."""
    _, jid = _person(call, session_id)
    return {"result": shapes.formatted_number(jid)}


@route("POST", "/contact/getCountryCode/{sessionId}", scope="contacts:read",
       body=ContactIdBody)
def contact_country_code(call: Call, session_id: str) -> dict[str, Any]:
    """The country calling code of the number (``62``)."""
    _, jid = _person(call, session_id)
    return {"result": shapes.country_code(jid)}
