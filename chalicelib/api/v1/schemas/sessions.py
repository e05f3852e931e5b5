"""Sessions: pairing WhatsApp numbers and controlling them."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, HttpUrl, Name, Out, text, token
from chalicelib.domain.sessions import CALL_REPLY_MAX, CallSettings, Session, health
from chalicelib.domain.webhooks import Subscription

SendInterval = Field(default=None, ge=0, le=60_000,
                     description="Least pause between two sends, in ms (jittered ±20%); "
                                 "null: the gateway default.")
Status = Literal["STOPPED", "STARTING", "SCAN_QR", "WORKING", "FAILED"]
Phone = token(32)


class CallsIn(Body):
    reject: bool = Field(default=False, description="Reject incoming calls at once.")
    reply_text: text(CALL_REPLY_MAX) | None = Field(
        default=None, description="Written to the caller of each rejected call, once.")


class CallsOut(Out):
    reject: bool
    reply_text: str | None


class SessionIn(Body):
    name: Name
    webhook_url: HttpUrl | None = None
    engine: Literal["sandbox", "neonize"] | None = None
    start: bool = True
    send_interval_ms: int | None = SendInterval


class SessionPatch(Body):
    name: Name | None = None
    send_interval_ms: int | None = SendInterval
    webhook_url: HttpUrl | None = Field(
        default=None, description="Point the session's webhook elsewhere (it keeps its secret); "
                                  "null removes it. A new one's secret is in the answer, once.")
    calls: CallsIn | None = Field(
        default=None, description="What the session does with incoming calls (replaces the "
                                  "previous setting; null: back to ringing).")
    shared_otp: bool | None = Field(
        default=None, description="Platform administrators: make this session of the platform "
                                  "tenant a shared number for reverse OTP (its inbound codes "
                                  "are matched for every tenant).")


class WebhookOut(Out):
    id: str
    url: str
    events: list[str]
    enabled: bool


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Its signing secret (whsec_…): shown once.")


class HealthOut(Out):
    """Is the session really alive? ``connected``: WORKING on a live host. The host checks
    each WORKING session through WhatsApp every minute (a round-trip); one that stays
    connected but does not answer is reconnected (``session.status`` says why)."""

    connected: bool
    last_event_at: str | None = Field(description="When WhatsApp last delivered something to "
                                                  "the session (updated at most once a "
                                                  "minute).")
    last_check_at: str | None = Field(description="The latest self-check WhatsApp answered.")
    last_check_error: str | None = Field(description="Why the latest self-check failed (null "
                                                     "once one succeeds).")


class SessionOut(Out):
    id: str
    name: str
    engine: str
    status: Status
    reason: str | None
    phone: str | None
    push_name: str | None
    send_interval_ms: int | None
    created_at: str
    updated_at: str
    webhooks: list[WebhookOut]
    host: str | None = Field(description="The session host holding its connection, if any.")
    calls: CallsOut = Field(description="What the session does with incoming calls.")
    health: HealthOut
    shared_otp: bool = Field(description="A shared number for reverse OTP.")

    @classmethod
    def of(cls, session: Session, webhooks: list[Subscription]) -> SessionOut:
        return cls.model_validate(cls._fields_of(session, webhooks, {"id", "url", "events",
                                                                     "enabled"}))

    @staticmethod
    def _fields_of(session: Session, webhooks: list[Subscription],
                   webhook_fields: set[str]) -> dict[str, object]:
        body = session.model_dump(mode="json", include={
            "id", "name", "engine", "status", "reason", "phone", "push_name",
            "send_interval_ms", "created_at", "updated_at", "shared_otp"})
        body["webhooks"] = [w.model_dump(include=webhook_fields) for w in webhooks]
        body["host"] = session.owner
        body["calls"] = (session.calls or CallSettings()).model_dump()
        body["health"] = health(session, int(time.time() * 1000)).model_dump()
        return body


class SessionUpdated(SessionOut):
    webhook_secret: str | None = Field(
        description="The secret of the webhook this change created (whsec_…), shown once; "
                    "null otherwise.")


class SessionCreated(SessionOut):
    """A session with its webhook's secret, shown this once (on create, and on the PATCH that
    gives it a webhook)."""

    webhooks: list[WebhookCreated]  # type: ignore[assignment]
    webhook_secret: str | None = Field(
        description="The signing secret of webhook_url (whsec_…): shown once.")

    @classmethod
    def with_secret(cls, session: Session, webhook: Subscription | None) -> SessionCreated:
        hooks = [webhook] if webhook else []
        body = cls._fields_of(session, hooks, {"id", "url", "events", "enabled", "secret"})
        return cls.model_validate({**body, "webhook_secret": webhook.secret if webhook
                                   else None})


class PairingCodeIn(Body):
    phone: Phone


class PairingCodeOut(Out):
    code: str = Field(description="Type it in WhatsApp > Linked devices > Link with phone "
                                  "number.")
    phone: str


class CheckNumbersIn(Body):
    phones: list[Phone] = Field(min_length=1, max_length=50)


class NumberCheck(Out):
    phone: str
    on_whatsapp: bool
    jid: str | None = Field(description="Its phone JID (…@s.whatsapp.net).")
    lid: str | None = Field(description="Its LID (…@lid), when WhatsApp told it.")
    name: str | None


class CheckNumbersOut(Out):
    results: list[NumberCheck]


class QrOut(Out):
    qr: str = Field(description="The raw QR payload.")
    image: str = Field(description="The QR code as a PNG data URI.")
    expires_at: str
