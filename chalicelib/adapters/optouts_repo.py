"""The opt-out list (pk tenant id, sk ``OPT#<digits>``) and each tenant's keyword settings
(``SETTINGS#optouts``), in the opt-outs table."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import TenantItems
from chalicelib.domain.optouts import OptOut, OptOutSettings
from chalicelib.domain.paging import Page

SETTINGS_ID = "optouts"


class DynamoOptOutRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        table = resource.Table(table_name)
        self._items = TenantItems(table, "OPT")
        self._settings = TenantItems(table, "SETTINGS")

    def add(self, opt_out: OptOut) -> bool:
        """Store the opt-out unless the number is on the list already; True when new."""
        return self._items.put(opt_out.tenant_id, opt_out.phone.lstrip("+"),
                               opt_out.model_dump(), must_exist=False)

    def get(self, tenant_id: str, digits: str) -> OptOut | None:
        item = self._items.get(tenant_id, digits)
        return OptOut.model_validate(item) if item else None

    def is_opted_out(self, tenant_id: str, digits: str) -> bool:
        """One read of the key alone (the send worker's check)."""
        item = self._items.table.get_item(Key=self._items.key(tenant_id, digits),
                                          ProjectionExpression="pk").get("Item")
        return item is not None

    def remove(self, tenant_id: str, digits: str) -> OptOut | None:
        """Take the number off the list; what was there, or None."""
        item = self._items.delete(tenant_id, digits)
        return OptOut.model_validate(item) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._items.page(tenant_id, limit, cursor)
        return Page([OptOut.model_validate(i) for i in items], next_cursor)

    def settings(self, tenant_id: str) -> OptOutSettings:
        item = self._settings.get(tenant_id, SETTINGS_ID)
        if item is None:
            return OptOutSettings()
        return OptOutSettings.model_validate({k: v for k, v in item.items()
                                              if k in OptOutSettings.model_fields})

    def put_settings(self, tenant_id: str, settings: OptOutSettings) -> None:
        self._settings.put(tenant_id, SETTINGS_ID, settings.model_dump())
