"""The webhook delivery log (pk = tenant id, sk = ``DLV#<event id>#<webhook id>``)."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.adapters.dynamo import TenantItems
from chalicelib.domain.paging import Page

RETENTION_SECONDS = 30 * 24 * 3600


class DynamoDeliveryLog:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._items = TenantItems(resource.Table(table_name), "DLV")

    def record(self, tenant_id: str, event_id: str, webhook_id: str, **fields: Any) -> None:
        self._items.put(tenant_id, f"{event_id}#{webhook_id}", {
            "event_id": event_id, "webhook_id": webhook_id,
            "expires_at_epoch": int(time.time()) + RETENTION_SECONDS, **fields})

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor, newest_first=True)
        return Page(items, next_cursor)
