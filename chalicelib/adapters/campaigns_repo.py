"""Campaigns in the campaigns table: the campaign (pk tenant id, sk ``CMP#<id>``), written
whole under an optimistic version, and its recipients a hundred to an item (pk
``<tenant>#<campaign>``, sk ``R#<first seq>``), written in batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import (
    TenantItems,
    batch_write,
    is_condition_failure,
    plain,
    storable,
)
from chalicelib.domain.audiences import Recipient
from chalicelib.domain.campaigns import Campaign, CampaignStatus
from chalicelib.domain.paging import Page

CHUNK = 100  # recipients to an item
DUE_SHARD = "DUE"
_WATCHED = (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED)


def _recipients_key(tenant_id: str, campaign_id: str) -> str:
    return f"{tenant_id}#{campaign_id}"


def _chunk_sk(start: int) -> str:
    return f"R#{start:07d}"


class DynamoCampaignRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._client = resource.meta.client
        self._name = table_name
        self._table = resource.Table(table_name)
        self._items = TenantItems(self._table, "CMP")

    def _item(self, campaign: Campaign, due_at: str | None) -> dict[str, Any]:
        fields = campaign.model_dump(mode="json", by_alias=True)
        if campaign.status in _WATCHED and due_at:  # the watchdog's index
            fields.update(due_shard=DUE_SHARD, due_at=due_at)
        return fields

    def create(self, campaign: Campaign) -> None:
        self._items.put(campaign.tenant_id, campaign.id, self._item(campaign, campaign.start_at),
                        must_exist=False)

    def get(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        item = self._items.get(tenant_id, campaign_id, consistent=True)
        return Campaign.model_validate(item) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor, newest_first=True)
        return Page([Campaign.model_validate(i) for i in items], next_cursor)

    def save(self, campaign: Campaign, due_at: str | None = None) -> Campaign | None:
        """Write the campaign if nobody changed it since it was read (its ``version``); the
        stored one (version + 1), or None when another write came first."""
        saved = campaign.model_copy(update={"version": campaign.version + 1})
        try:
            self._table.put_item(
                Item=storable({**self._item(saved, due_at),
                               **self._items.key(campaign.tenant_id, campaign.id)}),
                ConditionExpression="attribute_exists(pk) AND version = :v",
                ExpressionAttributeValues={":v": campaign.version})
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return saved

    def due(self, before: str, limit: int = 100) -> list[tuple[str, str]]:
        """(tenant id, campaign id) of running or scheduled campaigns whose next tick was due
        before ``before`` (the watchdog's list)."""
        response = self._table.query(
            IndexName="by_due", Limit=limit,
            KeyConditionExpression=Key("due_shard").eq(DUE_SHARD) & Key("due_at").lt(before))
        return [(i["pk"], i["sk"].removeprefix("CMP#")) for i in response.get("Items", [])]

    # --- recipients ---

    def put_recipients(self, tenant_id: str, campaign_id: str,
                       recipients: Sequence[Recipient]) -> None:
        pk = _recipients_key(tenant_id, campaign_id)
        batch_write(self._client, self._name, [
            {"pk": pk, "sk": _chunk_sk(start),
             "rows": [[r.to, r.variables] for r in recipients[start:start + CHUNK]]}
            for start in range(0, len(recipients), CHUNK)])

    def recipients(self, tenant_id: str, campaign_id: str, start: int,
                   count: int) -> list[Recipient]:
        """Recipients ``start`` to ``start + count - 1`` (fewer past the end)."""
        if count <= 0:
            return []
        first = start - start % CHUNK
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(_recipients_key(tenant_id, campaign_id))
            & Key("sk").between(_chunk_sk(first), _chunk_sk(start + count - 1)),
            ConsistentRead=True)
        rows: list[Recipient] = []
        for item in response.get("Items", []):
            base = int(item["sk"].removeprefix("R#"))
            for offset, (to, variables) in enumerate(plain(item["rows"])):
                if start <= base + offset < start + count:
                    rows.append(Recipient(to=to, variables=variables))
        return rows
