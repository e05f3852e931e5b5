"""The one declaration of every table and queue.

The local stack, the tests (under moto) and the CDK stack in ``infra/`` all build
their resources from these specs, so names, keys, indexes, TTLs and DLQs can never
drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    """A global secondary index (string keys, all attributes projected)."""

    name: str
    pk: str
    sk: str | None = None


@dataclass(frozen=True)
class Table:
    key: str  # logical name, e.g. "messages"
    pk: str = "pk"
    sk: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    point_in_time_recovery: bool = True

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"


@dataclass(frozen=True)
class Queue:
    key: str  # logical name, e.g. "outbound"
    visibility_timeout: int = 60
    max_receive_count: int = 5
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600
    batch_size: int = 10
    attributes: dict[str, str] = field(default_factory=dict)

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"

    def dlq_physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}-dlq"


USERS = Table(
    "users",
    # Tenants, users, API keys and token revocations: pk is the tenant id.
    # Login names are global, so their claims live under the reserved "_platform" tenant.
    ttl_attribute="expires_at_epoch",
)
SESSIONS = Table(
    "sessions",
    # pk tenant id, sk "SESSION#<id>"; the sparse "run_shard" index lists the sessions a host
    # should be running, so hosts can adopt sessions whose lease has lapsed.
    indexes=(Index("by_run_shard", pk="run_shard", sk="run_key"),),
)
MESSAGES = Table(
    "messages",
    # pk tenant id; sk "MSG#<ulid>" (newest first by reversing the ULID order), plus
    # "WAID#<session>#<engine id>" pointers that map receipts back to our message.
    indexes=(
        Index("by_session", pk="session_key", sk="sk"),
        Index("by_chat", pk="chat_key", sk="sk"),
    ),
    ttl_attribute="expires_at_epoch",
)
OTPS = Table("otps", ttl_attribute="expires_at_epoch")
DELIVERIES = Table(
    "deliveries",
    # Webhook delivery log: pk tenant id, sk "DLV#<event id>#<webhook id>".
    ttl_attribute="expires_at_epoch",
    point_in_time_recovery=False,
)
HOSTS = Table(
    "hosts",
    # Fleet registry (not tenant data): pk "HOST", sk host id; items expire with their heartbeat.
    ttl_attribute="expires_at_epoch",
    point_in_time_recovery=False,
)

TABLES: tuple[Table, ...] = (USERS, SESSIONS, MESSAGES, OTPS, DELIVERIES, HOSTS)

OUTBOUND = Queue("outbound", visibility_timeout=60, max_receive_count=5, batch_size=10)
EVENTS = Queue("events", visibility_timeout=60, max_receive_count=5, batch_size=10)
WEBHOOK_RETRIES = Queue("webhook-retries", visibility_timeout=60, max_receive_count=5,
                        batch_size=10)

QUEUES: tuple[Queue, ...] = (OUTBOUND, EVENTS, WEBHOOK_RETRIES)
