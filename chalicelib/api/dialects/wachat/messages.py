"""Send message, send media, message info."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wachat import shapes
from chalicelib.api.dialects.wachat.profile import parse, router
from chalicelib.api.dialects.wachat.schemas import (
    DEFAULT_TIMEOUT_S,
    SendMediaParams,
    SendMessageParams,
)
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import GROUP_SERVER, parse_jid
from chalicelib.domain.media import ANY_MEDIA
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

if TYPE_CHECKING:
    from chalicelib.api.dialects.wachat.schemas import SendParams
    from chalicelib.domain.messages import Message
    from chalicelib.domain.sessions import Session


def _session(call: Call, ref: str | None, field: str) -> Session:
    try:
        return call.services.session_service.find(call.principal, ref)
    except NotFound:
        raise ValidationFailed.field(field, "no such device: give its id, name or number"
                                     if ref else "is required: the tenant has no "
                                                 "WORKING device") from None


def device(call: Call, body: SendParams) -> Session:
    """The session that sends: ``queue`` (or ``sender``); both must name the same one."""
    field = "queue" if body.queue or not body.sender else "sender"
    session = _session(call, body.queue or body.sender, field)
    if body.queue and body.sender and _session(call, body.sender, "sender").id != session.id:
        raise ValidationFailed.field("sender", "is not the number of the queue's device")
    return session


def chat(body: SendParams) -> str:
    """The destination's JID: a bare group id with ``is_group``, else any phone form or JID
    (a ``+`` number or a person's JID with ``is_group`` is a 422)."""
    given = body.destination
    if body.is_group and "@" not in given and not given.startswith("+"):
        given = f"{given}@{GROUP_SERVER}"
    jid = parse_jid(given, "destination")
    if body.is_group and not jid.is_group:
        raise ValidationFailed.field("destination", "is not a group id, and is_group is true")
    return str(jid)


def _send(call: Call, body: SendParams, draft: Draft, renames: dict[str, str]) -> Message:
    draft.ttl_seconds = body.timeout or DEFAULT_TIMEOUT_S
    try:
        return call.services.messaging.send(call.principal, draft)
    except ValidationFailed as exc:
        if not renames:
            raise
        details = [{**d, "field": renames.get(d.get("field"), d.get("field"))}
                   if isinstance(d, dict) else d for d in exc.details]
        raise ValidationFailed(exc.message, details=details) from exc


@router.route("POST", "/wachat_api/1.0/message", scope="messages:send",
              body=SendMessageParams, status=201)
def send_message(call: Call) -> dict[str, Any]:
    """Send Message: a text, queued at once; follow it by ``ref_no``."""
    body = parse(call, SendMessageParams)
    session = device(call, body)
    draft = Draft(session_id=session.id, to=chat(body), type="text",
                  body={"text": body.message, "link_preview": True, "mentions": []})
    message = _send(call, body, draft, {})
    return {"sender": shapes.number(session), "queue": body.queue or session.id,
            "destination": body.destination, "message": body.message, "ref_no": message.id}


@router.route("POST", "/wachat_api/1.0/media", scope="messages:send", body=SendMediaParams,
              status=201)
def send_media(call: Call) -> dict[str, Any]:
    """Send Media: a file by URL or base64 with a caption; images and videos go as such,
    other files as documents."""
    body = parse(call, SendMediaParams)
    session = device(call, body)
    extras = {"caption": body.caption, "filename": body.file_name}
    draft = Draft(session_id=session.id, to=chat(body), type=ANY_MEDIA,
                  body={k: v for k, v in extras.items() if v is not None},
                  media=MediaSource(url=body.media_url, base64=body.media_base64,
                                    filename=body.file_name))
    given = "media_url" if body.media_url else "media_base64"
    message = _send(call, body, draft, {"media": given})
    return {"sender": shapes.number(session), "queue": body.queue or session.id,
            "destination": body.destination, "caption": body.caption,
            "media_url": body.media_url, "ref_no": message.id}


@router.route("GET", "/wachat_api/1.0/status/{message_ref_no}", scope="messages:read")
def message_info(call: Call, message_ref_no: str) -> dict[str, Any]:
    """Message Info: the status letter (U, Q, S, D, R, A) and the date of each step."""
    message = call.services.messaging.get(call.principal, message_ref_no)
    try:
        session = call.services.session_service.get(call.principal, message.session_id)
    except NotFound:  # the device was deleted since
        session = None
    media = shapes.stored_media(message)
    link = call.services.media.link(call.tenant_id, media) if media else None
    return shapes.info(message, session, link)
