"""Runtime configuration, read from ``WAGATE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WAGATE_", extra="ignore")

    prefix: str = Field("wagate-dev", description="Prefix of every table and queue name.")
    media_bucket: str = Field("", description="S3 bucket for media (default: <prefix>-media).")
    media_max_bytes: int = Field(16 * 1024 * 1024, description="Largest media file accepted.")
    media_fetch_timeout_seconds: float = 10.0
    jwt_secret: str = Field("", description="HS256 signing key for login tokens.")
    jwt_secret_previous: str = Field(
        "", description="The key before it, still accepted (a rotation by hand: tokens it "
                        "signed keep working until they expire).")
    jwt_secret_arn: str = Field(
        "", description="Secrets Manager ARN holding the JWT key (AWSCURRENT signs, "
                        "AWSPREVIOUS is still accepted); instead of the two above.")
    token_ttl_seconds: int = 12 * 3600
    internal_secret: str = Field("", description="Shared secret of the internal host API.")
    internal_secret_previous: str = Field(
        "", description="The one before it, still accepted by the hosts.")
    internal_secret_arn: str = ""
    otp_pepper: str = Field("", description="Secret (at least 16 characters) behind OTP code "
                                            "hashes and the sealed text of messages carrying a "
                                            "code. Changing it voids pending codes unless the "
                                            "old one stays as otp_pepper_previous.")
    otp_pepper_previous: str = Field(
        "", description="The pepper before it: codes hashed and texts sealed with it still "
                        "verify and open.")
    otp_pepper_arn: str = Field("", description="Secrets Manager ARN holding the OTP pepper.")
    secrets_cache_seconds: float = Field(
        300, ge=0, le=3600, description="How long a value read from Secrets Manager is used "
                                        "before it is read again (so a rotation reaches warm "
                                        "Lambdas and hosts).")
    secrets_refresh_min_seconds: float = Field(
        5, ge=0, le=300, description="A credential that no cached value verifies makes the "
                                     "values be read again, at most once in this many seconds "
                                     "per secret (a newer process may already sign with a "
                                     "value rotated in since).")
    otp_rate_per_minute: int = Field(
        60, ge=1, le=6000, description="Verification sends per tenant per minute, unless the "
                                       "tenant's OTP settings say otherwise.")
    platform_tenant: str = Field(
        "default", description="The tenant of the platform administrators (make run's admin "
                               "is in `default`); its sessions may be shared OTP numbers.")
    default_engine: str = "sandbox"
    allow_private_webhooks: bool = Field(
        False, description=(
            "Let webhooks, media URLs and link previews reach loopback and private ranges "
            "(127/8, ::1, 10/8, 172.16/12, 192.168/16, fc00::/7): for the local stack or a "
            "private deployment. Link-local, cloud metadata and other reserved addresses stay "
            "refused."),
    )
    webhook_timeout_seconds: float = 10.0
    webhook_retry_schedule: str = Field(
        "5,300,1800,7200,18000,36000,36000",
        description="Seconds to wait before each webhook retry after the immediate first try "
                    "(the Standard Webhooks / Svix schedule: about 27 hours; ±10% jitter).",
    )
    webhook_disable_after_seconds: int = Field(
        5 * 24 * 3600, description="Disable a webhook whose every delivery failed this long.")
    webhook_secret_overlap_seconds: int = Field(
        24 * 3600, description="After a secret rotation the old secret also signs this long.")
    webhook_replay_max_events: int = Field(
        10_000, description="Most events one replay request re-delivers.")
    event_retention_days: int = Field(
        7, description="How long GET /v1/events and replays can reach back.")
    delivery_retention_days: int = Field(30, description="How long the delivery log keeps "
                                                         "an attempt.")
    push_provider: str = Field(
        "off", description="Push notifications to devices: fcm, sandbox (kept for "
                           "GET /v1/sandbox/pushes; make run and the dev stage) or off.")
    fcm_project_id: str = Field("", description="Firebase project of the FCM HTTP v1 API.")
    fcm_credentials_json: str = Field(
        "", description="The Firebase service account's JSON key (or fcm_credentials_arn).")
    fcm_credentials_arn: str = ""
    scheduler_role_arn: str = Field(
        "arn:aws:iam::000000000000:role/wagate-scheduler",
        description="Role EventBridge Scheduler assumes to put due messages on the queues.")
    schedule_dlq_arn: str = Field(
        "", description="Queue where EventBridge Scheduler puts a due message it could not "
                        "deliver after its retries (the stack sets it).")
    default_limits_json: str = Field(
        "", description='Default tenant limits as JSON, e.g. {"messages_per_day": 1000}.')
    governor_defaults_json: str = Field(
        "", description='The send governor\'s limits for every session, laid over the built-in '
                        'conservative ones (messages per minute high 60, normal 20, bulk 10; '
                        '250 new contacts a day; a 14-day warm-up), e.g. '
                        '{"new_contacts_per_day": 500}. A session\'s own limits go over these.')
    governor_sandbox_defaults_json: str = Field(
        '{"messages_per_minute": {"high": 600, "normal": 300, "bulk": 300}, '
        '"new_contacts_per_day": 10000, "warmup": {"enabled": false}}',
        description="... and over those, for sandbox sessions (no real number to protect: "
                    "no warm-up, a 300-recipient campaign goes in minutes).")
    governor_backoff_seconds: int = Field(
        300, ge=1, le=86_400, description="A throttle's first back-off after WhatsApp pushes "
                                          "back (a timelock: four times as long); it doubles "
                                          "with each repeat within a day.")
    governor_backoff_max_seconds: int = Field(
        6 * 3600, ge=1, le=7 * 86_400, description="The longest back-off.")
    governor_spike_failures: int = Field(
        5, ge=1, le=10_000, description="Failed sends in one window that may be a spike ...")
    governor_spike_ratio: float = Field(
        0.5, gt=0, le=1, description="... when they are at least this share of its sends ...")
    governor_spike_window_seconds: int = Field(
        600, ge=1, le=86_400, description="... in a window this long (it throttles marketing).")
    send_attempts: int = 5
    send_interval_ms: int = Field(
        1000, description="Default pause between two sends of one session (jittered ±20%)."
    )
    reconnect_attempts: int = 6
    lease_ttl_seconds: int = 30
    self_check_seconds: float = Field(
        60, description="How often a host checks each WORKING session through WhatsApp (a "
                        "round-trip); a session that does not answer is reconnected. 0: never.")
    self_check_timeout_seconds: float = Field(
        10, description="How long a self-check may take before the session counts as deaf.")
    sandbox_delivery_ms: int = 300
    sandbox_read_ms: int = 700
    sandbox_qr_rotate_seconds: int = 20
    sandbox_history: bool = Field(
        True, description="The sandbox offers a small history (a few chats with messages) on a "
                          "session's first pairing.")
    history_sync_days: int = Field(
        30, ge=0, le=3650, description="Import the history WhatsApp sends after pairing back "
                                       "this many days (0: none).")
    history_sync_messages_per_chat: int = Field(
        100, ge=0, le=1000, description="... and at most this many messages per chat.")
    state_dir: str = ".wagate/state"
    fast_password_hashes: bool = Field(
        False, description="Cheap Argon2 parameters: for the test suite only, never production."
    )
    enable_sandbox_api: bool = Field(
        True, description="Serve /v1/sandbox/* (play a phone); turn off in production."
    )

    @property
    def retry_delays(self) -> list[int]:
        return [int(x) for x in self.webhook_retry_schedule.split(",") if x.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
