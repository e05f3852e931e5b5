"""Webhooks: subscriptions that post WACloud's payload (format ``wacloud``)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.api.dialects.wacloud.devices import device
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import WebhookIn
from chalicelib.domain.webhooks import MAX_SUBSCRIPTIONS


@router.route("POST", "/api/v1/webhooks", scope="webhooks:write", body=WebhookIn, status=201)
def create_webhook(call: Call) -> dict[str, Any]:
    """Subscribe a URL to ``message`` (incoming messages) and/or ``status`` (sent,
    delivered, read, failed) events, of one device or of all. Deliveries are signed
    (Standard Webhooks headers) with the ``secret`` shown only here."""
    body = call.body()
    sessions = [device(call, body.device_id).id] if body.device_id else None
    events = list(dict.fromkeys(shapes.EVENTS[e] for e in body.events))
    created = call.services.subscription_service.create(
        call.principal, body.url, events, sessions, "wacloud")
    return shapes.webhook(created, secret=True)


@router.route("GET", "/api/v1/webhooks", scope="webhooks:read")
def list_webhooks(call: Call) -> list[dict[str, Any]]:
    """Every webhook of the account (those of other formats too)."""
    page = call.services.subscription_service.list(call.principal, MAX_SUBSCRIPTIONS, None)
    return [shapes.webhook(s) for s in page.items]


@router.route("DELETE", "/api/v1/webhooks/{webhook_id}", scope="webhooks:write")
def delete_webhook(call: Call, webhook_id: str) -> Said:
    """Delete a webhook."""
    call.services.subscription_service.delete(call.principal, webhook_id)
    return Said("Webhook deleted successfully", {"id": webhook_id})
