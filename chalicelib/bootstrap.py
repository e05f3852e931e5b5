"""The one place where adapters are built and handed to services.

Everything is built lazily on first use and cached (each property imports its adapter only
then, so a worker loads what it uses and importing the app loads none of it), so importing
makes no AWS call and tests can ``reset()`` between moto mocks. Tests pass fakes as overrides:
``Container(settings, messages=FakeMessages(), fleet=FakeFleet())``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib import observability, resources
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.adapters.address_book_repo import DynamoAddressBookRepo
    from chalicelib.adapters.aliases_repo import DynamoAliases
    from chalicelib.adapters.bots_repo import DynamoBotRepo
    from chalicelib.adapters.campaigns_repo import DynamoCampaignRepo
    from chalicelib.adapters.contacts_repo import DynamoContactsRepo
    from chalicelib.adapters.deliveries_repo import DynamoDeliveryLog
    from chalicelib.adapters.devices_repo import DynamoDeviceRepo
    from chalicelib.adapters.events_repo import DynamoEventStore
    from chalicelib.adapters.fleet import HttpFleet
    from chalicelib.adapters.hosts_repo import DynamoHostRepo
    from chalicelib.adapters.media import S3MediaStore
    from chalicelib.adapters.messages_repo import DynamoMessageRepo
    from chalicelib.adapters.optouts_repo import DynamoOptOutRepo
    from chalicelib.adapters.otp_repo import DynamoOtpRepo
    from chalicelib.adapters.push import SandboxPushes
    from chalicelib.adapters.queues import SqsEventPublisher, SqsQueue
    from chalicelib.adapters.safe_fetch import UrlChecker
    from chalicelib.adapters.scheduler import EventBridgeScheduler
    from chalicelib.adapters.secrets import KeyringBase
    from chalicelib.adapters.sessions_repo import DynamoSessionRepo
    from chalicelib.adapters.templates_repo import DynamoTemplateRepo
    from chalicelib.adapters.uploads import S3UploadStore
    from chalicelib.adapters.users_repo import DynamoUserRepo
    from chalicelib.adapters.webhooks_repo import DynamoSubscriptionRepo
    from chalicelib.services.account import AccountService
    from chalicelib.services.address_book import AddressBookService
    from chalicelib.services.aliases import AliasService
    from chalicelib.services.auth import AuthService
    from chalicelib.services.bots import BotService
    from chalicelib.services.campaigns import CampaignGate, CampaignService
    from chalicelib.services.channels import ChannelsService, StatusService
    from chalicelib.services.chats import ChatsService
    from chalicelib.services.contacts import ContactsService
    from chalicelib.services.dead_letters import DeadLetterService
    from chalicelib.services.deliveries import DeliveryService
    from chalicelib.services.devices import DeviceService
    from chalicelib.services.events import EventService
    from chalicelib.services.fleet_watch import FleetWatch
    from chalicelib.services.governor import GovernorService
    from chalicelib.services.groups import GroupService
    from chalicelib.services.idempotency import Idempotency
    from chalicelib.services.labels import LabelsService
    from chalicelib.services.live import LiveService
    from chalicelib.services.media import MediaService
    from chalicelib.services.messaging import MessagingService
    from chalicelib.services.optouts import OptOutService
    from chalicelib.services.otp import OtpService
    from chalicelib.services.ports import (
        ChatRepo,
        Fetcher,
        GovernorStore,
        IdempotencyStore,
        KnownChats,
        Metrics,
        PasswordHasher,
        Pusher,
        RecipientInbox,
        Sealer,
        SecretVersions,
        ThrottleStore,
        WebhookSender,
    )
    from chalicelib.services.profile import ProfileService
    from chalicelib.services.sandbox import RecipientView
    from chalicelib.services.sessions import SessionService
    from chalicelib.services.subscriptions import SubscriptionService
    from chalicelib.services.templates import TemplateService
    from chalicelib.services.tenancy import TenancyService
    from chalicelib.services.uploads import UploadService


def _dynamodb() -> Any:
    from chalicelib.adapters import aws

    return aws.dynamodb()


def _client(name: str) -> Any:
    from chalicelib.adapters import aws

    return aws.client(name)


def _secret(value: str, arn: str, name: str) -> str:
    """A secret from settings, or fetched once from Secrets Manager by ARN."""
    if value:
        return value
    if arn:
        return _client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    raise RuntimeError(f"set WAGATE_{name} or WAGATE_{name}_ARN")


PEPPER_MIN_LENGTH = 16


class Container:
    def __init__(self, settings: Settings, **overrides: Any) -> None:
        """``overrides`` replace built parts by name (fakes in tests)."""
        self.settings = settings
        for name, value in overrides.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"the container has no part named {name!r}")
            self.__dict__[name] = value

    def _table(self, table: resources.Table) -> str:
        return table.physical_name(self.settings.prefix)

    def queue(self, queue: resources.Queue) -> SqsQueue:
        from chalicelib.adapters.queues import SqsQueue

        return SqsQueue(_client("sqs"), queue.physical_name(self.settings.prefix))

    # --- adapters ---

    @cached_property
    def users(self) -> DynamoUserRepo:
        from chalicelib.adapters.users_repo import DynamoUserRepo

        return DynamoUserRepo(_dynamodb(), self._table(resources.USERS))

    @cached_property
    def sessions(self) -> DynamoSessionRepo:
        from chalicelib.adapters.sessions_repo import DynamoSessionRepo

        return DynamoSessionRepo(_dynamodb(), self._table(resources.SESSIONS),
                                 self._table(resources.USERS))

    @cached_property
    def messages(self) -> DynamoMessageRepo:
        from chalicelib.adapters.messages_repo import DynamoMessageRepo

        return DynamoMessageRepo(_dynamodb(), self._table(resources.MESSAGES),
                                 self._table(resources.SESSIONS), self._table(resources.USERS))

    @cached_property
    def opt_outs(self) -> DynamoOptOutRepo:
        from chalicelib.adapters.optouts_repo import DynamoOptOutRepo

        return DynamoOptOutRepo(_dynamodb(), self._table(resources.OPT_OUTS))

    @cached_property
    def bots(self) -> DynamoBotRepo:
        from chalicelib.adapters.bots_repo import DynamoBotRepo

        return DynamoBotRepo(_dynamodb(), self._table(resources.BOTS))

    @cached_property
    def otps(self) -> DynamoOtpRepo:
        from chalicelib.adapters.otp_repo import DynamoOtpRepo

        return DynamoOtpRepo(_dynamodb(), self._table(resources.OTPS))

    @cached_property
    def hosts(self) -> DynamoHostRepo:
        from chalicelib.adapters.hosts_repo import DynamoHostRepo

        return DynamoHostRepo(_dynamodb(), self._table(resources.HOSTS))

    @cached_property
    def deliveries(self) -> DynamoDeliveryLog:
        from chalicelib.adapters.deliveries_repo import DynamoDeliveryLog

        return DynamoDeliveryLog(_dynamodb(), self._table(resources.DELIVERIES),
                                 self.settings.delivery_retention_days)

    @cached_property
    def subscriptions(self) -> DynamoSubscriptionRepo:
        from chalicelib.adapters.webhooks_repo import DynamoSubscriptionRepo

        return DynamoSubscriptionRepo(_dynamodb(), self._table(resources.WEBHOOKS))

    @cached_property
    def event_store(self) -> DynamoEventStore:
        from chalicelib.adapters.events_repo import DynamoEventStore

        return DynamoEventStore(_dynamodb(), self._table(resources.EVENTS),
                                self.settings.event_retention_days)

    @cached_property
    def lanes(self) -> dict[str, SqsQueue]:
        return {name: self.queue(queue) for name, queue in resources.OUTBOUND_LANES.items()}

    @cached_property
    def scheduler(self) -> EventBridgeScheduler:
        from chalicelib.adapters.scheduler import EventBridgeScheduler

        return EventBridgeScheduler(
            _client("scheduler"),
            resources.MESSAGE_SCHEDULES.physical_name(self.settings.prefix),
            self.settings.scheduler_role_arn, self.settings.schedule_dlq_arn)

    @cached_property
    def templates(self) -> DynamoTemplateRepo:
        from chalicelib.adapters.templates_repo import DynamoTemplateRepo

        return DynamoTemplateRepo(_dynamodb(), self._table(resources.TEMPLATES))

    @cached_property
    def media_store(self) -> S3MediaStore:
        from chalicelib.adapters.media import S3MediaStore

        bucket = self.settings.media_bucket or resources.MEDIA.physical_name(self.settings.prefix)
        return S3MediaStore(_client("s3"), bucket)

    @cached_property
    def upload_store(self) -> S3UploadStore:
        from chalicelib.adapters.uploads import S3UploadStore

        return S3UploadStore(_client("s3"), self.media_store.bucket)

    @cached_property
    def events(self) -> SqsEventPublisher:
        from chalicelib.adapters.queues import SqsEventPublisher

        return SqsEventPublisher(self.queue(resources.EVENT_QUEUE))

    @cached_property
    def webhook_queue(self) -> SqsQueue:
        """Every webhook delivery attempt and replay step."""
        return self.queue(resources.WEBHOOK_DELIVERIES)

    @cached_property
    def webhook_urls(self) -> UrlChecker:
        """The SSRF policy a webhook URL must pass when it is registered."""
        from chalicelib.adapters.safe_fetch import MAX_WEBHOOK_URL_LENGTH, UrlChecker

        allow_private = self.settings.allow_private_webhooks
        return UrlChecker(allow_private, MAX_WEBHOOK_URL_LENGTH, https_only=not allow_private)

    def _keyring(self, name: str, min_length: int = 1) -> KeyringBase:
        """The keyring of the secret ``WAGATE_<NAME>`` (with ``_PREVIOUS``), or of the one
        in Secrets Manager at ``WAGATE_<NAME>_ARN``."""
        from chalicelib.adapters import secrets

        s = self.settings
        key = name.lower()
        value, arn = getattr(s, key), getattr(s, f"{key}_arn")
        if value or not arn:
            return secrets.SettingsKeyring(f"WAGATE_{name} or WAGATE_{name}_ARN", value,
                                           getattr(s, f"{key}_previous"), min_length)
        return secrets.SecretsManagerKeyring(_client("secretsmanager"), arn,
                                             s.secrets_cache_seconds,
                                             s.secrets_refresh_min_seconds, min_length)

    @cached_property
    def jwt_keys(self) -> KeyringBase:
        """The HS256 keys of login tokens."""
        return self._keyring("JWT_SECRET")

    @cached_property
    def internal_keys(self) -> KeyringBase:
        """The keys of the internal host API (the API and workers sign, hosts verify)."""
        return self._keyring("INTERNAL_SECRET")

    @cached_property
    def pepper_keys(self) -> KeyringBase:
        """The peppers behind OTP code hashes and sealed message content."""
        return self._keyring("OTP_PEPPER", PEPPER_MIN_LENGTH)

    @cached_property
    def secret_versions(self) -> SecretVersions:
        """The secrets' versions in Secrets Manager, for the rotation function."""
        from chalicelib.adapters.secrets import SecretsManagerVersions

        return SecretsManagerVersions(_client("secretsmanager"))

    @cached_property
    def sandbox_recipients(self) -> RecipientInbox:
        """What sandbox recipients received (written by the sandbox engine on the hosts)."""
        from chalicelib.adapters.sandbox_recipients_repo import DynamoRecipientInbox

        return DynamoRecipientInbox(_dynamodb(), self._table(resources.SANDBOX_RECIPIENTS))

    @cached_property
    def recipient_view(self) -> RecipientView:
        from chalicelib.services.sandbox import RecipientView

        return RecipientView(self.sandbox_recipients)

    @cached_property
    def sealer(self) -> Sealer:
        from chalicelib.adapters.sealing import AesGcmSealer

        return AesGcmSealer(self.pepper_keys)

    @cached_property
    def fleet(self) -> HttpFleet:
        from chalicelib.adapters.fleet import HttpFleet

        return HttpFleet(self.sessions, self.hosts, self.internal_keys,
                         self.settings.send_interval_ms)

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        from chalicelib.adapters.passwords import Argon2Hasher

        return Argon2Hasher(fast=self.settings.fast_password_hashes)

    @cached_property
    def throttle(self) -> ThrottleStore:
        from chalicelib.adapters.throttle_repo import DynamoThrottleRepo

        return DynamoThrottleRepo(_dynamodb(), self._table(resources.USERS))

    @cached_property
    def idempotency_store(self) -> IdempotencyStore:
        from chalicelib.adapters.idempotency_repo import DynamoIdempotencyStore

        return DynamoIdempotencyStore(_dynamodb(), self._table(resources.IDEMPOTENCY))

    @cached_property
    def media_fetcher(self) -> Fetcher:
        from chalicelib.adapters.safe_fetch import SafeFetcher

        s = self.settings
        return SafeFetcher(s.media_fetch_timeout_seconds, s.media_max_bytes,
                           allow_private=s.allow_private_webhooks)

    @cached_property
    def webhook_sender(self) -> WebhookSender:
        from chalicelib.adapters.webhook_http import SafeWebhookSender

        return SafeWebhookSender(self.settings.webhook_timeout_seconds,
                                 allow_private=self.settings.allow_private_webhooks)

    @cached_property
    def devices(self) -> DynamoDeviceRepo:
        from chalicelib.adapters.devices_repo import DynamoDeviceRepo

        return DynamoDeviceRepo(_dynamodb(), self._table(resources.USERS))

    @cached_property
    def sandbox_pushes(self) -> SandboxPushes:
        """The sandbox's pushes (GET /v1/sandbox/pushes reads them whatever the provider)."""
        from chalicelib.adapters.push import SandboxPushes

        return SandboxPushes(_dynamodb(), self._table(resources.USERS))

    @cached_property
    def pusher(self) -> Pusher:
        s = self.settings
        if s.push_provider == "sandbox":
            return self.sandbox_pushes
        if s.push_provider == "off":
            from chalicelib.adapters.push import NoPusher

            return NoPusher()
        if s.push_provider != "fcm":
            raise RuntimeError(f"WAGATE_PUSH_PROVIDER is fcm, sandbox or off, not "
                               f"{s.push_provider!r}")
        import json

        from chalicelib.adapters.push import FcmPusher

        if not (s.fcm_credentials_json or s.fcm_credentials_arn):
            raise RuntimeError("set WAGATE_FCM_CREDENTIALS_JSON or WAGATE_FCM_CREDENTIALS_ARN")
        credentials = _secret(s.fcm_credentials_json, s.fcm_credentials_arn, "FCM_CREDENTIALS")
        return FcmPusher(json.loads(credentials), s.fcm_project_id)

    @cached_property
    def metrics(self) -> Metrics:
        """EMF records on stdout on Lambda, flushed when each invocation ends; off elsewhere."""
        from chalicelib.adapters.emf import EmfMetrics, NoMetrics

        if not observability.on_lambda():
            return NoMetrics()
        emf = EmfMetrics(self.settings.prefix)
        observability.at_invocation_end(emf.flush)
        return emf

    # --- services ---

    @cached_property
    def auth(self) -> AuthService:
        from chalicelib.services.auth import AuthService

        return AuthService(self.users, self.password_hasher, self.jwt_keys,
                           self.settings.token_ttl_seconds, self.throttle)

    @cached_property
    def dead_letters(self) -> DeadLetterService:
        from chalicelib.adapters.dead_letters import SqsDeadLetters
        from chalicelib.services.dead_letters import DeadLetterService

        return DeadLetterService(SqsDeadLetters(_client("sqs"), self.settings.prefix,
                                                resources.QUEUES))

    @cached_property
    def tenancy(self) -> TenancyService:
        from chalicelib.services.tenancy import TenancyService

        return TenancyService(self.users, self.password_hasher, self.throttle)

    @cached_property
    def account(self) -> AccountService:
        from chalicelib.services.account import AccountService

        return AccountService(self.users, self.settings.default_limits_json)

    @cached_property
    def idempotency(self) -> Idempotency:
        from chalicelib.services.idempotency import Idempotency

        return Idempotency(self.idempotency_store)

    @cached_property
    def template_service(self) -> TemplateService:
        from chalicelib.services.templates import TemplateService

        return TemplateService(self.templates)

    @cached_property
    def uploads(self) -> UploadService:
        from chalicelib.services.uploads import UploadService

        return UploadService(self.upload_store)

    @cached_property
    def address_book_repo(self) -> DynamoAddressBookRepo:
        from chalicelib.adapters.address_book_repo import DynamoAddressBookRepo

        return DynamoAddressBookRepo(_dynamodb(), self._table(resources.ADDRESS_BOOK))

    @cached_property
    def address_book(self) -> AddressBookService:
        from chalicelib.services.address_book import AddressBookService

        return AddressBookService(self.address_book_repo, self.uploads)

    @cached_property
    def media(self) -> MediaService:
        from chalicelib.adapters.media import decode_base64
        from chalicelib.services.media import MediaService

        return MediaService(self.media_fetcher, self.media_store, decode_base64,
                            self.settings.media_max_bytes)

    @cached_property
    def session_service(self) -> SessionService:
        from chalicelib.services.sessions import SessionService

        return SessionService(self.sessions, self.fleet, self.events, self.settings.default_engine,
                              self.account, self.subscription_service, self.live,
                              self.settings.platform_tenant)

    @cached_property
    def live(self) -> LiveService:
        from chalicelib.services.live import LiveService

        return LiveService(self.sessions, self.fleet)

    @cached_property
    def channel_service(self) -> ChannelsService:
        from chalicelib.services.channels import ChannelsService

        return ChannelsService(self.live, self.messaging)

    @cached_property
    def status_service(self) -> StatusService:
        from chalicelib.services.channels import StatusService

        return StatusService(self.live, self.messaging)

    @cached_property
    def contacts(self) -> DynamoContactsRepo:
        from chalicelib.adapters.contacts_repo import DynamoContactsRepo

        return DynamoContactsRepo(_dynamodb(), self._table(resources.CONTACTS))

    @cached_property
    def contacts_service(self) -> ContactsService:
        from chalicelib.services.contacts import ContactsService

        return ContactsService(self.contacts, self.live)

    @cached_property
    def profile_service(self) -> ProfileService:
        from chalicelib.services.profile import ProfileService

        return ProfileService(self.live, self.media)

    @cached_property
    def messaging(self) -> MessagingService:
        from chalicelib.services.messaging import MessagingService

        return MessagingService(self.messages, self.sessions, self.lanes,  # type: ignore[arg-type]
                                self.scheduler, self.events, self.fleet, self.media,
                                self.template_service, self.account, self.settings.send_attempts,
                                self.live, self.sealer, self.opt_outs, self.campaign_gate,
                                governor=self.governor, metrics=self.metrics)

    @cached_property
    def campaigns(self) -> DynamoCampaignRepo:
        from chalicelib.adapters.campaigns_repo import DynamoCampaignRepo

        return DynamoCampaignRepo(_dynamodb(), self._table(resources.CAMPAIGNS))

    @cached_property
    def campaign_gate(self) -> CampaignGate:
        from chalicelib.services.campaigns import CampaignGate

        return CampaignGate(self.campaigns)

    @cached_property
    def campaign_ticks(self) -> SqsQueue:
        return self.queue(resources.CAMPAIGN_TICKS)

    @cached_property
    def campaign_starts(self) -> EventBridgeScheduler:
        """One-time schedules that start campaigns at their ``start_at``."""
        from chalicelib.adapters.scheduler import EventBridgeScheduler

        return EventBridgeScheduler(
            _client("scheduler"), resources.CAMPAIGN_SCHEDULES.physical_name(self.settings.prefix),
            self.settings.scheduler_role_arn, self.settings.schedule_dlq_arn)

    @cached_property
    def campaign_service(self) -> CampaignService:
        from chalicelib.services.campaigns import CampaignService

        return CampaignService(self.campaigns, self.messages, self.messaging, self.sessions,
                               self.campaign_ticks, self.campaign_starts, self.events,
                               self.uploads, self.address_book, self.template_service.body,
                               self.governor)

    @cached_property
    def aliases(self) -> DynamoAliases:
        from chalicelib.adapters.aliases_repo import DynamoAliases

        return DynamoAliases(_dynamodb(), self._table(resources.ALIASES))

    @cached_property
    def alias_service(self) -> AliasService:
        """Integer ids for the dialects whose products show integers."""
        from chalicelib.services.aliases import AliasService

        return AliasService(self.aliases)

    @cached_property
    def governor_store(self) -> GovernorStore:
        from chalicelib.adapters.governor_repo import DynamoGovernorStore

        return DynamoGovernorStore(_dynamodb(), self._table(resources.GOVERNOR))

    @cached_property
    def known_chats(self) -> KnownChats:
        """The chats the send governor asks whether a session reached a number before."""
        return self.chat_repo

    @cached_property
    def governor(self) -> GovernorService:
        import json

        from chalicelib.domain.governor import Limits, SpikeRule
        from chalicelib.services.governor import GovernorService

        s = self.settings
        defaults = Limits().merged(json.loads(s.governor_defaults_json or "{}"))
        return GovernorService(
            self.governor_store, self.sessions, self.known_chats, self.events, defaults,
            defaults.merged(json.loads(s.governor_sandbox_defaults_json or "{}")),
            s.governor_backoff_seconds, s.governor_backoff_max_seconds,
            SpikeRule(min_failures=s.governor_spike_failures, ratio=s.governor_spike_ratio,
                      window_s=s.governor_spike_window_seconds), metrics=self.metrics)

    @cached_property
    def otp_service(self) -> OtpService:
        from chalicelib.services.otp import OtpService

        return OtpService(self.otps, self.sessions, self.messaging, self.events,
                          self.pepper_keys, self.settings.platform_tenant,
                          self.settings.otp_rate_per_minute)

    @cached_property
    def subscription_service(self) -> SubscriptionService:
        from chalicelib.services.subscriptions import SubscriptionService

        return SubscriptionService(self.subscriptions, self.sessions, self.webhook_urls,
                                   self.events, self.settings.webhook_secret_overlap_seconds)

    @cached_property
    def delivery_service(self) -> DeliveryService:
        from chalicelib.services.deliveries import DeliveryService

        s = self.settings
        return DeliveryService(self.subscriptions, self.subscription_service, self.deliveries,
                               self.webhook_queue, self.event_store, self.webhook_sender,
                               s.retry_delays, s.webhook_disable_after_seconds,
                               s.event_retention_days, s.webhook_replay_max_events, self.bots,
                               self.sessions.get, metrics=self.metrics)

    @cached_property
    def opt_out_service(self) -> OptOutService:
        from chalicelib.services.optouts import OptOutService

        return OptOutService(self.opt_outs, self.events, self.messaging)

    @cached_property
    def bot_service(self) -> BotService:
        from chalicelib.services.bots import BotService

        return BotService(self.bots, self.sessions, self.webhook_urls, self.template_service,
                          self.messaging, self.opt_out_service, self.delivery_service,
                          self.events)

    @cached_property
    def fleet_watch(self) -> FleetWatch:
        from chalicelib.services.fleet_watch import FleetWatch

        return FleetWatch(self.sessions, self.hosts, self.metrics)

    @cached_property
    def event_service(self) -> EventService:
        from chalicelib.services.events import EventService

        return EventService(self.event_store)

    @cached_property
    def device_service(self) -> DeviceService:
        from chalicelib.services.devices import DeviceService

        return DeviceService(self.devices, self.pusher, self.sandbox_pushes)

    @cached_property
    def group_service(self) -> GroupService:
        from chalicelib.services.groups import GroupService

        return GroupService(self.live, self.media)


    @cached_property
    def chat_repo(self) -> ChatRepo:
        """A session's chats and labels (the chats table)."""
        from chalicelib.adapters.chats_repo import DynamoChatRepo

        return DynamoChatRepo(_dynamodb(), self._table(resources.CHATS))

    @cached_property
    def chat_service(self) -> ChatsService:
        from chalicelib.services.chats import ChatsService

        return ChatsService(self.live, self.chat_repo, self.messages)

    @cached_property
    def label_service(self) -> LabelsService:
        from chalicelib.services.labels import LabelsService

        return LabelsService(self.live, self.chat_repo, self.events)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def reset() -> None:
    """Drop every built adapter and re-read settings (tests, new moto mocks)."""
    global _container
    from chalicelib.adapters import aws

    _container = None
    observability.at_invocation_end(None)
    get_settings.cache_clear()
    aws.reset()
