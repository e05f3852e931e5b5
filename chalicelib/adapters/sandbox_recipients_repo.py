"""What sandbox recipients received (the sandbox-recipients table, sandbox only): pk tenant
id, sk ``RCPT#<digits>#<message id>``, newest first; the one store holding an OTP message's
full text, so tests and demos can read a code. Items expire after a day."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters.dynamo import query_page, storable
from chalicelib.domain.paging import Page

KEEP_SECONDS = 24 * 3600


class DynamoRecipientInbox:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)

    def record(self, tenant_id: str, phone: str, received: dict[str, Any]) -> None:
        """``received``: id (ours, else the engine's), session_id, type, text, received_at."""
        self._table.put_item(Item=storable({
            "pk": tenant_id, "sk": f"RCPT#{phone}#{received['id']}", **received,
            "expires_at_epoch": int(time.time()) + KEEP_SECONDS}))

    def list(self, tenant_id: str, phone: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = query_page(
            self._table, tenant_id, limit, cursor, ScanIndexForward=False,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with(
                f"RCPT#{phone}#"))
        fields = ("id", "session_id", "type", "text", "received_at")
        return Page([{name: item.get(name) for name in fields} for item in items], next_cursor)
