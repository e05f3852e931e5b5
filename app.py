"""wagate: wiring only. Builds the Chalice app, registers the API and the event handlers."""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, SQSEvent

from chalicelib import resources
from chalicelib.api.http import chalice_errors_in_our_shape
from chalicelib.api.v1 import account, auth, health, messages, sandbox, sessions, templates
from chalicelib.workers import events, send

app = Chalice(app_name="wagate")
app.log.setLevel(logging.INFO)  # Chalice sets its "wagate" logger to ERROR; ours log under it
app.api.binary_types.extend([
    "image/jpeg", "image/webp", "video/mp4", "video/3gpp", "audio/ogg", "audio/mpeg",
    "audio/mp4", "audio/aac", "audio/amr", "application/pdf", "application/octet-stream"])

app.register_middleware(chalice_errors_in_our_shape, "http")
for blueprint in (health, auth, account, sessions, messages, templates, sandbox):
    app.register_blueprint(blueprint.bp, url_prefix="/v1")

_PREFIX = os.environ.get("WAGATE_PREFIX", "wagate-dev")


@app.on_sqs_message(queue=resources.OUTBOUND_HIGH.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND_HIGH.batch_size)
def send_worker_high(event: SQSEvent) -> dict[str, Any]:
    return send.handle(event.to_dict(), event.context, "high")


@app.on_sqs_message(queue=resources.OUTBOUND.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND.batch_size)
def send_worker(event: SQSEvent) -> dict[str, Any]:
    return send.handle(event.to_dict(), event.context, "normal")


@app.on_sqs_message(queue=resources.OUTBOUND_BULK.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND_BULK.batch_size)
def send_worker_bulk(event: SQSEvent) -> dict[str, Any]:
    return send.handle(event.to_dict(), event.context, "bulk")


@app.schedule(Rate(1, unit=Rate.MINUTES))
def reconcile(event: CloudWatchEvent) -> dict[str, Any]:
    return send.reconcile()


@app.on_sqs_message(queue=resources.EVENTS.physical_name(_PREFIX),
                    batch_size=resources.EVENTS.batch_size)
def event_worker(event: SQSEvent) -> dict[str, Any]:
    return events.handle_events(event.to_dict(), event.context)


@app.on_sqs_message(queue=resources.WEBHOOK_RETRIES.physical_name(_PREFIX),
                    batch_size=resources.WEBHOOK_RETRIES.batch_size)
def webhook_retry_worker(event: SQSEvent) -> dict[str, Any]:
    return events.handle_retries(event.to_dict(), event.context)
