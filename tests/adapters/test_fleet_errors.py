"""The fleet client's error classification against a loopback "host" that misbehaves: only a
request that provably never left is SessionUnavailable (safe to retry); everything after the
request may have reached the host is OutcomeUnknown."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from chalicelib.adapters.fleet import HostError, HttpFleet, never_left
from chalicelib.adapters.secrets import SettingsKeyring
from chalicelib.domain.errors import OutcomeUnknown, SessionUnavailable
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.messages import Direction, Message, MessageStatus
from chalicelib.domain.sessions import Session, SessionStatus
from tests.conftest import free_port

FAR_FUTURE_MS = int(time.time() * 1000) + 3_600_000


def _read_request(conn: socket.socket) -> None:
    """Read one HTTP request (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _answer(status: int, body: bytes) -> Callable[[socket.socket], None]:
    def reply(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
                     f"Content-Type: application/json\r\n\r\n".encode() + body)
        conn.close()
    return reply


def _envelope(code: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": code, "details": []}}).encode()


@contextlib.contextmanager
def misbehaving_host(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback listener that treats every connection with ``behave``; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=behave, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


class _Hosts:
    def __init__(self, address: str) -> None:
        self.record = HostRecord(host_id="h1", address=address, capacity=10,
                                 alive_until_ms=FAR_FUTURE_MS)

    def get(self, host_id: str) -> HostRecord:
        return self.record


class _Sessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, tenant_id: str, session_id: str) -> Session:
        return self.session


SESSION = Session(id="s1", tenant_id="t1", name="shop", engine="sandbox",
                  status=SessionStatus.WORKING, created_at="2024-01-01T00:00:00.000Z",
                  updated_at="2024-01-01T00:00:00.000Z", owner="h1",
                  lease_until_ms=FAR_FUTURE_MS, fence=1)
MESSAGE = Message(id="m1", tenant_id="t1", session_id="s1", direction=Direction.OUTBOUND,
                  chat="14155552671@s.whatsapp.net", text="hi", status=MessageStatus.SENDING,
                  created_at="2024-01-01T00:00:00.000Z", updated_at="2024-01-01T00:00:00.000Z")


def _send_to(address: str, timeout: float = 5.0) -> None:
    fleet = HttpFleet(_Sessions(SESSION), _Hosts(address),  # type: ignore[arg-type]
                      SettingsKeyring("internal", "secret"), 0,
                      timeout_seconds=timeout)
    fleet.send(SESSION, MESSAGE)


@pytest.mark.parametrize("behave", [
    pytest.param(lambda conn: (_read_request(conn), _reset(conn)), id="reset after reading"),
    pytest.param(lambda conn: (_read_request(conn), conn.close()), id="closed without answer"),
    pytest.param(lambda conn: (_read_request(conn), conn.sendall(b"HTTP/1.1 200 OK\r\n"
                                                                 b"Content-Length: 100\r\n\r\n{"),
                               conn.close()), id="answer cut short"),
    pytest.param(_answer(500, _envelope("internal")), id="500"),
    pytest.param(_answer(502, b"<html>bad gateway</html>"), id="502 not ours"),
    pytest.param(_answer(503, b""), id="503 without our error"),
    pytest.param(_answer(504, _envelope("outcome_unknown")), id="504"),
])
def test_failures_once_the_request_may_have_arrived_are_outcome_unknown(behave):
    with misbehaving_host(behave) as url, pytest.raises(OutcomeUnknown):
        _send_to(url)


def test_a_host_that_never_answers_is_outcome_unknown():
    with misbehaving_host(lambda conn: (_read_request(conn), time.sleep(2), conn.close())) \
            as url, pytest.raises(OutcomeUnknown):
        _send_to(url, timeout=0.3)


def test_a_refused_connection_never_left():
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(SessionUnavailable):
        _send_to(dead)


def test_a_name_that_does_not_resolve_never_left(monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # no real lookup leaves the machine
    with pytest.raises(SessionUnavailable):
        _send_to("http://session-host.invalid:8100")


def test_a_connect_timeout_never_left():
    timeout = requests.ConnectTimeout(MaxRetryError(None, "/", ConnectTimeoutError("slow")))  # type: ignore[arg-type]
    assert never_left(timeout)
    assert not never_left(requests.ReadTimeout("read timed out"))
    assert not never_left(requests.ConnectionError(ConnectionResetError(104, "reset")))


def test_the_host_s_own_answers_keep_their_meaning():
    with misbehaving_host(_answer(503, _envelope("session_not_ready"))) as url, \
            pytest.raises(SessionUnavailable) as unavailable:
        _send_to(url)
    assert unavailable.value.code == "session_not_ready"
    with misbehaving_host(_answer(504, _envelope("already_attempted"))) as url, \
            pytest.raises(OutcomeUnknown) as unknown:
        _send_to(url)
    assert unknown.value.code == "already_attempted"
    with misbehaving_host(_answer(422, _envelope("not_on_whatsapp"))) as url, \
            pytest.raises(HostError) as refused:
        _send_to(url)
    assert (refused.value.status, refused.value.code) == (422, "not_on_whatsapp")


def test_a_signature_the_host_refused_is_safe_to_retry():
    """A host that read its keys just before a rotation refuses the new key for a few
    seconds: nothing was done, so the send waits and retries instead of failing."""
    with misbehaving_host(_answer(401, _envelope("bad_signature"))) as url, \
            pytest.raises(SessionUnavailable) as refused:
        _send_to(url)
    assert refused.value.code == "bad_signature"
