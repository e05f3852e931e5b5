"""What the gateway remembers of a request sent with an Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IdempotencyRecord:
    state: str  # "in_progress" | "done"
    fingerprint: str
    status: int | None = None
    body: Any = None
