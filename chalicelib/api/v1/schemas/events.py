"""Events: the catalogue and the catch-up list."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.api.v1.schemas.common import Out
from chalicelib.domain.events import Event


class EventTypeOut(Out):
    type: str
    description: str
    data_schema: dict[str, Any] = Field(description="JSON schema of the event's data.")


class EventTypes(Out):
    items: list[EventTypeOut]


class EventOut(Out):
    id: str = Field(description="Sortable (a ULID); the webhook-id of its webhook deliveries.")
    type: str
    timestamp: str
    tenant_id: str
    session_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls.model_validate(event.model_dump(mode="json"))
