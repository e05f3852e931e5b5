"""/v1/webhooks: subscriptions, their delivery log, redelivery, replay and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(subscription: Any) -> Any:
    from chalicelib.api.v1.schemas.webhooks import WebhookOut

    return WebhookOut.of(subscription)


def _with_secret(subscription: Any) -> Any:
    from chalicelib.api.v1.schemas.webhooks import WebhookWithSecret

    return WebhookWithSecret.of(subscription)


def _delivery(delivery: Any) -> Any:
    from chalicelib.api.v1.schemas.webhooks import DeliveryOut

    return DeliveryOut.of(delivery)


@bp.route("/webhooks", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", body="webhooks:WebhookIn",
          out="webhooks:WebhookWithSecret", status=201, idempotent=True,
          responses={409: "webhook_limit"})
def create_webhook(request: Request, principal: Principal) -> Any:
    """Subscribe a URL to events; the signing ``secret`` is shown only here."""
    body = request.body()
    return _with_secret(container().subscription_service.create(
        principal, body.url, body.events, body.session_ids, body.format, body.description,
        body.enabled))


@bp.route("/webhooks", methods=["GET"])
@endpoint(bp, scope="webhooks:read", out="webhooks:Page[WebhookOut]",
          query=("limit", "cursor"))
def list_webhooks(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's webhooks, sessions' ``webhook_url`` among them."""
    limit, cursor = request.page_args()
    return page_json(container().subscription_service.list(principal, limit, cursor), _out)


@bp.route("/webhooks/{webhook_id}", methods=["GET"])
@endpoint(bp, scope="webhooks:read", out="webhooks:WebhookOut")
def get_webhook(request: Request, principal: Principal, webhook_id: str) -> Any:
    """One webhook (without its secret)."""
    return _out(container().subscription_service.get(principal, webhook_id))


@bp.route("/webhooks/{webhook_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", body="webhooks:WebhookPatch", out="webhooks:WebhookOut")
def update_webhook(request: Request, principal: Principal, webhook_id: str) -> Any:
    """Change the URL, events, sessions, format or description; ``enabled: true`` turns a
    disabled webhook back on."""
    changes = request.body().model_dump(exclude_unset=True)
    return _out(container().subscription_service.update(principal, webhook_id, changes))


@bp.route("/webhooks/{webhook_id}", methods=["DELETE"])
@endpoint(bp, scope="webhooks:write", out="common:Deleted")
def delete_webhook(request: Request, principal: Principal, webhook_id: str) -> Any:
    """Unsubscribe; deliveries still queued for it end ``failed``."""
    container().subscription_service.delete(principal, webhook_id)
    return {"deleted": True, "id": webhook_id}


@bp.route("/webhooks/{webhook_id}/rotate-secret", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", out="webhooks:WebhookWithSecret")
def rotate_secret(request: Request, principal: Principal, webhook_id: str) -> Any:
    """A new signing secret. For 24 hours the old one signs too: ``webhook-signature`` carries
    both signatures, so receivers switch keys without missing an event."""
    return _with_secret(container().subscription_service.rotate_secret(principal, webhook_id))


@bp.route("/webhooks/{webhook_id}/test", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", out="webhooks:TestOut")
def test_webhook(request: Request, principal: Principal, webhook_id: str) -> Any:
    """Send a ``webhook.test`` event to this webhook now; the answer is the outcome."""
    from chalicelib.api.v1.schemas.webhooks import TestOut

    return TestOut.of(container().delivery_service.test(principal.tenant_id, webhook_id))


@bp.route("/webhooks/{webhook_id}/deliveries", methods=["GET"])
@endpoint(bp, scope="webhooks:read", out="webhooks:Page[DeliveryOut]",
          query=("status", "event_type", "limit", "cursor"))
def list_deliveries(request: Request, principal: Principal, webhook_id: str) -> dict[str, Any]:
    """The webhook's deliveries, newest event first, each with its latest attempts."""
    from chalicelib.domain.errors import ValidationFailed

    limit, cursor = request.page_args()
    status = request.query("status")
    if status is not None and status not in ("pending", "succeeded", "retrying", "failed"):
        raise ValidationFailed.field("status", "must be pending, succeeded, retrying or failed")
    page = container().delivery_service.deliveries(
        principal.tenant_id, webhook_id, limit, cursor, status, request.query("event_type"))
    return page_json(page, _delivery)


@bp.route("/webhooks/{webhook_id}/deliveries/{delivery_id}", methods=["GET"])
@endpoint(bp, scope="webhooks:read", out="webhooks:DeliveryOut")
def get_delivery(request: Request, principal: Principal, webhook_id: str,
                 delivery_id: str) -> Any:
    """One delivery and its attempts."""
    return _delivery(container().delivery_service.delivery(principal.tenant_id, webhook_id,
                                                           delivery_id))


@bp.route("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", out="webhooks:DeliveryOut", status=202,
          responses={409: "webhook_disabled, delivery_busy"})
def redeliver(request: Request, principal: Principal, webhook_id: str, delivery_id: str) -> Any:
    """Deliver this event again now (same ``webhook-id``), retried on the usual schedule."""
    return _delivery(container().delivery_service.redeliver(principal.tenant_id, webhook_id,
                                                            delivery_id))


@bp.route("/webhooks/{webhook_id}/replay", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="webhooks:write", body="webhooks:ReplayIn", out="webhooks:ReplayOut",
          status=202, responses={409: "webhook_disabled"})
def replay(request: Request, principal: Principal, webhook_id: str) -> Any:
    """Deliver again every event of [since, until) this webhook wants (kept 7 days), once
    per request, at most 10 a second; each shows in the delivery log with origin replay."""
    body = request.body()
    return container().delivery_service.replay(principal.tenant_id, webhook_id, body.since,
                                               body.until, body.event_types)
