"""wagate: wiring only. Builds the Chalice app, registers the API and the event handlers.

Importing this module must stay cheap (it is every Lambda's cold start): route modules load
only Chalice and the edge; models, services and adapters load on first use.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice import Chalice, CORSConfig, Rate
from chalice.app import CloudWatchEvent, SQSEvent

from chalicelib import observability, resources
from chalicelib.api import console, dialects, docs, fallback
from chalicelib.api.edge import REQUEST_ID_HEADER, http_middleware
from chalicelib.api.v1 import (
    account,
    address_book,
    admin,
    auth,
    bots,
    campaigns,
    channels,
    chats,
    contacts,
    devices,
    events,
    groups,
    health,
    labels,
    limits,
    messages,
    optouts,
    otp,
    profile,
    sandbox,
    sessions,
    templates,
    uploads,
    webhooks,
)

app = Chalice(app_name="wagate")
app.log.setLevel(logging.INFO)  # Chalice sets its "wagate" logger to ERROR; ours log under it
app.api.binary_types.extend([
    "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/3gpp",
    "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "application/pdf",
    "application/octet-stream"])
if os.environ.get("WAGATE_CORS_ORIGIN"):  # off unless configured: browsers may not call the API
    app.api.cors = CORSConfig(allow_origin=os.environ["WAGATE_CORS_ORIGIN"],
                              allow_headers=["Authorization", "X-API-Key", "Idempotency-Key",
                                             "Content-Type"],
                              expose_headers=[REQUEST_ID_HEADER, "Retry-After"], max_age=600)

# First, so it wraps everything: JSON log lines on Lambda; metrics flushed per invocation.
observability.configure(app)
app.register_middleware(http_middleware, "http")
for blueprint in (health, auth, account, sessions, messages, templates, webhooks, events,
                  devices, sandbox, groups, channels, contacts, profile, chats, labels, bots,
                  optouts, otp, uploads, campaigns, address_book, limits, admin):
    app.register_blueprint(blueprint.bp, url_prefix="/v1")
app.register_blueprint(docs.bp)
app.register_blueprint(console.bp)  # /console: the web console on the public API
app.register_blueprint(dialects.bp)  # /compat/<name>/{proxy+}: one resource per product
app.register_blueprint(fallback.bp)  # last: every path nothing else serves

_PREFIX = os.environ.get("WAGATE_PREFIX", "wagate-dev")


def _send(event: SQSEvent, lane: str) -> dict[str, Any]:
    from chalicelib.workers import send

    return send.handle(event.to_dict(), event.context, lane)


@app.on_sqs_message(queue=resources.OUTBOUND_HIGH.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND_HIGH.batch_size)
def send_worker_high(event: SQSEvent) -> dict[str, Any]:
    return _send(event, "high")


@app.on_sqs_message(queue=resources.OUTBOUND.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND.batch_size)
def send_worker(event: SQSEvent) -> dict[str, Any]:
    return _send(event, "normal")


@app.on_sqs_message(queue=resources.OUTBOUND_BULK.physical_name(_PREFIX),
                    batch_size=resources.OUTBOUND_BULK.batch_size)
def send_worker_bulk(event: SQSEvent) -> dict[str, Any]:
    return _send(event, "bulk")


@app.schedule(Rate(1, unit=Rate.MINUTES))
def reconcile(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.workers import campaigns, fleet, send

    return {**send.reconcile(), **campaigns.watchdog(), **fleet.watch()}


@app.on_sqs_message(queue=resources.CAMPAIGN_TICKS.physical_name(_PREFIX),
                    batch_size=resources.CAMPAIGN_TICKS.batch_size)
def campaign_tick(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.workers import campaigns

    return campaigns.handle_ticks(event.to_dict(), event.context)


@app.on_sqs_message(queue=resources.EVENT_QUEUE.physical_name(_PREFIX),
                    batch_size=resources.EVENT_QUEUE.batch_size)
def event_worker(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.workers import events

    return events.handle_events(event.to_dict(), event.context)


@app.on_sqs_message(queue=resources.WEBHOOK_DELIVERIES.physical_name(_PREFIX),
                    batch_size=resources.WEBHOOK_DELIVERIES.batch_size)
def webhook_worker(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.workers import events

    return events.handle_deliveries(event.to_dict(), event.context)


@app.lambda_function(name="dialect_edge")
def dialect_edge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The dialect hosts' API (custom domain): each product's exact paths on its own host."""
    from chalicelib.api.dialects import hosts

    routed = hosts.rewrite(event, os.environ.get("WAGATE_DIALECT_DOMAIN", ""))
    return hosts.unknown_host() if routed is None else app(routed, context)


@app.lambda_function(name="rotate_secret")
def rotate_secret(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Secrets Manager's rotation function for the JWT key, internal key and OTP pepper."""
    from chalicelib.workers import rotation

    return rotation.handle(event, context)


@app.lambda_function(name="create_admin")
def create_admin(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The operator's one-time bootstrap of the first platform administrator."""
    from chalicelib.workers import admin

    return admin.create_admin(event)
