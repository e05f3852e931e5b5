"""What every CloudWA route shares: reading its parameters (query string and JSON body at
once, as Laravel's ``$request->input()``), the team in the path, the session a
``session_uuid`` names, integer ids, and our records in CloudWA's JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from chalicelib.api.dialects.cloudwa.profile import laravel_field
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.api.edge import validation_failed
from chalicelib.domain import clock
from chalicelib.domain.campaigns import Campaign
from chalicelib.domain.chats import Chat, StoredLabel
from chalicelib.domain.devices import Device
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.domain.messages import Direction, Message
from chalicelib.domain.people import Contact
from chalicelib.domain.sessions import Session
from chalicelib.services.webhook_formats.cloudwa import (
    MESSAGE_STATUSES,
    SESSION_STATUSES,
    chat_id,
)

URGENCY = {"bulk": 0, "normal": 1, "high": 2}  # urgency 0, 1, 2 → our priority lanes


# --- reading a request ---------------------------------------------------------------------


def inputs(call: Call) -> dict[str, Any]:
    """The request's parameters: the query string, with the JSON body over it (the
    document's GET endpoints send their parameters as a body, as Laravel reads them)."""
    merged: dict[str, Any] = dict(call.raw.query_params or {})
    merged.update(call.data())
    return merged


def parsed(call: Call) -> Any:
    """The parameters validated against the route's model (a 422 naming the field)."""
    assert call.route.body is not None, "this route declares no body"
    try:
        return call.route.body.model_validate(inputs(call))
    except ValidationError as exc:
        raise validation_failed(exc) from exc


@contextmanager
def fields_named(names: dict[str, str]) -> Iterator[None]:
    """Our services' field names in a 422 renamed to the document's (``to`` → ``chat_id``)."""
    try:
        yield
    except ValidationFailed as exc:
        details = []
        for detail in exc.details:
            field = str(detail.get("field", ""))
            head, dot, rest = field.partition(".")
            details.append({**detail, "field": names.get(field)
                            or (names[head] + dot + rest if head in names else field)})
        raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details)
                               or exc.message, details=details) from exc


def own_team(call: Call, team_id: str) -> None:
    """``{team_id}`` is the wagate tenant id: another tenant's is refused (403)."""
    if team_id != call.tenant_id:
        raise Forbidden("this token does not belong to that team", code="forbidden_team")


def needs(call: Call, scope: str) -> None:
    """A scope this request needs beyond its route's (403 in the product's shape)."""
    assert call.principal is not None
    if not call.principal.has(scope):
        raise Forbidden(f"this key lacks the permission {scope}", code="missing_scope")


def session_of(call: Call, ref: str) -> Session:
    """The session a ``session_uuid`` names (its id, name or number); 404 when the team has
    none."""
    return call.services.session_service.find(call.principal, ref)


def message_ref(call: Call, ref: str | int, field: str | None = None) -> str:
    """The wagate id of a message named by its integer id or its wagate id (``uuid``)."""
    text = str(ref).strip()
    if not text.isdigit():
        return text
    try:
        return call.services.alias_service.resolve(call.tenant_id, "message", text)
    except NotFound:
        if field is None:
            raise
        raise ValidationFailed.field(field, f"The selected {field} is invalid") from None


def resolve(call: Call, kind: str, number: str | int, field: str | None = None) -> str:
    """The wagate id behind a product id: the product's 404 when the tenant has none (a 422
    on ``field`` when it came in a field)."""
    try:
        return call.services.alias_service.resolve(call.tenant_id, kind, number)
    except NotFound:
        if field is None:
            raise
        raise ValidationFailed.field(field, f"The selected {laravel_field(field)} is "
                                            "invalid") from None


# --- our records as CloudWA shows them ----------------------------------------------------


def session(numbers: Numbers, item: Session, webhook_url: str | None) -> dict[str, Any]:
    return {"id": numbers.of("session", item.id), "uuid": item.id, "name": item.name,
            "status": SESSION_STATUSES[item.status.value], "phone": item.phone,
            "push_name": item.push_name, "webhook_url": webhook_url,
            "created_at": clock.laravel(item.created_at),
            "updated_at": clock.laravel(item.updated_at)}


def message(numbers: Numbers, item: Message) -> dict[str, Any]:
    content = item.content or {}
    media = content.get("media") or {}
    outbound = item.direction == Direction.OUTBOUND
    return {
        "id": numbers.of("message", item.id), "uuid": item.id, "session_uuid": item.session_id,
        "chat_id": chat_id(item.chat), "from_me": outbound,
        "sender": chat_id(item.from_ or item.sender) if not outbound else None,
        "push_name": item.push_name, "type": item.type.upper(),
        "message": item.text, "has_media": bool(media),
        "mimetype": media.get("mime_type"), "status": MESSAGE_STATUSES[item.status.value],
        "urgency": URGENCY[item.priority.value],
        "typing_duration": item.typing_ms // 1000,
        "schedule_at": clock.laravel(item.schedule_at),
        "reply_to_message_id": item.reply_to,
        "error": (item.error or {}).get("message"),
        "created_at": clock.laravel(item.created_at),
        "updated_at": clock.laravel(item.updated_at)}


def chat(item: Chat) -> dict[str, Any]:
    last = item.last_message.model_dump(mode="json") if item.last_message else None
    return {"id": chat_id(item.jid), "name": item.name, "is_group": item.jid.endswith("@g.us"),
            "unread_count": item.unread_count, "archived": item.archived,
            "pinned": item.pinned, "muted_until": item.muted_until, "labels": item.labels,
            "last_message": last, "last_activity_at": clock.laravel(item.last_activity_at)}


def label(item: StoredLabel) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "color": item.color,
            "created_at": clock.laravel(item.created_at),
            "updated_at": clock.laravel(item.updated_at)}


def contact(item: Contact) -> dict[str, Any]:
    given = " ".join(p for p in (item.first_name, item.last_name) if p) or None
    return {"id": chat_id(item.jid), "number": item.phone.lstrip("+") if item.phone else None,
            "name": given or item.push_name or item.business_name, "push_name": item.push_name,
            "business_name": item.business_name, "is_on_whatsapp": item.on_whatsapp,
            "is_blocked": bool(item.blocked), "lid": item.lid}


def device(numbers: Numbers, item: Device) -> dict[str, Any]:
    return {"id": numbers.of("device", item.id), "device_type": item.device_type.value,
            "device_token": item.device_token, "device_name": item.device_name,
            "notifiable_method": item.notifiable_method.value, "enabled": item.enabled,
            "created_at": clock.laravel(item.created_at),
            "updated_at": clock.laravel(item.updated_at)}


def campaign(numbers: Numbers, item: Campaign) -> dict[str, Any]:
    content = item.message
    media = content.get("media") or {}
    progress = item.progress
    return {
        "id": numbers.of("campaign", item.id), "uuid": item.id, "name": item.name,
        "description": item.description, "status": item.status.value.upper(),
        "reason": item.reason, "type": str(content.get("type", "text")).upper(),
        "message": content.get("text") or content.get("caption"), "has_media": bool(media),
        "mimetype": media.get("mime_type"),
        "session_uuids": item.session_ids, "starting_time": clock.laravel(item.start_at),
        "ending_time": clock.laravel(item.end_at), "typing_duration": item.typing_ms // 1000,
        "daily_limit": item.daily_limit,
        "message_interval": _interval(item.interval.min_s, item.interval.max_s),
        "add_ref": item.add_ref,
        "stats": {"total": progress.total, "pending": progress.pending + progress.queued,
                  "sent": progress.sent, "delivered": progress.delivered,
                  "read": progress.read, "failed": progress.failed + progress.opted_out,
                  "skipped": progress.skipped},
        "started_at": clock.laravel(item.started_at),
        "finished_at": clock.laravel(item.finished_at),
        "created_at": clock.laravel(item.created_at),
        "updated_at": clock.laravel(item.updated_at)}


def _interval(low: float, high: float) -> str:
    def plain(value: float) -> str:
        return str(int(value)) if value == int(value) else str(value)

    return plain(low) if low == high else f"{plain(low)}-{plain(high)}"
