"""WhatsApp sessions: states and the record."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class SessionStatus(StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR = "SCAN_QR"
    WORKING = "WORKING"
    FAILED = "FAILED"


ENGINES = ("sandbox", "neonize")

# States in which a host should be holding the session's connection.
RUNNING_STATES = frozenset({SessionStatus.STARTING, SessionStatus.SCAN_QR, SessionStatus.WORKING})


class Webhook(BaseModel):
    id: str
    url: str
    secret: str
    events: list[str] = ["*"]

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class Qr(BaseModel):
    code: str
    expires_at: str


class Session(BaseModel):
    """A WhatsApp number paired (or being paired) with the gateway."""

    id: str
    tenant_id: str
    name: str
    engine: str
    status: SessionStatus
    reason: str | None = None
    phone: str | None = None
    push_name: str | None = None
    webhooks: list[Webhook] = []
    qr: Qr | None = None
    created_at: str
    updated_at: str
    # Lease (owned by the session hosts): who runs it, until when, and the fencing token.
    owner: str | None = None
    lease_until_ms: int = 0
    fence: int = 0
    # Bumped by logout: a host ignores auth state saved under an older epoch (forces a new QR).
    auth_epoch: int = 0
    # Minimum pause between two sends of this session (jittered); None: the gateway default.
    send_interval_ms: int | None = None

    @property
    def wants_running(self) -> bool:
        return self.status in RUNNING_STATES
