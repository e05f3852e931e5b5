"""The event worker: events → webhooks; and the webhook retry queue."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import container
from chalicelib.domain.events import Event
from chalicelib.workers.batch import process_batch


def handle_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    webhooks = container().webhooks
    return process_batch(event, context, "events",
                         lambda body, _: webhooks.dispatch(Event.model_validate(body)))


def handle_retries(event: dict[str, Any], context: Any) -> dict[str, Any]:
    webhooks = container().webhooks
    return process_batch(event, context, "webhook-retries", lambda body, _: webhooks.retry(body))
