"""Integer ids, for the products that show them: each answer asks the alias service once per
kind (``services/aliases.py`` keeps the numbers, per tenant and kind, for good)."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.api.dialects.edge import Call


class Numbers:
    """The integer ids of one answer (each kind asked of the alias service once)."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self._known: dict[tuple[str, str], int] = {}

    def load(self, kind: str, wagate_ids: Iterable[str | None]) -> None:
        wanted = list(dict.fromkeys(i for i in wagate_ids if i and (kind, i) not in self._known))
        if wanted:
            found = self._call.services.alias_service.numbers(self._call.tenant_id, kind, wanted)
            self._known.update({(kind, k): v for k, v in found.items()})

    def of(self, kind: str, wagate_id: str | None) -> int | None:
        if not wagate_id:
            return None
        self.load(kind, [wagate_id])
        return self._known[(kind, wagate_id)]
