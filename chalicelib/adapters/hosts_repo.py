"""The fleet registry: each live session host, its internal address and its load."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.adapters.dynamo import plain
from chalicelib.domain.hosts import HostRecord

PARTITION = "HOST"


class DynamoHostRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)

    def heartbeat(self, host: HostRecord) -> None:
        self._table.put_item(Item={"pk": PARTITION, "sk": host.host_id, **host.model_dump(),
                                   "expires_at_epoch": host.alive_until_ms // 1000 + 3600})

    def get(self, host_id: str) -> HostRecord | None:
        item = self._table.get_item(Key={"pk": PARTITION, "sk": host_id}).get("Item")
        return HostRecord.model_validate(plain(item)) if item else None

    def alive(self, now_ms: int) -> list[HostRecord]:
        return [h for h in self.registered() if h.alive_until_ms > now_ms and not h.draining]

    def registered(self) -> list[HostRecord]:
        """Every record not yet past its expiry (DynamoDB deletes expired items late)."""
        response = self._table.query(KeyConditionExpression=Key("pk").eq(PARTITION),
                                     ConsistentRead=True)
        now_s = time.time()
        return [HostRecord.model_validate(plain(i)) for i in response.get("Items", [])
                if int(i.get("expires_at_epoch", now_s + 1)) > now_s]

    def remove(self, host_id: str) -> None:
        self._table.delete_item(Key={"pk": PARTITION, "sk": host_id})
