"""Messages: send (text, image, video, document, poll, list, or a template), list, read one,
and the inbound sync."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.api.dialects.wacloud.devices import device
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import MessageIn
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.paging import MAX_LIMIT
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

_MEDIA_URL = {"image": "image_url", "video": "video_url", "document": "document_url"}


def draft(body: MessageIn, session_id: str) -> Draft:
    """The service's view of a WACloud send."""
    kind = body.message_type
    content: dict[str, Any] = {}
    media = None
    if kind == "text":
        if body.text is not None:
            content["text"] = body.text
    elif kind in _MEDIA_URL:
        media = MediaSource(url=getattr(body, _MEDIA_URL[kind]),
                            filename=body.filename if kind == "document" else None)
        content = {k: v for k, v in (("caption", body.caption), ("filename", body.filename))
                   if v is not None and (k == "caption" or kind == "document")}
    elif kind == "poll":
        content = {"question": body.poll_name, "options": body.poll_options}
    elif body.message is not None:  # a list
        listed = body.message
        content = {"text": listed.description, "button_text": listed.button,
                   "title": listed.title, "footer": listed.footer, "sections": [
                       {"title": section.title, "rows": [
                           {"id": row.rowId or row.id or f"{i}.{j}", "title": row.title,
                            "description": row.description}
                           for j, row in enumerate(section.rows)]}
                       for i, section in enumerate(listed.sections)]}
        content = {k: v for k, v in content.items() if v is not None}
    return Draft(session_id=session_id, to=str(parse_jid(body.to, "to")), type=kind,
                 body=content, media=media, template_id=body.template_id,
                 variables=body.variables)


@router.route("POST", "/api/v1/messages", scope="messages:send", body=MessageIn, status=201)
def send_message(call: Call) -> dict[str, Any]:
    """Send a message: ``message_type`` text, image, video, document, poll or list, or a
    template (``template_id`` with ``variables``). It is accepted at once (status
    ``pending``) and sent in the background; follow it with GET /messages/{id} or the
    ``status`` webhook."""
    body = call.body()
    session = device(call, body.device_id)
    message = call.services.messaging.send(call.principal, draft(body, session.id))
    return shapes.sent(message)


@router.route("GET", "/api/v1/messages", scope="messages:read",
              query=("device_id", "chat", "limit", "cursor"))
def list_messages(call: Call) -> Said:
    """Messages sent and received, newest first (of one device, or of one chat of it with
    ``chat``); ``meta.next_cursor`` gives the next page as ``cursor``."""
    ref = call.query("device_id")
    session_id = device(call, ref).id if ref else None
    limit = call.query_int("limit", 20, 1, MAX_LIMIT)
    page = call.services.messaging.list(call.principal, session_id, call.query("chat"),
                                        limit, call.query("cursor"))
    return Said(data=[shapes.message(m) for m in page.items],
                extra={"meta": {"next_cursor": page.next_cursor, "limit": limit}})


@router.route("GET", "/api/v1/messages/{message_id}", scope="messages:read")
def get_message(call: Call, message_id: str) -> dict[str, Any]:
    """One message and its status (pending, sent, delivered, read, played, failed, or
    received for incoming ones)."""
    return shapes.message(call.services.messaging.get(call.principal, message_id))


@router.route("POST", "/api/v1/devices/{device_id}/messages/sync", scope="messages:read")
def sync_messages(call: Call, device_id: str) -> Said:
    """Inbound sync. wagate stores every incoming message as it arrives (and the chat
    history a phone shares when it is linked), so nothing is left to fetch: the answer says
    so and shows the device's latest stored messages count (up to 100)."""
    session = device(call, device_id)
    page = call.services.messaging.list(call.principal, session.id, None, MAX_LIMIT, None)
    inbound = sum(1 for m in page.items if m.direction.value == "inbound")
    return Said("Messages are already in sync.", {
        "device_id": session.id, "synced": 0, "recent_incoming": inbound})
