"""Idempotency-Key for every POST that creates something (IETF draft semantics).

Same key and same request within 24 h: the first response again. Same key, another request:
422. The first still running: 409. Keys belong to a tenant. A 5xx is not remembered, so the
client may retry it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services.ports import IdempotencyStore

MAX_KEY = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


class Idempotency:
    def __init__(self, store: IdempotencyStore) -> None:
        self._store = store

    def run(self, tenant_id: str, key: str, request_fingerprint: str,
            handle: Callable[[], tuple[int, Any]]) -> tuple[int, Any, bool]:
        """(status, body, replayed): run ``handle`` once per key, replay it afterwards."""
        if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
            raise ValidationFailed.field("Idempotency-Key",
                                         f"must be 1-{MAX_KEY} printable characters")
        earlier = self._store.begin(tenant_id, key, request_fingerprint)
        if earlier is not None:
            if earlier.fingerprint != request_fingerprint:
                raise ValidationFailed("this Idempotency-Key was used for another request",
                                       code="idempotency_key_reused")
            if earlier.state != "done":
                raise Conflict("a request with this Idempotency-Key is still being processed",
                               code="idempotency_key_in_progress")
            return int(earlier.status or 200), earlier.body, True
        try:
            status, body = handle()
        except Exception:
            self._store.abandon(tenant_id, key)
            raise
        if status >= 500:
            self._store.abandon(tenant_id, key)
        else:
            self._store.complete(tenant_id, key, status, body)
        return status, body, False
