"""The platform's own housekeeping: dead letters."""

from __future__ import annotations

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Out
from chalicelib.domain.dead_letters import MAX_PEEK, MAX_REDRIVE


class QueueCount(Out):
    queue: str
    dead_letters: int = Field(description="SQS's approximate count")


class DeadLetterOut(Out):
    id: str
    body: str = Field(description="The record as its queue held it (JSON, usually), cut at "
                                  "4,096 characters")
    truncated: bool
    sent_at: str | None
    receive_count: int


class DeadLettersOut(Out):
    queues: list[QueueCount]
    items: list[DeadLetterOut] = Field(
        description=f"With ?queue=: up to limit (at most {MAX_PEEK}) of its dead letters, "
                    "which stay where they are")


class RedriveIn(Body):
    limit: int = Field(MAX_REDRIVE, ge=1, le=MAX_REDRIVE)


class RedriveOut(Out):
    queue: str
    moved: int
    dead_letters: int = Field(description="left behind (approximate)")
