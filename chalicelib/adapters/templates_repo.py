"""Message templates (pk tenant id, sk ``TPL#<id>``)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure, plain, query_page
from chalicelib.domain.paging import Page
from chalicelib.domain.templates import Template


class DynamoTemplateRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)

    @staticmethod
    def _key(tenant_id: str, template_id: str) -> dict[str, str]:
        return {"pk": tenant_id, "sk": f"TPL#{template_id}"}

    def put(self, template: Template, must_exist: bool = False) -> bool:
        try:
            self._table.put_item(
                Item={**self._key(template.tenant_id, template.id), **template.model_dump()},
                ConditionExpression="attribute_exists(pk)" if must_exist
                else "attribute_not_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def get(self, tenant_id: str, template_id: str) -> Template | None:
        item = self._table.get_item(Key=self._key(tenant_id, template_id)).get("Item")
        return Template.model_validate(plain(item)) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = query_page(
            self._table, tenant_id, limit, cursor,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with("TPL#"))
        return Page([Template.model_validate(i) for i in items], next_cursor)

    def delete(self, tenant_id: str, template_id: str) -> bool:
        response = self._table.delete_item(Key=self._key(tenant_id, template_id),
                                           ReturnValues="ALL_OLD")
        return "Attributes" in response
