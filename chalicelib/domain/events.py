"""The event catalog: what the gateway tells webhooks."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from chalicelib.domain import clock, ids


class EventType(StrEnum):
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_STATUS = "message.status"
    SESSION_STATUS = "session.status"


class Event(BaseModel):
    id: str
    type: EventType
    tenant_id: str
    session_id: str
    timestamp: str
    data: dict[str, Any]

    @classmethod
    def new(cls, type_: EventType, tenant_id: str, session_id: str, data: dict[str, Any]) -> Event:
        return cls(id=f"evt_{ids.new_id()}", type=type_, tenant_id=tenant_id,
                   session_id=session_id, timestamp=clock.now_iso(), data=data)

    def payload(self) -> dict[str, Any]:
        """The JSON body a webhook receives."""
        return {"type": self.type.value, "timestamp": self.timestamp,
                "data": {"session_id": self.session_id, **self.data}}
