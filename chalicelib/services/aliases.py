"""Integer ids for the products whose APIs show integers: each wagate id of a kind gets a
per-tenant number on first sight (1, 2, 3, …), kept for good, and the dialect takes it back."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.errors import NotFound
from chalicelib.services.ports import Aliases

MAX_NUMBER = 2**53 - 1  # what every JSON client reads exactly


class AliasService:
    def __init__(self, aliases: Aliases) -> None:
        self._aliases = aliases

    def numbers(self, tenant_id: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
        """Each id's number, new ones given in the order of ``ids``."""
        found = self._aliases.numbers(tenant_id, kind, ids) if ids else {}
        for wagate_id in ids:
            if wagate_id not in found:
                number = self._aliases.assign(tenant_id, kind, wagate_id)
                found[wagate_id] = number if number is not None else \
                    self._aliases.numbers(tenant_id, kind, [wagate_id])[wagate_id]
        return found

    def number(self, tenant_id: str, kind: str, wagate_id: str) -> int:
        return self.numbers(tenant_id, kind, [wagate_id])[wagate_id]

    def resolve(self, tenant_id: str, kind: str, number: str | int) -> str:
        """The wagate id behind ``number`` (a path segment or a field); 404 when the tenant
        has no such number of that kind."""
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise NotFound(f"{kind} not found") from None
        target = self._aliases.target(tenant_id, kind, value) \
            if 0 < value <= MAX_NUMBER else None
        if target is None:
            raise NotFound(f"{kind} not found")
        return target
