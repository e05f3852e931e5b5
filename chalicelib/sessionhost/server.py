"""The host's internal HTTP API: signed requests from the API and the workers (with the
current internal key, or the previous one while a rotation overlaps)."""

from __future__ import annotations

import json
import logging
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chalicelib.domain import signing
from chalicelib.domain.errors import AppError
from chalicelib.services.ports import Keyring
from chalicelib.sessionhost.engines.base import HostDied
from chalicelib.sessionhost.host import SessionHost

log = logging.getLogger("wagate.host.api")


def _routes(host: SessionHost) -> dict[str, Any]:
    return {
        "/internal/sessions/start": lambda b: host.start_session(b["tenant_id"], b["session_id"]),
        "/internal/sessions/stop": lambda b: host.stop_session(b["tenant_id"], b["session_id"],
                                                              bool(b.get("logout"))),
        "/internal/messages/send": lambda b: host.send(b["tenant_id"], b["session_id"],
                                                       b["message"]),
        "/internal/live": lambda b: host.live(b["tenant_id"], b["session_id"], b["op"],
                                              b.get("args")),
    }


def make_server(host: SessionHost, keys: Keyring, bind: str, port: int) -> ThreadingHTTPServer:
    routes = _routes(host)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK add ~40 ms to every keep-alive request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _error(self, status: int, code: str, message: str,
                   details: list[Any] | None = None) -> None:
            self._reply(status, {"error": {"code": code, "message": message,
                                           "details": details or []}})

        def _drop(self) -> None:
            """Close the connection with a reset and no answer, as a dying process would."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()

        def do_GET(self) -> None:
            if self.path == "/internal/health":
                self._reply(200, {"status": "ok", "host_id": host.host_id,
                                  "sessions": host.session_count, "draining": host.draining})
            else:
                self._error(404, "not_found", "no such route")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            stamp = self.headers.get(signing.TIMESTAMP_HEADER)
            signature = self.headers.get(signing.SIGNATURE_HEADER)
            if not keys.first(lambda key: signing.verify(key, "POST", self.path, raw, stamp,
                                                         signature) or None):
                self._error(401, "bad_signature", "missing, wrong or stale signature")
                return
            route = routes.get(self.path)
            if route is None:
                self._error(404, "not_found", "no such route")
                return
            try:
                self._reply(200, route(json.loads(raw or b"{}")))
            except HostDied:
                self._drop()
            except AppError as exc:
                self._error(exc.status, exc.code, exc.message, exc.details)
            except (KeyError, ValueError) as exc:
                self._error(400, "bad_request", f"bad internal request: {exc}")
            except Exception:
                log.exception("internal %s failed", self.path)
                self._error(500, "internal", "host error")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("%s " + format, self.address_string(), *args)

    server = ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = True
    return server
