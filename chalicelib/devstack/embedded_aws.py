"""The embedded AWS: moto, made safe for threads.

moto's backends are not thread-safe: a DynamoDB transaction deep-copies the tables while
another thread writes to them ("dictionary changed size during iteration"). The gateway's
local stack and tests run API, workers and session hosts on threads, so every moto request
is served one at a time here — in server mode (``EmbeddedAws``, behind ``make run``) and
in-process (``serialize_in_process_moto``, for tests and benchmarks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

_LOCK = threading.RLock()


def serialize_in_process_moto() -> None:
    """Make ``mock_aws()`` handle one request at a time (idempotent)."""
    if getattr(BotocoreStubber.process_request, "_serialized", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with _LOCK:
            return original(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


class EmbeddedAws:
    """A moto server on loopback, one request at a time."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def serialized(environ: dict[str, Any],
                       start_response: Callable[..., Any]) -> Iterable[bytes]:
            with _LOCK:
                return list(app(environ, start_response))

        self._server: BaseWSGIServer = make_server(host, port, serialized, threaded=True,
                                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
