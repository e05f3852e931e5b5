"""What the workers gave up on: each queue's dead letters, for platform administrators to
look at and send back once the cause is fixed."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.auth import Principal
from chalicelib.domain.dead_letters import MAX_PEEK, MAX_REDRIVE
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.services.ports import DeadLetterQueues


class DeadLetterService:
    def __init__(self, queues: DeadLetterQueues) -> None:
        self._queues = queues

    def listing(self, caller: Principal, queue: str | None, limit: int) -> dict[str, Any]:
        """Every queue's count of dead letters (or ``queue``'s alone, with up to ``limit`` of
        its records, which stay where they are)."""
        names = [self._known(caller, queue)] if queue else self._known_all(caller)
        return {"queues": [{"queue": n, "dead_letters": self._queues.count(n)} for n in names],
                "items": self._queues.peek(queue, min(limit, MAX_PEEK)) if queue else []}

    def redrive(self, caller: Principal, queue: str, limit: int) -> dict[str, Any]:
        """Up to ``limit`` dead letters back onto their queue, for its worker to try again."""
        self._known(caller, queue)
        moved = self._queues.redrive(queue, min(limit, MAX_REDRIVE))
        return {"queue": queue, "moved": moved, "dead_letters": self._queues.count(queue)}

    def _known_all(self, caller: Principal) -> list[str]:
        if not caller.is_platform_admin:
            raise Forbidden("only a platform administrator may see dead letters")
        return self._queues.names

    def _known(self, caller: Principal, queue: str) -> str:
        names = self._known_all(caller)
        if queue not in names:
            raise NotFound(f"no queue is named {queue!r}; the queues are {', '.join(names)}",
                           code="queue_not_found")
        return queue
