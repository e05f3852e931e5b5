"""The webhook delivery log (pk = tenant id, sk = ``DLV#<webhook id>#<delivery id>``, newest
first): each delivery with its event and its latest attempts; expires after the retention."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import TenantItems, is_condition_failure, query_page, storable
from chalicelib.domain.paging import Page
from chalicelib.domain.webhooks import Delivery

KIND = "DLV"
MAX_READS = 10  # a filtered page reads at most this many pages of items before it answers


class DynamoDeliveryLog:
    def __init__(self, resource: Any, table_name: str, retention_days: int) -> None:
        self._items = TenantItems(resource.Table(table_name), KIND)
        self._retention_s = retention_days * 24 * 3600

    def _item(self, delivery: Delivery) -> dict[str, Any]:
        return storable({
            **delivery.model_dump(mode="json", exclude_none=True),
            **self._items.key(delivery.tenant_id, f"{delivery.webhook_id}#{delivery.id}"),
            "event_type": delivery.event.type.value,
            "expires_at_epoch": int(time.time()) + self._retention_s})

    def get(self, tenant_id: str, webhook_id: str, delivery_id: str) -> Delivery | None:
        item = self._items.get(tenant_id, f"{webhook_id}#{delivery_id}", consistent=True)
        return Delivery.model_validate(item) if item else None

    def save(self, delivery: Delivery, expected_attempts: int) -> bool:
        try:
            self._items.table.put_item(
                Item=self._item(delivery),
                ConditionExpression="attribute_not_exists(pk) OR attempt_count = :n",
                ExpressionAttributeValues={":n": expected_attempts})
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def list(self, tenant_id: str, webhook_id: str, limit: int, cursor: str | None,
             status: str | None = None, event_type: str | None = None) -> Page:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(tenant_id)
            & Key("sk").begins_with(f"{KIND}#{webhook_id}#"),
            "ScanIndexForward": False}
        condition = None
        if status:
            condition = Attr("status").eq(status)
        if event_type:
            part = Attr("event_type").begins_with(event_type[:-1]) \
                if event_type.endswith(".*") else Attr("event_type").eq(event_type)
            condition = part if condition is None else condition & part
        if condition is not None:
            query["FilterExpression"] = condition
        items, next_cursor = query_page(self._items.table, tenant_id, limit, cursor,
                                        max_reads=MAX_READS, **query)
        return Page([Delivery.model_validate(i) for i in items], next_cursor)
