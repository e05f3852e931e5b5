"""OTP: send a 6-digit code over WhatsApp, verify it, read its status."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud.devices import device
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import OtpIn, VerifyIn
from chalicelib.domain import clock
from chalicelib.domain.errors import BadRequest
from chalicelib.domain.otp import CODE_LENGTH_DEFAULT, OtpStatus

LOCALE = "id"  # WACloud's default text is Indonesian
_AT_PLACEHOLDER = re.compile(r"@(?=\{\{)")
# Our verification statuses in WACloud's three words.
STATUSES = {OtpStatus.PENDING: "pending", OtpStatus.APPROVED: "verified",
            OtpStatus.EXPIRED: "expired", OtpStatus.CANCELED: "expired",
            OtpStatus.MAX_ATTEMPTS_REACHED: "expired"}


@router.route("POST", "/api/v1/messages/otp", scope="otp:send", body=OtpIn)
def send_otp(call: Call) -> dict[str, Any]:
    """Send a 6-digit code, valid ``expiry_minutes`` (default 10); ``template_id``: a
    template whose content holds ``@{{code}}``. A new code to a number with a pending one
    replaces it (at most 5 sends a number per 10 minutes)."""
    body = call.body()
    services = call.services
    session_id = device(call, body.device_id).id if body.device_id else None
    text = None
    if body.template_id is not None:
        stored = services.template_service.body(call.principal, body.template_id,
                                                "template_id")
        text = _AT_PLACEHOLDER.sub("", stored)
    sent = services.otp_service.send(call.principal, body.to, session_id,
                                     CODE_LENGTH_DEFAULT, body.expiry_minutes * 60, text,
                                     LOCALE)
    return {"otp_id": sent.verification.id, "expires_at": sent.verification.expires_at,
            "expires_in_minutes": body.expiry_minutes}


@router.route("POST", "/api/v1/messages/verify-otp", scope="otp:verify", body=VerifyIn)
def verify_otp(call: Call) -> Said:
    """Check the code the user typed against the number's pending OTP (at most 5 wrong
    codes); a wrong, expired or used code is a 400."""
    body = call.body()
    verification, valid = call.services.otp_service.verify(call.principal, None,
                                                           body.phone_number, body.code)
    if not valid:
        status = STATUSES[verification.status_at(clock.now())]
        raise BadRequest("OTP expired" if status == "expired" else "Invalid OTP code",
                         code="invalid_otp",
                         details=[{"field": "code", "message": "does not match",
                                   "status": status,
                                   "attempts_left": verification.attempts_left}])
    return Said("OTP verified successfully", {"otp_id": verification.id,
                                              "status": "verified"})


@router.route("GET", "/api/v1/messages/otp/{otp_id}/status", scope="otp:verify")
def otp_status(call: Call, otp_id: str) -> dict[str, Any]:
    """An OTP's status: pending, verified or expired."""
    verification = call.services.otp_service.get(call.principal, otp_id)
    return {"otp_id": verification.id, "status": STATUSES[verification.status_at(clock.now())],
            "phone_number": (verification.to or "").lstrip("+"),
            "expires_at": verification.expires_at, "verified_at": verification.approved_at,
            "attempts_left": verification.attempts_left}
