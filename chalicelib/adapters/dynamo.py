"""Shared DynamoDB helpers for the repositories: value conversion, condition failures, pages,
and ``TenantItems``, the one way tenant-scoped items are keyed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.domain import paging
from chalicelib.domain.errors import ValidationFailed


def plain(value: Any) -> Any:
    """Item values as plain Python: Decimals become int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def storable(value: Any) -> Any:
    """Values as DynamoDB takes them: floats become Decimals (exactly as printed)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons
    return False


class Cancelled(NamedTuple):
    """Why one item of a cancelled transaction failed, and the item as it was when that item
    asked for it (``ReturnValuesOnConditionCheckFailure``)."""

    failed: bool  # its condition failed
    item: dict[str, Any] | None


def transact(client: Any, items: list[dict[str, Any]]) -> list[Cancelled] | None:
    """Write ``items`` in one transaction: None once it committed; one ``Cancelled`` per item
    (in order) when a condition cancelled it. Any other error raises."""
    try:
        client.transact_write_items(TransactItems=items)
    except ClientError as exc:
        if not is_condition_failure(exc):
            raise
        reasons = exc.response.get("CancellationReasons") or []
        return [Cancelled(r.get("Code") == "ConditionalCheckFailed", r.get("Item"))
                for r in reasons]
    return None


BATCH_WRITE = 25  # BatchWriteItem's limit
BATCH_GET = 100  # BatchGetItem's limit
BATCH_TRIES = 8  # unprocessed items are tried again this often, with growing waits
_BATCH_BACKOFF_S = 0.05


def batch_write(client: Any, table: str, items: Sequence[dict[str, Any]]) -> None:
    """Put ``items`` (storable values) 25 to a call; unprocessed ones are tried again a
    bounded number of times (then it raises: the caller's work is redone, never half-kept
    unknowingly)."""
    for start in range(0, len(items), BATCH_WRITE):
        requests = {table: [{"PutRequest": {"Item": item}}
                            for item in items[start:start + BATCH_WRITE]]}
        for attempt in range(BATCH_TRIES):
            requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems")
            if not requests:
                break
            time.sleep(_BATCH_BACKOFF_S * 2 ** attempt)
        else:
            raise RuntimeError(f"DynamoDB left {len(requests[table])} item(s) unwritten")


def batch_get(client: Any, table: str, keys: Sequence[dict[str, Any]],
              projection: str | None = None) -> list[dict[str, Any]]:
    """The items that exist for ``keys`` (any order), 100 keys to a call."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET):
        request: dict[str, Any] = {"Keys": list(keys[start:start + BATCH_GET]),
                                   "ConsistentRead": True}
        if projection:
            request["ProjectionExpression"] = projection
        requests: dict[str, Any] | None = {table: request}
        for attempt in range(BATCH_TRIES):
            response = client.batch_get_item(RequestItems=requests)
            found.extend(plain(i) for i in response.get("Responses", {}).get(table, []))
            requests = response.get("UnprocessedKeys")
            if not requests:
                break
            time.sleep(_BATCH_BACKOFF_S * 2 ** attempt)
        else:
            raise RuntimeError("DynamoDB left keys unread")
    return found


def query_page(table: Any, tenant_id: str, limit: int, cursor: str | None,
               max_reads: int | None = None,
               **query: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query; the cursor is checked to belong to ``tenant_id``. With
    ``max_reads``, a filtered page stops after that many reads (short, with a cursor)."""
    start = paging.decode_cursor(cursor, tenant_id)
    if start:
        query["ExclusiveStartKey"] = start
    items: list[dict[str, Any]] = []
    reads = 0
    # A FilterExpression may return short pages: keep reading until the page is full.
    while True:
        reads += 1
        try:
            response = table.query(Limit=limit - len(items), **query)
        except ClientError as exc:
            # A forged cursor whose keys do not fit this query: DynamoDB refuses the start key.
            if start and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise ValidationFailed.field("cursor", "is not a valid cursor") from exc
            raise
        items.extend(plain(i) for i in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last or len(items) >= limit or (max_reads and reads >= max_reads):
            break
        query["ExclusiveStartKey"] = last
    if last and "pk" not in last:
        last = None
    return items, paging.encode_cursor(plain(last) if last else None)


class TenantItems:
    """Items of one kind in a tenant-keyed table: ``pk`` = tenant id, ``sk`` = ``KIND#<id>``.

    Every repository reads and writes its items through one of these, so no key can be built
    without the tenant, and every list is a bounded page whose cursor is tied to the tenant.
    """

    def __init__(self, table: Any, kind: str) -> None:
        self.table = table
        self.kind = kind

    def key(self, tenant_id: str, item_id: str) -> dict[str, str]:
        return {"pk": tenant_id, "sk": f"{self.kind}#{item_id}"}

    def get(self, tenant_id: str, item_id: str, consistent: bool = False) -> dict[str, Any] | None:
        item = self.table.get_item(Key=self.key(tenant_id, item_id),
                                   ConsistentRead=consistent).get("Item")
        return plain(item) if item else None

    def put(self, tenant_id: str, item_id: str, fields: dict[str, Any],
            must_exist: bool | None = None) -> bool:
        """Write the item; ``must_exist`` True/False makes it conditional (False: only if new).
        Returns False when the condition failed."""
        extra: dict[str, Any] = {}
        if must_exist is not None:
            extra["ConditionExpression"] = "attribute_exists(pk)" if must_exist \
                else "attribute_not_exists(pk)"
        try:
            self.table.put_item(Item=storable({**fields, **self.key(tenant_id, item_id)}),
                                **extra)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def delete(self, tenant_id: str, item_id: str, **condition: Any) -> dict[str, Any] | None:
        """Delete the item (with an optional ``ConditionExpression`` and its values); its
        last attributes, or None when there was none (or the condition failed)."""
        try:
            response = self.table.delete_item(Key=self.key(tenant_id, item_id),
                                              ReturnValues="ALL_OLD", **condition)
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return plain(response["Attributes"]) if "Attributes" in response else None

    def page(self, tenant_id: str, limit: int, cursor: str | None, newest_first: bool = False,
             **query: Any) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the tenant's items of this kind (extra query arguments, e.g. a
        ``FilterExpression``, pass through)."""
        condition = Key("pk").eq(tenant_id) & Key("sk").begins_with(f"{self.kind}#")
        return query_page(self.table, tenant_id, limit, cursor, KeyConditionExpression=condition,
                          ScanIndexForward=not newest_first, **query)
