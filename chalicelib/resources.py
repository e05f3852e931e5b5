"""The one declaration of every table and queue.

The local stack, the tests (under moto) and the CDK stack in ``infra/`` all build
their resources from these specs, so names, keys, indexes, TTLs and DLQs can never
drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    """A global secondary index (string keys): all attributes projected, or the keys and
    ``include`` only."""

    name: str
    pk: str
    sk: str | None = None
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    key: str  # logical name, e.g. "messages"
    pk: str = "pk"
    sk: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None

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
    # should be running, so hosts can adopt sessions whose lease has lapsed; the sparse
    # "by_failed" index holds only FAILED sessions (keys and reason), which the reconciler
    # counts each minute.
    indexes=(Index("by_run_shard", pk="run_shard", sk="run_key"),
             Index("by_failed", pk="failed_shard", include=("reason",))),
)
MESSAGES = Table(
    "messages",
    # pk tenant id; sk "MSG#<ulid>" (newest first by reversing the ULID order), plus
    # "WAID#<session>#<engine id>" pointers that map receipts back to our message.
    indexes=(
        Index("by_session", pk="session_key", sk="sk"),
        Index("by_chat", pk="chat_key", sk="sk"),
        # Sparse: only messages in "sending" carry "inflight"; the reconciler reads it.
        Index("by_inflight", pk="inflight", sk="updated_at"),
        # Sparse: a campaign's messages ("<tenant>#<campaign>") by where they count in its
        # progress (domain.campaigns.bucket), kept by every status write.
        Index("by_campaign", pk="campaign_key", sk="campaign_state",
              include=("id", "to", "status", "session_id", "error", "updated_at")),
    ),
    ttl_attribute="expires_at_epoch",
)
OTPS = Table("otps", ttl_attribute="expires_at_epoch")
WEBHOOKS = Table("webhooks")  # subscriptions: pk tenant id, sk "WH#<id>"
EVENTS = Table(
    "events",
    # The tenant's events, oldest first, kept for catch-up and replay: pk tenant id,
    # sk "EVT#<event id>" (ULIDs sort by time); "by_session" serves ?session_id=.
    indexes=(Index("by_session", pk="session_key", sk="sk"),),
    ttl_attribute="expires_at_epoch",
)
DELIVERIES = Table(
    "deliveries",
    # Webhook delivery log: pk tenant id, sk "DLV#<webhook id>#<delivery id>" (newest first).
    ttl_attribute="expires_at_epoch",
)
TEMPLATES = Table("templates")  # pk tenant id, sk "TPL#<id>"
CONTACTS = Table(
    "contacts",
    # What wagate knows of people, per tenant (pk tenant id): a session's contacts
    # (sk "CT#<session>#<jid>") and the LID <-> phone mapping, learned from every event that
    # reveals one ("LID#<lid>" and "PN#<phone>"). Contacts carry "session_key" and sort keys
    # for the sparse indexes that list a session's contacts by name and by last activity.
    indexes=(Index("by_name", pk="session_key", sk="name_key"),
             Index("by_recent", pk="session_key", sk="seen_at")),
)
CHATS = Table(
    "chats",
    # A session's chats (pk tenant id, sk "CHAT#<session>#<jid>") and labels
    # ("LABEL#<session>#<id>"); "by_activity" lists a session's chats newest first.
    indexes=(Index("by_activity", pk="session_key", sk="activity"),),
)
IDEMPOTENCY = Table(
    "idempotency",
    # pk tenant id, sk "IDEM#<key>": the first response to a POST, replayed for 24 h.
    ttl_attribute="expires_at_epoch",
)
SANDBOX_RECIPIENTS = Table(
    "sandbox-recipients",
    # Sandbox only: what each recipient's phone received from the sandbox engine, with the
    # full text (an OTP code included): pk tenant id, sk "RCPT#<digits>#<message id>".
    ttl_attribute="expires_at_epoch",
)
HOSTS = Table(
    "hosts",
    # Fleet registry (not tenant data): pk "HOST", sk host id; items expire with their heartbeat.
    ttl_attribute="expires_at_epoch",
)

BOTS = Table(
    "bots",
    # Keyword bots (pk tenant id, sk "BOT#<id>") and their match marks: per-chat cooldowns
    # ("COOL#<bot>#<chat>") and, without a cooldown, one per event ("SEEN#<bot>#<event>"),
    # each expiring with its TTL.
    ttl_attribute="expires_at_epoch",
)
CAMPAIGNS = Table(
    "campaigns",
    # Campaigns (pk tenant id, sk "CMP#<id>") and their recipients, a hundred to an item
    # (pk "<tenant>#<campaign>", sk "R#<first seq>"). "by_due" (sparse) lists the running and
    # scheduled ones by their next tick, for the watchdog.
    indexes=(Index("by_due", pk="due_shard", sk="due_at"),),
)
OPT_OUTS = Table(
    "opt-outs",
    # Numbers that asked for no marketing messages (pk tenant id, sk "OPT#<digits>") and the
    # tenant's STOP/START keyword settings ("SETTINGS#optouts").
)
ADDRESS_BOOK = Table(
    "address-book",
    # The tenant's own contacts (pk tenant id, sk "CONTACT#<id>"), the claim that makes a number
    # one contact ("PHONE#<digits>" -> contact id), and its statuses, sources and groups
    # ("STATUS#<id>", "SOURCE#<id>", "GROUP#<id>").
)

GOVERNOR = Table(
    "governor",
    # The send governor's budgets, per session (pk "<tenant>#<session>"): "STATE" (each lane's
    # token bucket, the throttle, the failure window), "LIMITS" (the session's own limits and
    # warm-up), "DAY#<yyyy-mm-dd>" (new contacts that day) and "TALKED#<digits>" (numbers
    # the session reached), each with a TTL but LIMITS.
    ttl_attribute="expires_at_epoch",
)
ALIASES = Table(
    "aliases",
    # Integer ids for the dialects whose products show integers (pk "<tenant>#<kind>"):
    # "SEQ" (the last number given), "N#<number>" -> the wagate id, "W#<wagate id>" -> the number.
)

TABLES: tuple[Table, ...] = (USERS, SESSIONS, MESSAGES, OTPS, WEBHOOKS, EVENTS, DELIVERIES,
                             TEMPLATES, CONTACTS, CHATS, IDEMPOTENCY, BOTS, OPT_OUTS, CAMPAIGNS,
                             SANDBOX_RECIPIENTS, HOSTS, ADDRESS_BOOK, GOVERNOR, ALIASES)

@dataclass(frozen=True)
class Bucket:
    key: str
    expire_days: int | None = None  # lifecycle: objects are deleted this long after upload

    def physical_name(self, prefix: str) -> str:
        """The local and test name; on AWS the stack names it and sets WAGATE_MEDIA_BUCKET."""
        return f"{prefix}-{self.key}"


MEDIA = Bucket("media", expire_days=90)  # media/<tenant>/<message id>/<file>
BUCKETS: tuple[Bucket, ...] = (MEDIA,)


@dataclass(frozen=True)
class ScheduleGroup:
    """EventBridge Scheduler group of one-time schedules (messages due > 15 min ahead)."""

    key: str

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"


MESSAGE_SCHEDULES = ScheduleGroup("messages")
CAMPAIGN_SCHEDULES = ScheduleGroup("campaigns")  # a campaign's start at its start_at
SCHEDULE_GROUPS: tuple[ScheduleGroup, ...] = (MESSAGE_SCHEDULES, CAMPAIGN_SCHEDULES)

# Three lanes, each with its own worker: high (OTPs…) never waits behind bulk (campaigns).
OUTBOUND_HIGH = Queue("outbound-high", visibility_timeout=60, max_receive_count=5, batch_size=5)
OUTBOUND = Queue("outbound", visibility_timeout=60, max_receive_count=5, batch_size=10)
OUTBOUND_BULK = Queue("outbound-bulk", visibility_timeout=120, max_receive_count=5,
                      batch_size=10)
EVENT_QUEUE = Queue("events", visibility_timeout=60, max_receive_count=5, batch_size=10)
# Every webhook delivery attempt (first tries, retries after an SQS delay, redeliveries) and
# replay pages. A batch posts one record at a time, each within the webhook timeout (10 s).
WEBHOOK_DELIVERIES = Queue("webhook-deliveries", visibility_timeout=180, max_receive_count=5,
                           batch_size=10)

# Campaign ticks: each record releases a campaign's next recipients and queues the next tick
# (an SQS delay; a schedule in CAMPAIGN_SCHEDULES for a start further ahead).
CAMPAIGN_TICKS = Queue("campaign-ticks", visibility_timeout=120, max_receive_count=5,
                       batch_size=1)

QUEUES: tuple[Queue, ...] = (OUTBOUND_HIGH, OUTBOUND, OUTBOUND_BULK, EVENT_QUEUE,
                             WEBHOOK_DELIVERIES, CAMPAIGN_TICKS)
OUTBOUND_LANES = {"high": OUTBOUND_HIGH, "normal": OUTBOUND, "bulk": OUTBOUND_BULK}
