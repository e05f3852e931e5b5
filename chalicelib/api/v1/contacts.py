"""/v1/sessions/{session_id}/contacts, /lids and presence subscriptions: the people a session
knows, the tenant's LID <-> phone map, and live questions about people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json
from chalicelib.api.v1.sessions import LIVE_ERRORS

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
LIVE = {**LIVE_ERRORS, 501: "not_supported (the session's engine cannot)"}
BAD_ID = {422: "validation_failed (the path's id: contact_id, lid or phone)"}
ON_PERSON = {**LIVE, **BAD_ID, 404: "not_found, not_on_whatsapp"}
BASE = "/sessions/{session_id}/contacts"


def _service() -> Any:
    return container().contacts_service


@bp.route(BASE, methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:Page[ContactOut]",
          query=("limit", "cursor", "q", "sort"))
def list_contacts(request: Request, principal: Principal, session_id: str) -> Any:
    """The session's contacts as wagate knows them (from messages, number checks and the
    engine), by name or most recent activity first; ``q`` searches names and numbers."""
    from chalicelib.api.v1.schemas.contacts import ContactOut

    limit, cursor = request.page_args()
    page = _service().list(principal, session_id, limit, cursor, request.query("sort"),
                           request.query("q"))
    return page_json(page, ContactOut.of)


@bp.route(f"{BASE}/check", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:read", body="sessions:CheckNumbersIn",
          out="sessions:CheckNumbersOut", responses=LIVE)
def check_contacts(request: Request, principal: Principal, session_id: str) -> Any:
    """Which numbers (up to 50) are on WhatsApp, with their JID and LID when known; what it
    tells is recorded onto the contacts and the LID map (as ``check-numbers`` does)."""
    return _service().check(principal, session_id, request.body().phones)


@bp.route(f"{BASE}/blocked", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:Page[BlockedContact]",
          query=("limit", "cursor"), responses=LIVE)
def blocked_contacts(request: Request, principal: Principal, session_id: str) -> Any:
    """The account's blocklist, asked live, by JID."""
    limit, cursor = request.page_args()
    return page_json(_service().blocked(principal, session_id, limit, cursor),
                     lambda jid: {"jid": jid, "phone": f"+{jid.partition('@')[0]}"
                                  if jid.endswith("@s.whatsapp.net") else None})


@bp.route(BASE + "/{contact_id}", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:ContactOut", responses=BAD_ID)
def get_contact(request: Request, principal: Principal, session_id: str,
                contact_id: str) -> Any:
    """One contact, by phone number, phone JID or LID (from wagate's store)."""
    from chalicelib.api.v1.schemas.contacts import ContactOut

    return ContactOut.of(_service().get(principal, session_id, contact_id))


@bp.route(BASE + "/{contact_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:write", body="contacts:ContactPatch", out="contacts:ContactOut")
def rename_contact(request: Request, principal: Principal, session_id: str,
                   contact_id: str) -> Any:
    """Set the contact's local first/last name (kept by wagate, never sent to the phone;
    null removes a part). A number wagate did not know becomes a contact."""
    from chalicelib.api.v1.schemas.contacts import ContactOut

    changes = request.body().model_dump(exclude_unset=True)
    return ContactOut.of(_service().rename(principal, session_id, contact_id, changes))


@bp.route(BASE + "/{contact_id}/picture", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:PictureOut", query=("refresh",),
          responses=ON_PERSON)
def contact_picture(request: Request, principal: Principal, session_id: str,
                    contact_id: str) -> Any:
    """The person's profile picture URL, cached for 24 h (``refresh=true`` asks again)."""
    from chalicelib.domain.errors import ValidationFailed

    refresh = request.query("refresh")
    if refresh not in (None, "true", "false"):
        raise ValidationFailed.field("refresh", "must be true or false")
    picture, cached = _service().picture(principal, session_id, contact_id, refresh == "true")
    return {"url": picture.url, "cached": cached}


@bp.route(BASE + "/{contact_id}/about", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:AboutOut", responses=ON_PERSON)
def contact_about(request: Request, principal: Principal, session_id: str,
                  contact_id: str) -> Any:
    """The person's about text, asked live."""
    return {"about": _service().about(principal, session_id, contact_id).about}


def _block_route(action: str) -> None:
    """Register ``POST …/contacts/{contact_id}/<action>``."""

    def block(request: Request, principal: Principal, session_id: str,
              contact_id: str) -> Any:
        _service().block(principal, session_id, contact_id, action == "block")
        return {"done": True}

    block.__name__ = f"{action}_contact"
    block.__doc__ = f"{action.capitalize()} the person on WhatsApp."
    view = endpoint(bp, scope="contacts:write", out="contacts:DoneOut",
                    responses=ON_PERSON)(block)
    bp.route(BASE + "/{contact_id}/" + action, methods=["POST"], content_types=JSON_TYPES)(view)


for _action in ("block", "unblock"):
    _block_route(_action)


@bp.route(BASE + "/{contact_id}/presence/subscribe", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:write", out="contacts:DoneOut", responses=ON_PERSON)
def subscribe_presence(request: Request, principal: Principal, session_id: str,
                       contact_id: str) -> Any:
    """Follow the person's presence: ``presence.update`` events follow when they come online
    or go offline."""
    _service().subscribe_presence(principal, session_id, contact_id)
    return {"done": True}


@bp.route("/sessions/{session_id}/lids", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:Page[LidOut]", query=("limit", "cursor"))
def list_lids(request: Request, principal: Principal, session_id: str) -> Any:
    """The LID <-> phone mappings learned so far (per tenant, whichever session learned
    them)."""
    from chalicelib.api.v1.schemas.contacts import LidOut

    limit, cursor = request.page_args()
    return page_json(_service().lids(principal, session_id, limit, cursor), LidOut.of)


@bp.route("/sessions/{session_id}/lids/{lid}", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:LidOut", responses=BAD_ID)
def get_lid(request: Request, principal: Principal, session_id: str, lid: str) -> Any:
    """The phone number behind a LID (``…@lid`` or its digits), if learned."""
    from chalicelib.api.v1.schemas.contacts import LidOut

    return LidOut.of(_service().by_lid(principal, session_id, lid))


@bp.route("/sessions/{session_id}/lids/pn/{phone}", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="contacts:LidOut", responses=BAD_ID)
def get_lid_of_phone(request: Request, principal: Principal, session_id: str,
                     phone: str) -> Any:
    """The LID of a phone number (or phone JID), if learned."""
    from chalicelib.api.v1.schemas.contacts import LidOut

    return LidOut.of(_service().by_phone(principal, session_id, phone))


@bp.route("/sandbox/sessions/{session_id}/presence", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="contacts:SandboxPresenceIn",
          out="sandbox:SandboxOut", responses={**LIVE, 404: "not_found, sandbox_disabled"})
def sandbox_presence(request: Request, principal: Principal, session_id: str) -> Any:
    """The sandbox: a person's phone comes online or goes offline; sessions subscribed to
    them get ``presence.update``."""
    from chalicelib.api.v1.sandbox import _require_enabled
    from chalicelib.domain.live.presence import PlayPresence
    from chalicelib.services.contacts import person

    _require_enabled()
    body = request.body()
    jid = person(body.contact, "contact")
    played = container().live.run(principal, session_id,
                                  PlayPresence(jid=str(jid), presence=body.presence))
    return played.model_dump(mode="json", exclude_none=True)
