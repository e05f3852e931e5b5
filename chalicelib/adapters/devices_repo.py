"""Push devices in the users table: pk tenant id, sk ``DEV#<user id>#<device id>``.

The user id in the sort key makes one user's devices one key range (a bounded query, no
filter over the tenant's), and makes every read and delete of "my device" unable to reach
another user's. Each user's device count (``DEVCOUNT#<user id>``) changes in the same
transaction as the device, so the limit holds under concurrent registrations.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import TenantItems, is_condition_failure, storable
from chalicelib.domain import clock
from chalicelib.domain.devices import Device
from chalicelib.domain.paging import Page

KIND = "DEV"


def _counter(tenant_id: str, user_id: str) -> dict[str, str]:
    return {"pk": tenant_id, "sk": f"DEVCOUNT#{user_id}"}


class DynamoDeviceRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._name = table_name
        self._table = resource.Table(table_name)
        self._client = resource.meta.client
        self._all = TenantItems(self._table, KIND)

    def _mine(self, user_id: str) -> TenantItems:
        """The items of one user's devices (sk ``DEV#<user id>#<device id>``)."""
        return TenantItems(self._table, f"{KIND}#{user_id}")

    def _item(self, device: Device) -> dict[str, Any]:
        key = self._mine(device.user_id).key(device.tenant_id, device.id)
        return storable({**device.model_dump(mode="json", exclude_none=True), **key})

    def get(self, tenant_id: str, user_id: str, device_id: str) -> Device | None:
        item = self._mine(user_id).get(tenant_id, device_id, consistent=True)
        return Device.model_validate(item) if item else None

    def create(self, device: Device, limit: int, over_limit: Exception) -> bool:
        try:
            self._client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._name, "Item": self._item(device),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self._name,
                            "Key": _counter(device.tenant_id, device.user_id),
                            "UpdateExpression": "ADD #n :one",
                            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": {":one": 1, ":limit": limit}}},
            ])
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise over_limit from exc
        return True

    def replace(self, device: Device) -> bool:
        try:
            self._table.put_item(Item=self._item(device),
                                 ConditionExpression="attribute_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def list(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._mine(user_id).page(tenant_id, limit, cursor)
        return Page([Device.model_validate(i) for i in items], next_cursor)

    def enabled(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._all.page(tenant_id, limit, cursor,
                                            FilterExpression=Attr("enabled").eq(True))
        return Page([Device.model_validate(i) for i in items], next_cursor)

    def delete(self, tenant_id: str, user_id: str, device_id: str) -> bool:
        try:
            self._client.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self._name,
                            "Key": self._mine(user_id).key(tenant_id, device_id),
                            "ConditionExpression": "attribute_exists(pk)"}},
                {"Update": {"TableName": self._name, "Key": _counter(tenant_id, user_id),
                            "UpdateExpression": "ADD #n :minus",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": {":minus": -1}}},
            ])
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def disable(self, tenant_id: str, user_id: str, device_id: str, notifiable_token: str,
                reason: str) -> bool:
        try:
            self._table.update_item(
                Key=self._mine(user_id).key(tenant_id, device_id),
                UpdateExpression="SET enabled = :off, disabled_reason = :why, updated_at = :now",
                ConditionExpression="attribute_exists(pk) AND notifiable_token = :token",
                ExpressionAttributeValues={":off": False, ":why": reason,
                                           ":now": clock.now_iso(), ":token": notifiable_token})
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
