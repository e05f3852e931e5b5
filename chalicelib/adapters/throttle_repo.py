"""Failed-login counters and rate windows in the users table.

Login counters are keyed by username or client address, not by tenant, so they live under the
reserved ``_platform`` tenant (sk ``THROTTLE#<key>``) beside the global login claims; rate
windows belong to a tenant (sk ``RATE#<window>``). Both carry ``expires_at_epoch``, the
table's TTL attribute, so they clean themselves up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure
from chalicelib.domain.auth import PLATFORM_TENANT, Attempts

_ATTEMPTS = "THROTTLE#"
_RATE = "RATE#"


def _key(key: str) -> dict[str, str]:
    return {"pk": PLATFORM_TENANT, "sk": f"{_ATTEMPTS}{key}"}


class DynamoThrottleRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._resource = resource
        self._name = table_name
        self._table = resource.Table(table_name)

    def attempts(self, keys: Sequence[str]) -> dict[str, Attempts]:
        unique = list(dict.fromkeys(keys))
        response = self._resource.batch_get_item(RequestItems={self._name: {
            "Keys": [_key(k) for k in unique], "ConsistentRead": True}})
        found: dict[str, Attempts] = {}
        for item in response["Responses"].get(self._name, []):
            found[item["sk"][len(_ATTEMPTS):]] = Attempts(
                failures=int(item["failures"]), locked_until=int(item["locked_until"]),
                expires_at=int(item["expires_at_epoch"]))
        return found

    def replace_attempts(self, key: str, expected: Attempts | None, new: Attempts) -> bool:
        if expected is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition = "failures = :f AND locked_until = :l AND expires_at_epoch = :e"
            values = {":f": expected.failures, ":l": expected.locked_until,
                      ":e": expected.expires_at}
        try:
            self._table.put_item(
                Item={**_key(key), "failures": new.failures, "locked_until": new.locked_until,
                      "expires_at_epoch": new.expires_at},
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def forget_attempts(self, key: str) -> None:
        self._table.delete_item(Key=_key(key))

    def take(self, tenant_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        try:
            self._table.update_item(
                Key={"pk": tenant_id, "sk": f"{_RATE}{window}"},
                UpdateExpression="ADD #n :one SET expires_at_epoch = :e",
                ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                ExpressionAttributeNames={"#n": "count"},
                ExpressionAttributeValues={":one": 1, ":e": expires_epoch, ":limit": limit})
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
