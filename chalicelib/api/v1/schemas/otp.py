"""Verification codes (OTP) and reverse OTP."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Id, Out, text, token
from chalicelib.domain import clock
from chalicelib.domain.otp import (
    CODE_LENGTH_DEFAULT,
    CODE_LENGTH_MAX,
    CODE_LENGTH_MIN,
    RATE_PER_MINUTE_MAX,
    TEMPLATE_MAX,
    TTL_DEFAULT_S,
    TTL_MAX_S,
    TTL_MIN_S,
    OtpSettings,
    Verification,
)

Phone = token(32)
Template = text(TEMPLATE_MAX)
Locale = token(16)
Code = token(16)
Ttl = Field(default=TTL_DEFAULT_S, ge=TTL_MIN_S, le=TTL_MAX_S,
            description="Seconds the code is valid (and its message may still be delivered).")
Status = Field(description="pending, approved, expired, canceled or max_attempts_reached.")


class OtpIn(Body):
    to: Phone = Field(description="The number to send the code to (international format).")
    session_id: Id | None = Field(default=None, description="The session that sends it "
                                                            "(default: the OTP settings').")
    length: int = Field(default=CODE_LENGTH_DEFAULT, ge=CODE_LENGTH_MIN, le=CODE_LENGTH_MAX,
                        description="Digits in the code.")
    ttl_seconds: int = Ttl
    template: Template | None = Field(default=None, description="The text, with {{code}} and "
                                                                "optionally {{minutes}}.")
    locale: Locale | None = Field(default=None, description="The default text's language "
                                                            "(en, es, pt, fr, de, id).")


class VerifyIn(Body):
    id: Id | None = Field(default=None, description="The verification (or give `to`).")
    to: Phone | None = Field(default=None, description="The number whose pending "
                                                       "verification to check.")
    code: Code = Field(description="What the user typed.")


class SettingsIn(Body):
    session_id: Id = Field(description="The session that sends codes by default.")
    template: Template | None = Field(default=None, description="The default text, with "
                                                                "{{code}}.")
    rate_per_minute: int | None = Field(default=None, ge=1, le=RATE_PER_MINUTE_MAX,
                                        description="Sends a minute for the account (default: "
                                                    "the gateway's, 60).")


class SettingsOut(Out):
    session_id: str | None
    template: str | None
    rate_per_minute: int

    @classmethod
    def of(cls, settings: OtpSettings, rate_per_minute: int) -> SettingsOut:
        return cls(session_id=settings.session_id, template=settings.template,
                   rate_per_minute=rate_per_minute)


class OtpOut(Out):
    """A verification, never with its code."""

    id: str
    to: str
    session_id: str | None
    status: str = Status
    attempts_left: int
    sends: int = Field(description="Codes sent for it (a resend keeps the verification).")
    expires_at: str
    created_at: str
    updated_at: str
    approved_at: str | None

    @classmethod
    def of(cls, v: Verification, now: datetime | None = None) -> OtpOut:
        return cls(id=v.id, to=v.to or "", session_id=v.session_id,
                   status=v.status_at(now or clock.now()).value, attempts_left=v.attempts_left,
                   sends=v.sends, expires_at=v.expires_at, created_at=v.created_at,
                   updated_at=v.updated_at, approved_at=v.approved_at)


class OtpSent(OtpOut):
    resend_available_at: str = Field(description="When another code to this number will be "
                                                 "accepted (5 per 10 minutes).")


class VerifyOut(Out):
    id: str
    status: str = Status
    valid: bool = Field(description="The code was right and approved the verification now.")
    attempts_left: int


class ReverseIn(Body):
    phone: Phone | None = Field(default=None, description="Only this number may send the "
                                                          "code back.")
    ttl_seconds: int = Ttl


class ReverseOut(Out):
    id: str
    status: str = Status
    send_to: str = Field(description="The shared number the user sends the code to (E.164).")
    phone: str | None
    verified_phone: str | None = Field(description="Who sent the code (once approved).")
    expires_at: str
    created_at: str
    approved_at: str | None

    @classmethod
    def of(cls, v: Verification, now: datetime | None = None) -> ReverseOut:
        return cls(id=v.id, status=v.status_at(now or clock.now()).value,
                   send_to=v.send_to or "", phone=v.phone, verified_phone=v.verified_phone,
                   expires_at=v.expires_at, created_at=v.created_at, approved_at=v.approved_at)


class ReverseCreated(ReverseOut):
    code: str = Field(description="What the user sends (shown this once).")
    link: str = Field(description="https://wa.me/<number>?text=<code>: opens WhatsApp with "
                                  "the code typed.")


class SharedNumbersOut(Out):
    items: list[str] = Field(description="The shared numbers (E.164).")
