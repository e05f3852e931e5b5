"""/v1/otp: verification codes sent over WhatsApp, and reverse OTP (the user sends a code
to a shared number)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
SEND_ERRORS = {409: "session_not_ready, otp_busy",
               429: "otp_send_limit (5 a number per 10 minutes), otp_rate_limited, "
                    "quota_exceeded"}


@bp.route("/otp", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="otp:send", body="otp:OtpIn", out="otp:OtpSent", status=201,
          responses=SEND_ERRORS, idempotent=True)
def send_otp(request: Request, principal: Principal) -> Any:
    """Send a verification code over WhatsApp, on the high-priority lane, dead when the code
    is. To a number with a pending verification: a new code for it (the old one dies, the
    failure count stays)."""
    from chalicelib.api.v1.schemas.otp import OtpOut, OtpSent

    body = request.body()
    sent = container().otp_service.send(principal, body.to, body.session_id, body.length,
                                        body.ttl_seconds, body.template, body.locale)
    return OtpSent(**OtpOut.of(sent.verification).model_dump(),
                   resend_available_at=sent.resend_available_at)


@bp.route("/otp/settings", methods=["GET"])
@endpoint(bp, scope="otp:send", out="otp:SettingsOut")
def get_otp_settings(request: Request, principal: Principal) -> Any:
    """The default session, text and send rate of verification codes."""
    from chalicelib.api.v1.schemas.otp import SettingsOut

    service = container().otp_service
    settings = service.settings(principal)
    return SettingsOut.of(settings, service.rate_per_minute(settings))


@bp.route("/otp/settings", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="otp:send", body="otp:SettingsIn", out="otp:SettingsOut")
def put_otp_settings(request: Request, principal: Principal) -> Any:
    """Set the default session (and text, and send rate a minute) of verification codes."""
    from chalicelib.api.v1.schemas.otp import SettingsOut
    from chalicelib.domain.otp import OtpSettings

    service = container().otp_service
    settings = service.put_settings(principal, OtpSettings(**request.body().model_dump()))
    return SettingsOut.of(settings, service.rate_per_minute(settings))


@bp.route("/otp/verify", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="otp:verify", body="otp:VerifyIn", out="otp:VerifyOut",
          responses={409: "otp_busy"})
def verify_otp(request: Request, principal: Principal) -> Any:
    """Check a code (by the verification's id, or the number's pending one): at most 5
    wrong codes, then it is locked; an approved or expired one is never approved again."""
    from chalicelib.api.v1.schemas.otp import VerifyOut
    from chalicelib.domain import clock

    body = request.body()
    verification, valid = container().otp_service.verify(principal, body.id, body.to,
                                                         body.code)
    return VerifyOut(id=verification.id, status=verification.status_at(clock.now()).value,
                     valid=valid, attempts_left=verification.attempts_left)


@bp.route("/otp/shared-numbers", methods=["GET"])
@endpoint(bp, scope="otp:send", out="otp:SharedNumbersOut")
def shared_numbers(request: Request, principal: Principal) -> Any:
    """The shared numbers reverse-OTP codes are sent to (E.164)."""
    numbers = container().otp_service.shared_numbers()
    return {"items": sorted({s.phone for s in numbers if s.phone})}


@bp.route("/otp/reverse", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="otp:send", body="otp:ReverseIn", out="otp:ReverseCreated", status=201,
          responses={409: "no_shared_number, otp_busy", 429: "otp_rate_limited"})
def create_reverse(request: Request, principal: Principal) -> Any:
    """Start a reverse verification: the user sends the code to the shared number (from
    ``phone``, when given), which approves it. No Idempotency-Key: the answer holds the code,
    which is never stored in the clear."""
    from chalicelib.api.v1.schemas.otp import ReverseCreated, ReverseOut

    body = request.body()
    reverse = container().otp_service.create_reverse(principal, body.phone, body.ttl_seconds)
    return ReverseCreated(**ReverseOut.of(reverse.verification).model_dump(),
                          code=reverse.code, link=reverse.link)


@bp.route("/otp/reverse/{otp_id}", methods=["GET"])
@endpoint(bp, scope="otp:verify", out="otp:ReverseOut")
def get_reverse(request: Request, principal: Principal, otp_id: str) -> Any:
    """A reverse verification's status (and who sent the code, once approved); by its id, or
    by the code it gave (until the code expires)."""
    from chalicelib.api.v1.schemas.otp import ReverseOut
    from chalicelib.domain.otp import Kind, is_reverse_code

    service = container().otp_service
    if is_reverse_code(otp_id):
        return ReverseOut.of(service.reverse_by_code(principal, otp_id))
    return ReverseOut.of(service.get(principal, otp_id, Kind.REVERSE))


@bp.route("/otp/{otp_id}", methods=["GET"])
@endpoint(bp, scope="otp:verify", out="otp:OtpOut")
def get_otp(request: Request, principal: Principal, otp_id: str) -> Any:
    """A verification's status, without its code."""
    from chalicelib.api.v1.schemas.otp import OtpOut

    return OtpOut.of(container().otp_service.get(principal, otp_id))


@bp.route("/otp/{otp_id}/cancel", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="otp:send", out="otp:OtpOut", responses={409: "not_cancelable"})
def cancel_otp(request: Request, principal: Principal, otp_id: str) -> Any:
    """Cancel a pending verification: no code approves it any more."""
    from chalicelib.api.v1.schemas.otp import OtpOut

    return OtpOut.of(container().otp_service.cancel(principal, otp_id))
