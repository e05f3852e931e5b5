"""Webhook subscriptions (pk = tenant id, sk = ``WH#<id>``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import TenantItems, is_condition_failure, plain, storable
from chalicelib.domain.paging import Page
from chalicelib.domain.webhooks import MAX_SUBSCRIPTIONS, Subscription


class DynamoSubscriptionRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._items = TenantItems(resource.Table(table_name), "WH")

    @staticmethod
    def _of(item: dict[str, Any] | None) -> Subscription | None:
        return Subscription.model_validate(item) if item else None

    def create(self, subscription: Subscription) -> None:
        self._items.put(subscription.tenant_id, subscription.id,
                        subscription.model_dump(mode="json", exclude_none=True), must_exist=False)

    def get(self, tenant_id: str, webhook_id: str) -> Subscription | None:
        return self._of(self._items.get(tenant_id, webhook_id, consistent=True))

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor)
        return Page([Subscription.model_validate(i) for i in items], next_cursor)

    def all(self, tenant_id: str) -> list[Subscription]:
        items, _ = self._items.page(tenant_id, MAX_SUBSCRIPTIONS, None)
        return [Subscription.model_validate(i) for i in items]

    def update(self, tenant_id: str, webhook_id: str,
               changes: dict[str, Any]) -> Subscription | None:
        sets = {k: v for k, v in changes.items() if v is not None}
        removes = [k for k, v in changes.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate(changes)}
        by_field = {k: n for n, k in names.items()}
        expression = ""
        if sets:
            expression += "SET " + ", ".join(f"{by_field[k]} = :v{i}"
                                             for i, k in enumerate(sets))
        if removes:
            expression += " REMOVE " + ", ".join(by_field[k] for k in removes)
        try:
            response = self._items.table.update_item(
                Key=self._items.key(tenant_id, webhook_id), UpdateExpression=expression.strip(),
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames=names,
                ReturnValues="ALL_NEW",
                **({"ExpressionAttributeValues": {f":v{i}": storable(v)
                                                  for i, v in enumerate(sets.values())}}
                   if sets else {}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return self._of(plain(response["Attributes"]))

    def set_failing_since(self, tenant_id: str, webhook_id: str, moment: str | None) -> None:
        key = self._items.key(tenant_id, webhook_id)
        try:
            if moment is None:
                self._items.table.update_item(
                    Key=key, UpdateExpression="REMOVE failing_since",
                    ConditionExpression="attribute_exists(failing_since)")
            else:
                self._items.table.update_item(
                    Key=key, UpdateExpression="SET failing_since = :m",
                    ConditionExpression="attribute_exists(pk) AND "
                                        "attribute_not_exists(failing_since)",
                    ExpressionAttributeValues={":m": moment})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def delete(self, tenant_id: str, webhook_id: str) -> bool:
        return self._items.delete(tenant_id, webhook_id) is not None
