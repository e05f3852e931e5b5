"""Records a queue gave up on (its dead-letter queue), as an operator sees them."""

from __future__ import annotations

from pydantic import BaseModel

MAX_SHOWN_BODY = 4096  # characters of a record's body shown in a listing
MAX_PEEK = 50
MAX_REDRIVE = 1000


class DeadLetter(BaseModel):
    id: str
    body: str  # the record as the queue held it (cut at MAX_SHOWN_BODY)
    truncated: bool
    sent_at: str | None  # when it first went onto its queue
    receive_count: int  # receives before it was set aside, and peeks since

    @classmethod
    def shown(cls, record_id: str, body: str, sent_at: str | None,
              receive_count: int) -> DeadLetter:
        return cls(id=record_id, body=body[:MAX_SHOWN_BODY], truncated=len(body) > MAX_SHOWN_BODY,
                   sent_at=sent_at, receive_count=receive_count)
