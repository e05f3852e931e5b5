"""The CLI against the API on moto: the app is served on a loopback port (a WSGI server in a
thread), and ``wagate`` runs through typer's runner with a config folder of its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from chalice.test import Client
from typer.testing import CliRunner

from chalicelib.cli.main import app
from tests.fuzzing import ChaliceWsgi


class _Handler(WSGIRequestHandler):
    def get_environ(self) -> dict[str, Any]:
        """As sent: wsgiref makes a missing Content-Type text/plain."""
        environ = super().get_environ()
        if self.headers.get("content-type") is None:
            environ.pop("CONTENT_TYPE", None)
        return environ

    def log_message(self, *args: Any) -> None:
        """No access log on stderr."""


@dataclass
class Gateway:
    url: str
    served: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, status)


@pytest.fixture
def gateway(client: Client) -> Iterator[Gateway]:
    """The app on a loopback port, and the requests it served."""
    wsgi = ChaliceWsgi()
    wsgi.client = client

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        def start(status: str, headers: Any) -> Any:
            running.served.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], status[:3]))
            return start_response(status, headers)
        return wsgi(environ, start)

    server = make_server("127.0.0.1", 0, app, handler_class=_Handler)
    running = Gateway(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield running
    server.shutdown()
    server.server_close()


class Result:
    def __init__(self, raw: Any) -> None:
        self.code, self.out, self.err = raw.exit_code, raw.stdout, raw.stderr
        self.exception = raw.exception

    @property
    def json(self) -> Any:
        assert self.code == 0, (self.code, self.err)
        return json.loads(self.out)


Wagate = Callable[..., Result]


@pytest.fixture
def wagate(gateway: Gateway, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Wagate:
    """``wagate(*args, key=…, typed=…)``: one run of the CLI against the gateway (with
    ``--json`` unless ``human=True``)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("WAGATE_URL", raising=False)
    monkeypatch.delenv("WAGATE_KEY", raising=False)

    def run(*args: str, key: str | None = None, human: bool = False,
            typed: str | None = None, url: str | None = gateway.url) -> Result:
        options = [*(["--url", url] if url else []), *(["--key", key] if key else []),
                   *([] if human else ["--json"])]
        raw = CliRunner().invoke(app, [*options, *args], input=typed, prog_name="wagate")
        if raw.exception and not isinstance(raw.exception, SystemExit):
            raise raw.exception
        return Result(raw)

    return run
