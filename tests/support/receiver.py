"""A local HTTP server that receives webhooks and verifies their Standard Webhooks signature."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class WebhookReceiver:
    """Collects verified deliveries; answers with the statuses queued in ``replies`` first."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.replies: list[int] = []
        self.attempts = 0
        self.attempt_ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.attempts += 1
                receiver.attempt_ids.append(self.headers.get("webhook-id", ""))
                status = receiver.replies.pop(0) if receiver.replies else 204
                if status < 300:
                    try:
                        payload = Webhook(receiver.secret or "").verify(body, dict(self.headers))
                        receiver.received.append({"payload": payload,
                                                  "id": self.headers["webhook-id"]})
                    except (WebhookVerificationError, ValueError) as exc:
                        receiver.rejected.append(str(exc))
                        status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def types(self) -> list[str]:
        return [r["payload"]["type"] for r in self.received]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [r["payload"] for r in self.received if r["payload"]["type"] == event_type]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
