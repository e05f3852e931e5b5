"""/v1/sandbox: play the phone of a sandbox session (scan its QR, write to it)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import JSON_TYPES, Request, endpoint
from chalicelib.api.v1.schemas import DropIn, InboundIn, LinkIn, ScanIn
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import NotFound
from chalicelib.domain.jids import normalize_phone, parse_jid

bp = Blueprint(__name__)


def _require_enabled() -> None:
    if not container().settings.enable_sandbox_api:
        raise NotFound("the sandbox API is turned off", code="sandbox_disabled")


@bp.route("/sandbox/sessions/{session_id}/scan", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def scan(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    _require_enabled()
    body = request.body(ScanIn)
    phone = normalize_phone(body.phone, "phone") if body.phone else None
    return container().session_service.sandbox(principal, session_id, "scan", {"phone": phone})


@bp.route("/sandbox/sessions/{session_id}/inbound", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def inbound(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    _require_enabled()
    body = request.body(InboundIn)
    sender = parse_jid(body.sender, "from")
    return container().session_service.sandbox(
        principal, session_id, "inbound",
        {"from": str(sender), "text": body.text, "push_name": body.push_name})


@bp.route("/sandbox/sessions/{session_id}/link", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def link(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    """The phone's owner types the pairing code from POST /v1/sessions/{id}/pairing-code."""
    _require_enabled()
    body = request.body(LinkIn)
    return container().session_service.sandbox(principal, session_id, "link",
                                                {"code": body.code})


@bp.route("/sandbox/sessions/{session_id}/drop", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write")
def drop(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    """The connection drops (the gateway reconnects), or with ``logged_out`` the phone unlinks
    the device (the session stops and must be paired again)."""
    _require_enabled()
    body = request.body(DropIn)
    return container().session_service.sandbox(principal, session_id, "drop",
                                                body.model_dump())
