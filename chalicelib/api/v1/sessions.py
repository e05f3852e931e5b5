"""/v1/sessions: pair WhatsApp numbers and control them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
LIVE_ERRORS = {409: "session_not_ready", 503: "session_unavailable",
               504: "outcome_unknown (the host did not answer in time)"}


def _out(principal: Principal, session: Any) -> Any:
    from chalicelib.api.v1.schemas.sessions import SessionOut

    hooks = container().session_service.webhooks(principal).get(session.id, [])
    return SessionOut.of(session, hooks)


@bp.route("/sessions", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sessions:SessionIn", out="sessions:SessionCreated",
          status=201, responses={429: "quota_exceeded"})
def create_session(request: Request, principal: Principal) -> Any:
    """Create a session (a WhatsApp number to pair); it starts at once unless ``start`` is
    false. The webhook secret is shown only here."""
    from chalicelib.api.v1.schemas.sessions import SessionCreated

    body = request.body()
    session, webhook = container().session_service.create(
        principal, body.name, body.webhook_url, body.engine, body.start, body.send_interval_ms)
    return SessionCreated.with_secret(session, webhook)


@bp.route("/sessions", methods=["GET"])
@endpoint(bp, scope="sessions:read", out="sessions:Page[SessionOut]", query=("limit", "cursor"))
def list_sessions(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's sessions."""
    from chalicelib.api.v1.schemas.sessions import SessionOut

    limit, cursor = request.page_args()
    service = container().session_service
    page = service.list(principal, limit, cursor)
    hooks = service.webhooks(principal) if page.items else {}
    return page_json(page, lambda s: SessionOut.of(s, hooks.get(s.id, [])))


@bp.route("/sessions/{session_id}", methods=["GET"])
@endpoint(bp, scope="sessions:read", out="sessions:SessionOut")
def get_session(request: Request, principal: Principal, session_id: str) -> Any:
    """One session: its status, phone and the host holding it."""
    return _out(principal, container().session_service.get(principal, session_id))


@bp.route("/sessions/{session_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sessions:SessionPatch",
          out="sessions:SessionUpdated", responses={409: "webhook_limit"})
def update_session(request: Request, principal: Principal, session_id: str) -> Any:
    """Rename a session, change its send pacing (null: back to the default) or its
    ``webhook_url`` (the webhook keeps its secret; a new webhook's secret is shown here once;
    null removes it)."""
    from chalicelib.api.v1.schemas.sessions import SessionUpdated

    changes = request.body().model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    session, created = container().session_service.update(principal, session_id, changes)
    return SessionUpdated.model_validate({**_out(principal, session).model_dump(),
                                          "webhook_secret": created.secret if created else None})


@bp.route("/sessions/{session_id}/pairing-code", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sessions:PairingCodeIn",
          out="sessions:PairingCodeOut",
          responses={409: "not_scanning", 503: "session_unavailable", 504: "outcome_unknown"})
def pairing_code(request: Request, principal: Principal, session_id: str) -> Any:
    """Link by phone number instead of a QR code (while the session shows a QR)."""
    body = request.body()
    return container().session_service.pairing_code(principal, session_id, body.phone)


@bp.route("/sessions/{session_id}/check-numbers", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:read", body="sessions:CheckNumbersIn",
          out="sessions:CheckNumbersOut", responses=LIVE_ERRORS)
def check_numbers(request: Request, principal: Principal, session_id: str) -> Any:
    """Which numbers are on WhatsApp, asked live through the session."""
    body = request.body()
    return container().contacts_service.check(principal, session_id, body.phones)


@bp.route("/sessions/{session_id}", methods=["DELETE"])
@endpoint(bp, scope="sessions:write", out="common:Deleted")
def delete_session(request: Request, principal: Principal, session_id: str) -> Any:
    """Log the session out of WhatsApp and delete it."""
    container().session_service.delete(principal, session_id)
    return {"deleted": True, "id": session_id}


_CONTROL_DOCS = {
    "start": "Start a stopped session (or reconnect a failed one).",
    "stop": "Disconnect, keeping the pairing: start brings it back without a QR code.",
    "restart": "Stop, then start.",
    "logout": "Unlink the device from the phone; pairing again needs a new QR code.",
}


def _control(action: str) -> None:
    """Register ``POST /sessions/{id}/<action>``."""

    def control(request: Request, principal: Principal, session_id: str) -> Any:
        service = container().session_service
        if action == "start":
            session = service.start(principal, session_id)
        elif action == "restart":
            session = service.restart(principal, session_id)
        else:
            session = service.stop(principal, session_id, logout=action == "logout")
        return _out(principal, session)

    control.__name__ = f"{action}_session"
    control.__doc__ = _CONTROL_DOCS[action]
    view = endpoint(bp, scope="sessions:write", out="sessions:SessionOut")(control)
    bp.route(f"/sessions/{{session_id}}/{action}", methods=["POST"],
             content_types=JSON_TYPES)(view)


for _action in _CONTROL_DOCS:
    _control(_action)


@bp.route("/sessions/{session_id}/qr", methods=["GET"])
@endpoint(bp, scope="sessions:read", out="sessions:QrOut", produces=("image/png",),
          responses={409: "qr_not_available"})
def session_qr(request: Request, principal: Principal, session_id: str) -> Any:
    """The QR code to scan in WhatsApp > Linked devices (``Accept: image/png`` for a PNG).
    It rotates: ask again after ``expires_at``."""
    import io

    import segno

    qr = container().session_service.qr(principal, session_id)
    code = segno.make(qr.code, error="l")
    if "image/png" in (request.headers.get("accept") or ""):
        buffer = io.BytesIO()
        code.save(buffer, kind="png", scale=8, border=4)
        return Response(body=buffer.getvalue(), status_code=200,
                        headers={"Content-Type": "image/png", "Cache-Control": "no-store"})
    return {"qr": qr.code, "image": code.png_data_uri(scale=8, border=4),
            "expires_at": qr.expires_at}
