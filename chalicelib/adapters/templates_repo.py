"""Message templates (pk tenant id, sk ``TPL#<id>``)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import TenantItems
from chalicelib.domain.paging import Page
from chalicelib.domain.templates import Template


class DynamoTemplateRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._items = TenantItems(resource.Table(table_name), "TPL")

    def put(self, template: Template, must_exist: bool = False) -> bool:
        return self._items.put(template.tenant_id, template.id, template.model_dump(),
                               must_exist=must_exist)

    def get(self, tenant_id: str, template_id: str) -> Template | None:
        item = self._items.get(tenant_id, template_id)
        return Template.model_validate(item) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor)
        return Page([Template.model_validate(i) for i in items], next_cursor)

    def delete(self, tenant_id: str, template_id: str) -> bool:
        return self._items.delete(tenant_id, template_id) is not None
