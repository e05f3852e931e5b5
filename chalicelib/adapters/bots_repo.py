"""Keyword bots (pk tenant id, sk ``BOT#<id>``) and their match marks in the bots table.

A match mark is a chat's cooldown (``COOL#<bot>#<chat>``) or, for a bot without one, the
event it matched (``SEEN#<bot>#<event>``). Taking it and counting the match is one
transaction, so two workers never both pass a cooldown and a re-run never counts twice.
"""

from __future__ import annotations

import math
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import TenantItems, is_condition_failure, plain, storable, transact
from chalicelib.domain import clock
from chalicelib.domain.bots import MAX_BOTS, Bot
from chalicelib.domain.paging import Page
from chalicelib.domain.webhooks import Subscription

# Counters change only through ``claim``: a replace leaves them as they are.
COUNTERS = ("matches", "last_matched_at")


class DynamoBotRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)
        self._client = resource.meta.client
        self._name = table_name
        self._items = TenantItems(self._table, "BOT")

    def create(self, bot: Bot) -> None:
        self._items.put(bot.tenant_id, bot.id, bot.model_dump(mode="json"), must_exist=False)

    def get(self, tenant_id: str, bot_id: str) -> Bot | None:
        item = self._items.get(tenant_id, bot_id, consistent=True)
        return Bot.model_validate(item) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor)
        return Page([Bot.model_validate(i) for i in items], next_cursor)

    def all(self, tenant_id: str) -> list[Bot]:
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with("BOT#"),
            Limit=MAX_BOTS + 1)
        return [Bot.model_validate(plain(i)) for i in response.get("Items", [])]

    def replace(self, bot: Bot) -> bool:
        fields = bot.model_dump(mode="json", exclude=set(COUNTERS))
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        try:
            self._table.update_item(
                Key=self._items.key(bot.tenant_id, bot.id),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
                ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames=names,
                ExpressionAttributeValues=storable(values))
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def delete(self, tenant_id: str, bot_id: str) -> bool:
        return self._items.delete(tenant_id, bot_id) is not None

    def claim(self, tenant_id: str, bot_id: str, mark: str, event_id: str, until_ms: int,
              now_ms: int) -> str:
        mark_key = {"pk": tenant_id, "sk": mark}
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self._name,
                     "Item": {**mark_key, "event_id": event_id, "until_ms": until_ms,
                              "expires_at_epoch": math.ceil(until_ms / 1000) + 60},
                     "ConditionExpression": "attribute_not_exists(pk) OR until_ms <= :now",
                     "ExpressionAttributeValues": {":now": now_ms},
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Update": {"TableName": self._name, "Key": self._items.key(tenant_id, bot_id),
                        "UpdateExpression": "ADD matches :one SET last_matched_at = :at",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":one": 1, ":at": clock.now_iso()}}},
        ]
        cancelled = transact(self._client, items)
        if cancelled is None:
            return "new"
        if len(cancelled) > 1 and cancelled[1].failed:
            return "gone"
        held = (cancelled[0].item or {}).get("event_id", {}).get("S") if cancelled else None
        return "again" if held == event_id else "cooling"

    def target(self, tenant_id: str, target_id: str) -> Subscription | None:
        """A webhook bot as the delivery service reads a subscription (its URL and secret)."""
        bot = self.get(tenant_id, target_id)
        return bot.webhook_target() if bot else None
