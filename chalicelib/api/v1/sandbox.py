"""/v1/sandbox: play the phone of a sandbox session (scan its QR, write to it, react to, edit
or delete messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
ERRORS = {404: "not_found, sandbox_disabled", 409: "not_sandbox, and the sandbox's refusals",
          422: "too_large", 503: "session_unavailable", 504: "outcome_unknown"}


def _require_enabled() -> None:
    from chalicelib.domain.errors import NotFound

    if not container().settings.enable_sandbox_api:
        raise NotFound("the sandbox API is turned off", code="sandbox_disabled")


def _play(principal: Principal, session_id: str, op: str, **args: Any) -> Any:
    """Play the phone: the sandbox operation ``op`` (domain.live.sandbox) on the session."""
    from chalicelib.domain.live import sandbox

    played = container().live.run(principal, session_id, getattr(sandbox, op)(**args))
    return played.model_dump(mode="json", exclude_none=True)


@bp.route("/sandbox/sessions/{session_id}/scan", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sandbox:ScanIn", out="sandbox:SandboxOut",
          responses=ERRORS)
def scan(request: Request, principal: Principal, session_id: str) -> Any:
    """The phone scans the session's QR code (``phone``: which number links)."""
    from chalicelib.domain.jids import normalize_phone

    _require_enabled()
    body = request.body()
    phone = normalize_phone(body.phone, "phone") if body.phone else None
    return _play(principal, session_id, "Scan", phone=phone)


@bp.route("/sandbox/sessions/{session_id}/inbound", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="sandbox:InboundIn", out="sandbox:SandboxOut",
          responses=ERRORS)
def inbound(request: Request, principal: Principal, session_id: str) -> Any:
    """Someone writes to the session's number."""
    from chalicelib.domain.jids import parse_jid

    _require_enabled()
    body = request.body()
    sender = parse_jid(body.sender, "from")
    return _play(principal, session_id, "Inbound", sender=str(sender), text=body.text,
                 push_name=body.push_name)


# The phone changes a message of its chat: path → (change kind, body model, what it does).
_CHANGES = {
    "react": ("reaction", "sandbox:ReactIn",
              "The phone reacts to a message of its chat with the session (an empty emoji "
              "takes the reaction back): the tenant gets `message.reaction`."),
    "edit": ("edited", "sandbox:EditIn",
             "The phone edits a message it wrote to the session: the tenant gets "
             "`message.edited`, and the message shows the new text and `edited_at`."),
    "revoke": ("revoked", "sandbox:RevokeIn",
               "The phone deletes a message it wrote to the session for everyone: the tenant "
               "gets `message.revoked`, and the message shows `revoked_at`."),
}


def _change_route(action: str) -> None:
    """Register ``POST /sandbox/sessions/{id}/<action>``."""
    kind, body_model, doc = _CHANGES[action]

    def change(request: Request, principal: Principal, session_id: str) -> Any:
        from chalicelib.domain.jids import parse_jid

        _require_enabled()
        body = request.body()
        return container().messaging.sandbox_change(
            principal, session_id, body.message_id, kind, parse_jid(body.sender, "from"),
            body.change_text)

    change.__name__ = action
    change.__doc__ = doc
    view = endpoint(bp, scope="messages:send", body=body_model, out="sandbox:SandboxOut",
                    responses=ERRORS)(change)
    bp.route(f"/sandbox/sessions/{{session_id}}/{action}", methods=["POST"],
             content_types=JSON_TYPES)(view)


for _action in _CHANGES:
    _change_route(_action)


@bp.route("/sandbox/sessions/{session_id}/link", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sandbox:LinkIn", out="sandbox:SandboxOut",
          responses=ERRORS)
def link(request: Request, principal: Principal, session_id: str) -> Any:
    """The phone's owner types the pairing code from POST /v1/sessions/{id}/pairing-code."""
    _require_enabled()
    body = request.body()
    return _play(principal, session_id, "Link", code=body.code)


@bp.route("/sandbox/sessions/{session_id}/drop", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sandbox:DropIn", out="sandbox:SandboxOut",
          responses=ERRORS)
def drop(request: Request, principal: Principal, session_id: str) -> Any:
    """The connection drops (the gateway reconnects), or with ``logged_out`` the phone unlinks
    the device (the session stops and must be paired again)."""
    _require_enabled()
    return _play(principal, session_id, "Drop", **request.body().model_dump())


@bp.route("/sandbox/sessions/{session_id}/pushback", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="sandbox:PushbackIn", out="sandbox:SandboxOut",
          responses=ERRORS)
def pushback(request: Request, principal: Principal, session_id: str) -> Any:
    """WhatsApp answers the session's next ``sends`` sends with ``error`` (nothing is sent):
    the messages wait, not fail, and the send governor throttles the session's marketing
    traffic (``session.throttled``)."""
    _require_enabled()
    return _play(principal, session_id, "Pushback", **request.body().model_dump())


@bp.route("/sandbox/recipients/{phone}/messages", methods=["GET"])
@endpoint(bp, scope="messages:read", out="sandbox:Page[ReceivedOut]", query=("limit", "cursor"),
          responses={404: "sandbox_disabled", 422: "validation_failed"})
def recipient_messages(request: Request, principal: Principal, phone: str) -> dict[str, Any]:
    """What the phone ``phone`` (digits with the country code, ``+`` optional) received from
    your sandbox sessions in the last day, newest first, as the phone shows it: the full text,
    an OTP code included (the one place a code can be read back; sandbox only)."""
    from chalicelib.api.v1.schemas.sandbox import ReceivedOut

    _require_enabled()
    limit, cursor = request.page_args()
    return page_json(container().recipient_view.messages(principal, phone, limit, cursor),
                     ReceivedOut.model_validate)


@bp.route("/sandbox/pushes", methods=["GET"])
@endpoint(bp, scope="messages:read", out="sandbox:Page[PushOut]", query=("limit", "cursor"),
          responses={404: "sandbox_disabled"})
def list_pushes(request: Request, principal: Principal) -> dict[str, Any]:
    """The pushes the sandbox sent to your tenant's devices in the last day, newest first
    (what a phone would have shown: they carry message text, hence `messages:read`)."""
    from chalicelib.api.v1.schemas.sandbox import PushOut

    _require_enabled()
    limit, cursor = request.page_args()
    return page_json(container().device_service.sandbox_pushes(principal, limit, cursor),
                     PushOut.model_validate)
