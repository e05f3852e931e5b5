"""The fleet registry's record of one session host."""

from __future__ import annotations

from pydantic import BaseModel


class HostRecord(BaseModel):
    host_id: str
    address: str  # base URL of its internal API
    capacity: int
    sessions: int = 0
    deaf: int = 0  # its sessions whose latest self-check went unanswered
    alive_until_ms: int
    draining: bool = False
