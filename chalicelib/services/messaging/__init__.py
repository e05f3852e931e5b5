"""Messages: accept (every type, templates, scheduling, expiry, priority, batches), read,
cancel, forward, edit, delete for everyone, star; the send worker's delivery; the reconciler.

One service built from its parts, each in its own module: ``accept``, ``actions`` and
``delivery`` on the state and status writes in ``common``.
"""

from __future__ import annotations

from chalicelib.services.messaging.accept import Accepting
from chalicelib.services.messaging.actions import MessageActions
from chalicelib.services.messaging.common import (
    SESSION_WAIT,
    STUCK_AFTER,
    Draft,
    RetryLater,
    retry_delay,
)
from chalicelib.services.messaging.delivery import Delivering

__all__ = ["SESSION_WAIT", "STUCK_AFTER", "Draft", "MessagingService", "RetryLater",
           "retry_delay"]


class MessagingService(Accepting, MessageActions, Delivering):
    """Accepting, acting on and delivering messages (see the modules for each part)."""
