"""The one place where adapters are built and handed to services.

Everything is built lazily on first use and cached, so importing the app makes no AWS call
and tests can ``reset()`` between moto mocks.
"""

from __future__ import annotations

from functools import cached_property

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.deliveries_repo import DynamoDeliveryLog
from chalicelib.adapters.fleet import HttpFleet
from chalicelib.adapters.hosts_repo import DynamoHostRepo
from chalicelib.adapters.idempotency_repo import DynamoIdempotencyStore
from chalicelib.adapters.media import S3MediaStore, decode_base64
from chalicelib.adapters.messages_repo import DynamoMessageRepo
from chalicelib.adapters.passwords import Argon2Hasher
from chalicelib.adapters.queues import SqsEventPublisher, SqsQueue
from chalicelib.adapters.safe_fetch import MAX_WEBHOOK_URL_LENGTH, SafeFetcher, UrlChecker
from chalicelib.adapters.scheduler import EventBridgeScheduler
from chalicelib.adapters.sessions_repo import DynamoSessionRepo
from chalicelib.adapters.templates_repo import DynamoTemplateRepo
from chalicelib.adapters.throttle_repo import DynamoThrottleRepo
from chalicelib.adapters.users_repo import DynamoUserRepo
from chalicelib.adapters.webhook_http import SafeWebhookSender
from chalicelib.services.account import AccountService
from chalicelib.services.auth import AuthService
from chalicelib.services.idempotency import Idempotency
from chalicelib.services.media import MediaService
from chalicelib.services.messaging import MessagingService
from chalicelib.services.sessions import SessionService
from chalicelib.services.templates import TemplateService
from chalicelib.services.webhooks import WebhookService
from chalicelib.settings import Settings, get_settings


def _secret(value: str, arn: str, name: str) -> str:
    """A secret from settings, or fetched once from Secrets Manager by ARN."""
    if value:
        return value
    if arn:
        return aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    raise RuntimeError(f"set WAGATE_{name} or WAGATE_{name}_ARN")


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _table(self, table: resources.Table) -> str:
        return table.physical_name(self.settings.prefix)

    def queue(self, queue: resources.Queue) -> SqsQueue:
        return SqsQueue(aws.client("sqs"), queue.physical_name(self.settings.prefix))

    # --- adapters ---

    @cached_property
    def users(self) -> DynamoUserRepo:
        return DynamoUserRepo(aws.dynamodb(), self._table(resources.USERS))

    @cached_property
    def sessions(self) -> DynamoSessionRepo:
        return DynamoSessionRepo(aws.dynamodb(), self._table(resources.SESSIONS),
                                 self._table(resources.USERS))

    @cached_property
    def messages(self) -> DynamoMessageRepo:
        return DynamoMessageRepo(aws.dynamodb(), self._table(resources.MESSAGES),
                                 self._table(resources.SESSIONS), self._table(resources.USERS))

    @cached_property
    def hosts(self) -> DynamoHostRepo:
        return DynamoHostRepo(aws.dynamodb(), self._table(resources.HOSTS))

    @cached_property
    def deliveries(self) -> DynamoDeliveryLog:
        return DynamoDeliveryLog(aws.dynamodb(), self._table(resources.DELIVERIES))

    @cached_property
    def lanes(self) -> dict[str, SqsQueue]:
        return {name: self.queue(queue) for name, queue in resources.OUTBOUND_LANES.items()}

    @cached_property
    def scheduler(self) -> EventBridgeScheduler:
        return EventBridgeScheduler(
            aws.client("scheduler"),
            resources.MESSAGE_SCHEDULES.physical_name(self.settings.prefix),
            self.settings.scheduler_role_arn)

    @cached_property
    def templates(self) -> DynamoTemplateRepo:
        return DynamoTemplateRepo(aws.dynamodb(), self._table(resources.TEMPLATES))

    @cached_property
    def media_store(self) -> S3MediaStore:
        bucket = self.settings.media_bucket or resources.MEDIA.physical_name(self.settings.prefix)
        return S3MediaStore(aws.client("s3"), bucket)

    @cached_property
    def events(self) -> SqsEventPublisher:
        return SqsEventPublisher(self.queue(resources.EVENTS))

    @cached_property
    def webhook_retries(self) -> SqsQueue:
        return self.queue(resources.WEBHOOK_RETRIES)

    @cached_property
    def webhook_urls(self) -> UrlChecker:
        """The SSRF policy a webhook URL must pass when it is registered."""
        return UrlChecker(self.settings.allow_private_webhooks, MAX_WEBHOOK_URL_LENGTH)

    @cached_property
    def internal_secret(self) -> str:
        return _secret(self.settings.internal_secret, self.settings.internal_secret_arn,
                       "INTERNAL_SECRET")

    @cached_property
    def fleet(self) -> HttpFleet:
        return HttpFleet(self.sessions, self.hosts, self.internal_secret,
                         self.settings.send_interval_ms)

    # --- services ---

    @cached_property
    def auth(self) -> AuthService:
        return AuthService(self.users, Argon2Hasher(fast=self.settings.fast_password_hashes),
                           _secret(self.settings.jwt_secret, self.settings.jwt_secret_arn,
                                   "JWT_SECRET"),
                           self.settings.token_ttl_seconds,
                           DynamoThrottleRepo(aws.dynamodb(), self._table(resources.USERS)))

    @cached_property
    def account(self) -> AccountService:
        return AccountService(self.users, self.settings.default_limits_json)

    @cached_property
    def idempotency(self) -> Idempotency:
        return Idempotency(DynamoIdempotencyStore(aws.dynamodb(),
                                                  self._table(resources.IDEMPOTENCY)))

    @cached_property
    def template_service(self) -> TemplateService:
        return TemplateService(self.templates)

    @cached_property
    def media(self) -> MediaService:
        s = self.settings
        fetcher = SafeFetcher(s.media_fetch_timeout_seconds, s.media_max_bytes,
                              allow_private=s.allow_private_webhooks)
        return MediaService(fetcher, self.media_store, decode_base64, s.media_max_bytes)

    @cached_property
    def session_service(self) -> SessionService:
        return SessionService(self.sessions, self.fleet, self.events, self.settings.default_engine,
                              self.account, self.webhook_urls)

    @cached_property
    def messaging(self) -> MessagingService:
        return MessagingService(self.messages, self.sessions, self.lanes,  # type: ignore[arg-type]
                                self.scheduler, self.events, self.fleet, self.media,
                                self.template_service, self.account, self.settings.send_attempts)

    @cached_property
    def webhooks(self) -> WebhookService:
        sender = SafeWebhookSender(self.settings.webhook_timeout_seconds,
                                   allow_private=self.settings.allow_private_webhooks)
        return WebhookService(self.sessions, sender, self.webhook_retries, self.deliveries,
                              self.settings.retry_delays)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def reset() -> None:
    """Drop every built adapter and re-read settings (tests, new moto mocks)."""
    global _container
    _container = None
    get_settings.cache_clear()
    aws.reset()
