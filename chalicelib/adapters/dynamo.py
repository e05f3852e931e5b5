"""Shared DynamoDB helpers for the repositories."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def query_page(table: Any, tenant_id: str, limit: int, cursor: str | None,
               **query: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query; the cursor is checked to belong to ``tenant_id``."""
    start = paging.decode_cursor(cursor, tenant_id)
    if start:
        query["ExclusiveStartKey"] = start
    items: list[dict[str, Any]] = []
    # A FilterExpression may return short pages: keep reading until the page is full.
    while True:
        try:
            response = table.query(Limit=limit - len(items), **query)
        except ClientError as exc:
            # A forged cursor whose keys do not fit this query: DynamoDB refuses the start key.
            if start and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise ValidationFailed.field("cursor", "is not a valid cursor") from exc
            raise
        items.extend(plain(i) for i in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last or len(items) >= limit:
            break
        query["ExclusiveStartKey"] = last
    if last and "pk" not in last:
        last = None
    return items, paging.encode_cursor(plain(last) if last else None)
