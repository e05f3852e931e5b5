"""Integer aliases of wagate ids in the aliases table (pk ``<tenant>#<kind>``): ``SEQ`` holds
the last number given, ``N#<number>`` the id it stands for, ``W#<id>`` the id's number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import batch_get, plain, transact

SEQ = "SEQ"


def _pk(tenant_id: str, kind: str) -> str:
    return f"{tenant_id}#{kind}"


class DynamoAliases:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._name = table_name
        self._table = resource.Table(table_name)
        self._client = resource.meta.client

    def numbers(self, tenant_id: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
        pk = _pk(tenant_id, kind)
        keys = [{"pk": pk, "sk": f"W#{i}"} for i in dict.fromkeys(ids)]
        return {item["sk"][2:]: int(item["number"])
                for item in batch_get(self._client, self._name, keys)}

    def target(self, tenant_id: str, kind: str, number: int) -> str | None:
        item = self._table.get_item(Key={"pk": _pk(tenant_id, kind), "sk": f"N#{number}"},
                                    ConsistentRead=True).get("Item")
        return str(item["id"]) if item else None

    def assign(self, tenant_id: str, kind: str, wagate_id: str) -> int | None:
        """Give ``wagate_id`` the next number; None when it got one meanwhile (a race lost:
        the number drawn stays unused)."""
        pk = _pk(tenant_id, kind)
        drawn = self._table.update_item(
            Key={"pk": pk, "sk": SEQ}, UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": "number"},
            ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
        number = int(plain(drawn["Attributes"]["number"]))
        cancelled = transact(self._client, [
            {"Put": {"TableName": self._name,
                     "Item": {"pk": pk, "sk": f"W#{wagate_id}", "number": number},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self._name,
                     "Item": {"pk": pk, "sk": f"N#{number}", "id": wagate_id}}},
        ])
        return None if cancelled else number
