"""``/ping``, the callback example, and ``/session/*``: start, status, QR code (JSON and PNG),
restart, terminate, terminate inactive, terminate all. As in the wrapper these are GETs, and
a session nobody has is answered 200 ``{"success": false, "message": "session_not_found"}``
where the wrapper answers so."""

from __future__ import annotations

import io
from typing import Any

from chalice import Response

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import shapes
from chalicelib.api.dialects.wwebjs.bodies import CallbackBody
from chalicelib.api.dialects.wwebjs.profile import (
    NOT_FOUND,
    checked_name,
    route,
    router,
    session_of,
)
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.sessions import Session, SessionStatus

FLUSHED = {"message": "Flush completed successfully"}
NO_QR = "qr code not ready or already scanned"


def _found(call: Call, session_id: str) -> Session | None:
    try:
        return session_of(call, session_id)
    except NotFound:
        return None


def _missing(with_state: bool = True) -> dict[str, Any]:
    """The wrapper's answer for a session it has not got (status 200)."""
    return {"success": False, **({"state": None} if with_state else {}), "message": NOT_FOUND}


@router.route("GET", "/ping", auth=False)
def ping(call: Call) -> dict[str, Any]:
    """Health check: ``pong``."""
    return {"message": "pong"}


@router.route("POST", "/localCallbackExample", body=CallbackBody)
def local_callback_example(call: Call) -> dict[str, Any]:
    """The wrapper's sample callback receiver: takes a callback body and says so (wagate
    keeps no log of it; its webhooks have a delivery log of their own)."""
    call.body()
    return {}


@route("GET", "/session/start/{sessionId}", scope="sessions:write")
def start_session(call: Call, session_id: str) -> dict[str, Any]:
    """Start new session: creates the tenant's session with that name if there is none, and
    starts it (then ``/session/qr`` shows the code to scan). A stopped one is started again;
    one already running is the wrapper's 422 ``Session already exists for: <name>``."""
    name = checked_name(session_id)
    service = call.services.session_service
    session = _found(call, name)
    if session is None:
        service.create(call.principal, name, None, None, start=True)
    elif session.wants_running:
        raise ValidationFailed(f"Session already exists for: {name}")
    else:
        service.start(call.principal, session.id)
    return {"message": "Session initiated successfully"}


@route("GET", "/session/status/{sessionId}", scope="sessions:read")
def session_status(call: Call, session_id: str) -> dict[str, Any]:
    """Get session status: ``state`` as whatsapp-web.js's WAState (CONNECTED, UNPAIRED while
    the QR code waits, OPENING, UNLAUNCHED when stopped, CONFLICT when failed) and
    ``session_connected`` or ``session_not_connected``."""
    session = _found(call, session_id)
    if session is None:
        return _missing()
    working = session.status == SessionStatus.WORKING
    return {"success": working, "state": shapes.state(session),
            "message": "session_connected" if working else "session_not_connected"}


def _qr(call: Call, session_id: str) -> str | dict[str, Any]:
    """The QR code's text, or the wrapper's answer when there is none."""
    session = _found(call, session_id)
    if session is None:
        return _missing(with_state=False)
    try:
        return call.services.session_service.qr(call.principal, session.id).code
    except Conflict:
        return {"success": False, "message": NO_QR}


@route("GET", "/session/qr/{sessionId}", scope="sessions:read")
def session_qr(call: Call, session_id: str) -> dict[str, Any]:
    """Get session QR code: ``qr``, the text to show as a QR code (it rotates: ask again)."""
    code = _qr(call, session_id)
    return code if isinstance(code, dict) else {"qr": code}


@route("GET", "/session/qr/{sessionId}/image", scope="sessions:read",
              produces=("image/png", "application/json"))
def session_qr_image(call: Call, session_id: str) -> Any:
    """Get session QR code as image: a PNG to scan in WhatsApp > Linked devices."""
    import segno

    code = _qr(call, session_id)
    if isinstance(code, dict):
        return code
    buffer = io.BytesIO()
    segno.make(code, error="l").save(buffer, kind="png", scale=8, border=4)
    return Response(body=buffer.getvalue(), status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": "no-store"})


@route("GET", "/session/restart/{sessionId}", scope="sessions:write")
def restart_session(call: Call, session_id: str) -> dict[str, Any]:
    """Restart session: stop, then start (a paired session reconnects without a QR code)."""
    session = _found(call, session_id)
    if session is None:
        return _missing()
    call.services.session_service.restart(call.principal, session.id)
    return {"message": "Restarted successfully"}


@route("GET", "/session/terminate/{sessionId}", scope="sessions:write")
def terminate_session(call: Call, session_id: str) -> dict[str, Any]:
    """Terminate session: log it out of WhatsApp and delete it (as the wrapper removes the
    session and its folder); ``/session/start`` makes a new one."""
    session = _found(call, session_id)
    if session is None:
        return _missing()
    call.services.session_service.delete(call.principal, session.id)
    return {"message": "Logged out successfully"}


def _flush(call: Call, only_inactive: bool) -> dict[str, Any]:
    service = call.services.session_service
    for session in service.all(call.principal):
        if not only_inactive or session.status != SessionStatus.WORKING:
            service.delete(call.principal, session.id)
    return FLUSHED


@router.route("GET", "/session/terminateInactive", scope="sessions:write")
def terminate_inactive_sessions(call: Call) -> dict[str, Any]:
    """Terminate inactive sessions: every session of the tenant that is not connected
    (WORKING) is logged out and deleted."""
    return _flush(call, only_inactive=True)


@router.route("GET", "/session/terminateAll", scope="sessions:write")
def terminate_all_sessions(call: Call) -> dict[str, Any]:
    """Terminate all sessions: every session of the tenant is logged out and deleted."""
    return _flush(call, only_inactive=False)
