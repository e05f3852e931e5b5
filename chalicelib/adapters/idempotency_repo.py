"""Idempotency records (pk tenant id, sk ``IDEM#<key>``), kept 24 h."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure, plain
from chalicelib.domain.idempotency import IdempotencyRecord

RETENTION_SECONDS = 24 * 3600


class DynamoIdempotencyStore:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)

    @staticmethod
    def _key(tenant_id: str, key: str) -> dict[str, str]:
        return {"pk": tenant_id, "sk": f"IDEM#{key}"}

    def begin(self, tenant_id: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
        """Claim the key (None), or return the record of whoever claimed it first."""
        try:
            self._table.put_item(
                Item={**self._key(tenant_id, key), "state": "in_progress",
                      "fingerprint": fingerprint,
                      "expires_at_epoch": int(time.time()) + RETENTION_SECONDS},
                ConditionExpression="attribute_not_exists(pk)")
            return None
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        item = plain(self._table.get_item(Key=self._key(tenant_id, key),
                                          ConsistentRead=True).get("Item") or {})
        if not item or item.get("expires_at_epoch", 0) < time.time():
            self.abandon(tenant_id, key)
            return self.begin(tenant_id, key, fingerprint)
        return IdempotencyRecord(state=item["state"], fingerprint=item["fingerprint"],
                                 status=item.get("status"),
                                 body=json.loads(item["body"]) if "body" in item else None)

    def complete(self, tenant_id: str, key: str, status: int, body: Any) -> None:
        self._table.update_item(
            Key=self._key(tenant_id, key),
            UpdateExpression="SET #s = :done, #status = :code, body = :body",
            ExpressionAttributeNames={"#s": "state", "#status": "status"},
            ExpressionAttributeValues={":done": "done", ":code": status,
                                       ":body": json.dumps(body)})

    def abandon(self, tenant_id: str, key: str) -> None:
        self._table.delete_item(Key=self._key(tenant_id, key))
