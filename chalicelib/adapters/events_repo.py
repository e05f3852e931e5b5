"""The event store: every event of a tenant, oldest first, for catch-up and replay
(pk = tenant id, sk = ``EVT#<event id>``; expires after the retention)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.adapters.dynamo import TenantItems, query_page
from chalicelib.domain import ids
from chalicelib.domain.events import EVENT_ID_PREFIX, Event
from chalicelib.domain.paging import Page

KIND = "EVT"
MAX_READS = 10  # a filtered page reads at most this many pages of items before it answers


def _sk(event_id: str) -> str:
    return f"{KIND}#{event_id}"


class DynamoEventStore:
    def __init__(self, resource: Any, table_name: str, retention_days: int) -> None:
        self._items = TenantItems(resource.Table(table_name), KIND)
        self._retention_s = retention_days * 24 * 3600

    def handled(self, tenant_id: str, event_id: str) -> set[str] | None:
        item = self._items.get(tenant_id, event_id, consistent=True)
        return None if item is None else set(item.get("handled") or [])

    def save(self, event: Event, handled: set[str]) -> None:
        fields: dict[str, Any] = {
            "event": event.model_dump(mode="json"), "type": event.type.value,
            "handled": sorted(handled),
            "expires_at_epoch": int(time.time()) + self._retention_s}
        if event.session_id:
            fields["session_key"] = f"{event.tenant_id}#{event.session_id}"
        self._items.put(event.tenant_id, event.id, fields)

    def list(self, tenant_id: str, after: str | None, cursor: str | None,
             types: list[str] | None, session_id: str | None, limit: int) -> Page:
        query: dict[str, Any] = {}
        if session_id:
            session_key = f"{tenant_id}#{session_id}"
            query.update(IndexName="by_session",
                         KeyConditionExpression=Key("session_key").eq(session_key))
        else:
            query["KeyConditionExpression"] = Key("pk").eq(tenant_id) & \
                Key("sk").begins_with(f"{KIND}#")
        if after and not cursor:
            start = {"pk": tenant_id, "sk": _sk(after)}
            if session_id:
                start["session_key"] = f"{tenant_id}#{session_id}"
            query["ExclusiveStartKey"] = start
        if types:
            query["FilterExpression"] = _type_filter(types)
        items, next_cursor = query_page(self._items.table, tenant_id, limit, cursor,
                                        max_reads=MAX_READS, **query)
        return Page([Event.model_validate(i["event"]) for i in items], next_cursor)

    def window(self, tenant_id: str, since: datetime, until: datetime, cursor: str | None,
               limit: int) -> Page:
        low = _sk(EVENT_ID_PREFIX + ids.floor_id(since))
        high = _sk(EVENT_ID_PREFIX + ids.floor_id(until))
        items, next_cursor = query_page(
            self._items.table, tenant_id, limit, cursor,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").between(low, high))
        return Page([Event.model_validate(i["event"]) for i in items], next_cursor)


def _type_filter(patterns: list[str]) -> Any:
    condition = None
    for pattern in patterns:
        part = Attr("type").begins_with(pattern[:-1]) if pattern.endswith(".*") \
            else Attr("type").eq(pattern)
        condition = part if condition is None else condition | part
    return condition
