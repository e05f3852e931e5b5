"""A local webhook receiver that verifies Standard Webhooks signatures and prints each event.

``python -m chalicelib.devstack.listen --port 9000 --secret-file .wagate/webhook-secret``

The secret is read from the file on every request, so the receiver can start before the
session (and its secret) exists; until then it answers 503 and wagate retries later.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class WebhookReceiver:
    """A loopback webhook receiver: collects verified deliveries; answers with the statuses
    queued in ``replies`` first. Subclasses answer differently by overriding ``handle``."""

    def __init__(self, port: int = 0, secret: str | None = None,
                 secret_file: Path | None = None, echo: bool = False) -> None:
        self.secret = secret
        self.secret_file = secret_file
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.replies: list[int] = []
        self.attempt_ids: list[str] = []
        self.requests: deque[tuple[bytes, dict[str, str]]] = deque(maxlen=1000)  # the latest
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.handle(body, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._echo = echo
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})  # a prompt close
        self._thread.start()

    @property
    def attempts(self) -> int:
        return len(self.attempt_ids)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def _current_secret(self) -> str | None:
        if self.secret:
            return self.secret
        if self.secret_file and self.secret_file.exists():
            return self.secret_file.read_text().strip() or None
        return None

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        self.attempt_ids.append(headers.get("webhook-id", ""))
        self.requests.append((body, headers))
        if self.replies and (forced := self.replies.pop(0)) >= 300:
            return forced
        secret = self._current_secret()
        if secret is None:
            return 503  # not ready: wagate will retry
        try:
            payload = Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, ValueError) as exc:
            self.rejected.append(str(exc))
            if self._echo:
                print(f"✗ rejected ({exc})", flush=True)
            return 401
        self.received.append({"payload": payload, "id": headers.get("webhook-id")})
        if self._echo:
            print(f"✓ verified {payload['type']}: {json.dumps(payload['data'])}", flush=True)
        return 204

    def types(self) -> list[str]:
        return [r["payload"]["type"] for r in self.received]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [r["payload"] for r in self.received if r["payload"]["type"] == event_type]

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", help="the session's whsec_… secret")
    parser.add_argument("--secret-file", type=Path, help="a file holding the secret")
    args = parser.parse_args()
    receiver = WebhookReceiver(args.port, args.secret, args.secret_file, echo=True)
    print(f"listening for webhooks on {receiver.url}", flush=True)
    try:
        receiver.wait()
    except KeyboardInterrupt:
        receiver.close()


if __name__ == "__main__":
    main()
