"""The send worker: outbound queue records → the owning session host."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import container
from chalicelib.workers.batch import process_batch


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    messaging = container().messaging
    return process_batch(event, context, "send",
                         lambda body, count: messaging.deliver(body["tenant_id"],
                                                               body["message_id"], count))
