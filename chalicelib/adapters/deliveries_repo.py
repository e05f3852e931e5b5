"""The webhook delivery log (pk = tenant id, sk = ``DLV#<event id>#<webhook id>``)."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters.dynamo import query_page
from chalicelib.domain.paging import Page

RETENTION_SECONDS = 30 * 24 * 3600


class DynamoDeliveryLog:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)

    def record(self, tenant_id: str, event_id: str, webhook_id: str, **fields: Any) -> None:
        self._table.put_item(Item={
            "pk": tenant_id, "sk": f"DLV#{event_id}#{webhook_id}", "event_id": event_id,
            "webhook_id": webhook_id, "expires_at_epoch": int(time.time()) + RETENTION_SECONDS,
            **fields})

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = query_page(
            self._table, tenant_id, limit, cursor, ScanIndexForward=False,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with("DLV#"))
        return Page(items, next_cursor)
