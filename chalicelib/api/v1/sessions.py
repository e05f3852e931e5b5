"""/v1/sessions: pair WhatsApp numbers and control them."""

from __future__ import annotations

import io
from typing import Any

import segno
from chalice import Blueprint, Response

from chalicelib.api.http import JSON_TYPES, Request, endpoint, json_response, page_json
from chalicelib.api.v1.schemas import (
    CheckNumbersIn,
    PairingCodeIn,
    SessionIn,
    SessionPatch,
    session_out,
)
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/sessions", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def create_session(request: Request, principal: Principal) -> Any:
    body = request.body(SessionIn)
    session = container().session_service.create(
        principal, body.name, str(body.webhook_url) if body.webhook_url else None,
        body.engine, body.start, body.send_interval_ms)
    return json_response(session_out(session, with_secrets=True), 201)


@bp.route("/sessions", methods=["GET"])
@endpoint(bp, scope="sessions:read")
def list_sessions(request: Request, principal: Principal) -> dict[str, Any]:
    limit, cursor = request.page_args()
    return page_json(container().session_service.list(principal, limit, cursor), session_out)


@bp.route("/sessions/{session_id}", methods=["GET"])
@endpoint(bp, scope="sessions:read")
def get_session(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    return session_out(container().session_service.get(principal, session_id))


@bp.route("/sessions/{session_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def update_session(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    changes = request.body(SessionPatch).model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    return session_out(container().session_service.update(principal, session_id, changes))


@bp.route("/sessions/{session_id}/pairing-code", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def pairing_code(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    body = request.body(PairingCodeIn)
    return container().session_service.pairing_code(principal, session_id, body.phone)


@bp.route("/sessions/{session_id}/check-numbers", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:read")
def check_numbers(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    body = request.body(CheckNumbersIn)
    return container().session_service.check_numbers(principal, session_id, body.phones)


@bp.route("/sessions/{session_id}", methods=["DELETE"])
@endpoint(bp, scope="sessions:write")
def delete_session(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    container().session_service.delete(principal, session_id)
    return {"deleted": True, "id": session_id}


def _control(action: str) -> None:
    """Register ``POST /sessions/{id}/<action>``."""

    def control(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
        service = container().session_service
        if action == "start":
            session = service.start(principal, session_id)
        elif action == "restart":
            session = service.restart(principal, session_id)
        else:
            session = service.stop(principal, session_id, logout=action == "logout")
        return session_out(session)

    control.__name__ = f"{action}_session"
    view = endpoint(bp, scope="sessions:write")(control)
    bp.route(f"/sessions/{{session_id}}/{action}", methods=["POST"],
             content_types=JSON_TYPES)(view)


for _action in ("start", "stop", "restart", "logout"):
    _control(_action)


@bp.route("/sessions/{session_id}/qr", methods=["GET"])
@endpoint(bp, scope="sessions:read")
def session_qr(request: Request, principal: Principal, session_id: str) -> Any:
    qr = container().session_service.qr(principal, session_id)
    code = segno.make(qr.code, error="l")
    if "image/png" in (request.headers.get("accept") or ""):
        buffer = io.BytesIO()
        code.save(buffer, kind="png", scale=8, border=4)
        return Response(body=buffer.getvalue(), status_code=200,
                        headers={"Content-Type": "image/png", "Cache-Control": "no-store"})
    return {"qr": qr.code, "image": code.png_data_uri(scale=8, border=4),
            "expires_at": qr.expires_at}
