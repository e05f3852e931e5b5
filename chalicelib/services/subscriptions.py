"""Webhook subscriptions: where each tenant's events go, with which secret.

A session's ``webhook_url`` is a subscription too, bound to that session (``session_webhook``):
it shows in ``GET /v1/webhooks`` and follows the session's PATCH and DELETE.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import matches, valid_pattern, webhook_disabled
from chalicelib.domain.paging import Page
from chalicelib.domain.webhooks import MAX_SUBSCRIPTIONS, Subscription, after, new_secret
from chalicelib.services.ports import EventPublisher, SessionRepo, SubscriptionRepo, UrlPolicy
from chalicelib.services.webhook_formats import carried, formats


class SubscriptionService:
    def __init__(self, subscriptions: SubscriptionRepo, sessions: SessionRepo, urls: UrlPolicy,
                 events: EventPublisher, secret_overlap_s: int) -> None:
        self._subscriptions = subscriptions
        self._sessions = sessions
        self._urls = urls
        self._events = events
        self._overlap_s = secret_overlap_s

    # --- the resource ---

    def create(self, caller: Principal, url: str, events: list[str] | None = None,
               session_ids: list[str] | None = None, format_: str = "standard",
               description: str | None = None, enabled: bool = True) -> Subscription:
        """A new subscription; its ``secret`` is in the answer, and only there."""
        fields = self._checked(caller.tenant_id, {
            "url": url, "events": events or ["*"], "session_ids": session_ids,
            "format": format_})
        return self._add(caller.tenant_id, {**fields, "description": description,
                                            "enabled": enabled})

    def get(self, caller: Principal, webhook_id: str) -> Subscription:
        subscription = self._subscriptions.get(caller.tenant_id, webhook_id)
        if subscription is None:
            raise NotFound("webhook not found")
        return subscription

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._subscriptions.list(caller.tenant_id, limit, cursor)

    def update(self, caller: Principal, webhook_id: str, changes: dict[str, Any]) -> Subscription:
        """Change url, events, session_ids, format, description or enabled. Enabling a
        disabled subscription clears why it was disabled and its failing streak."""
        if "session_ids" in changes and self.get(caller, webhook_id).session_webhook:
            raise ValidationFailed.field("session_ids", "a session's webhook_url stays bound to "
                                                        "its session")
        changes = self._checked(caller.tenant_id, changes, self.get(caller, webhook_id))
        if changes.get("enabled") is True:
            changes.update(disabled_reason=None, failing_since=None)
        return self._change(caller.tenant_id, webhook_id, changes)

    def delete(self, caller: Principal, webhook_id: str) -> None:
        if not self._subscriptions.delete(caller.tenant_id, webhook_id):
            raise NotFound("webhook not found")

    def rotate_secret(self, caller: Principal, webhook_id: str) -> Subscription:
        """A new secret; the old one keeps signing beside it for the overlap."""
        current = self.get(caller, webhook_id)
        now = clock.now()
        return self._change(caller.tenant_id, webhook_id, {
            "secret": new_secret(), "previous_secret": current.secret,
            "previous_secret_until": after(now, self._overlap_s)})

    # --- what the gateway does to a subscription ---

    def disable(self, tenant_id: str, webhook_id: str, reason: str) -> None:
        """Turn the subscription off and tell the tenant's other subscriptions."""
        subscription = self._subscriptions.update(tenant_id, webhook_id, {
            "enabled": False, "disabled_reason": reason, "updated_at": clock.now_iso()})
        if subscription is not None:
            self._events.publish(webhook_disabled(tenant_id, webhook_id, subscription.url,
                                                  reason))

    # --- a session's webhook_url ---

    def of_sessions(self, tenant_id: str) -> dict[str, list[Subscription]]:
        """Each session's own subscriptions (its ``webhook_url``), by session id."""
        bound: dict[str, list[Subscription]] = {}
        for subscription in self._subscriptions.all(tenant_id):
            if subscription.session_webhook and subscription.session_ids:
                bound.setdefault(subscription.session_ids[0], []).append(subscription)
        return bound

    def check_session_url(self, tenant_id: str, url: str, session_id: str | None = None) -> str:
        """``url`` normalized if it can become the webhook of a (new) session: a 422 on
        ``webhook_url`` or a 409 at the tenant's limit, before anything changes."""
        url = self._urls.check(url, "webhook_url")
        if session_id is None or session_id not in self.of_sessions(tenant_id):
            self._room_for_one(tenant_id)
        return url

    def set_session_url(self, tenant_id: str, session_id: str,
                        url: str | None) -> Subscription | None:
        """Point the session's webhook at a checked ``url`` (its secret stays), create it
        (with a new secret), or remove it (``None``)."""
        current = self.of_sessions(tenant_id).get(session_id, [])
        if url is None:
            for subscription in current:
                self._subscriptions.delete(tenant_id, subscription.id)
            return None
        if current:
            return self._change(tenant_id, current[0].id, {"url": url})
        return self._add(tenant_id, {"url": url, "events": ["*"], "session_ids": [session_id],
                                     "session_webhook": True})

    # --- inside ---

    def _room_for_one(self, tenant_id: str) -> None:
        if len(self._subscriptions.all(tenant_id)) >= MAX_SUBSCRIPTIONS:
            raise Conflict(f"a tenant has at most {MAX_SUBSCRIPTIONS} webhooks",
                           code="webhook_limit")

    def _add(self, tenant_id: str, fields: dict[str, Any]) -> Subscription:
        self._room_for_one(tenant_id)
        now = clock.now_iso()
        subscription = Subscription(id=f"wh_{ids.new_id()}", tenant_id=tenant_id,
                                    secret=new_secret(), created_at=now, updated_at=now,
                                    **fields)
        self._subscriptions.create(subscription)
        return subscription

    def _change(self, tenant_id: str, webhook_id: str, changes: dict[str, Any]) -> Subscription:
        subscription = self._subscriptions.update(tenant_id, webhook_id,
                                                  {**changes, "updated_at": clock.now_iso()})
        if subscription is None:
            raise NotFound("webhook not found")
        return subscription

    def _checked(self, tenant_id: str, fields: dict[str, Any],
                 current: Subscription | None = None) -> dict[str, Any]:
        """The fields with the URL normalized (and ``*`` narrowed to what a limited format
        carries); a 422 naming the first bad one."""
        checked = dict(fields)
        if "url" in fields:
            checked["url"] = self._urls.check(fields["url"], "url")
        for i, pattern in enumerate(fields.get("events") or []):
            if not valid_pattern(pattern):
                raise ValidationFailed.field(
                    f"events[{i}]", "is not an event type, a prefix like message.* or *; "
                                    "GET /v1/events/types lists them")
        for i, session_id in enumerate(fields.get("session_ids") or []):
            if self._sessions.get(tenant_id, session_id) is None:
                raise ValidationFailed.field(f"session_ids[{i}]", "is not a session of yours")
        if "format" in fields and fields["format"] not in formats():
            raise ValidationFailed.field("format",
                                         f"must be one of {', '.join(sorted(formats()))}")
        if "format" in fields or "events" in fields:
            format_ = fields.get("format") or (current.format if current else "standard")
            events = fields.get("events") or (current.events if current else ["*"])
            limited = carried(format_)
            if limited is not None:
                checked["events"] = self._within(format_, limited, events)
        return checked

    @staticmethod
    def _within(format_: str, limited: tuple[str, ...], events: list[str]) -> list[str]:
        """``events`` of a format that carries only ``limited``: ``*`` means all of those."""
        if events == ["*"]:
            return list(limited)
        for i, pattern in enumerate(events):
            if pattern not in limited and not any(matches([pattern], t) for t in limited):
                raise ValidationFailed.field(
                    f"events[{i}]", f"the {format_} format carries only "
                                    f"{', '.join(limited)}")
        return [p for p in events if p in limited] or list(limited)
