"""The fleet client: finds the host that owns a session (from its lease) and calls it over
the signed internal API."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from chalicelib.adapters.hosts_repo import DynamoHostRepo
from chalicelib.adapters.secrets import KeyringBase
from chalicelib.adapters.sessions_repo import DynamoSessionRepo
from chalicelib.domain import signing
from chalicelib.domain.errors import AppError, OutcomeUnknown, SessionUnavailable
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.live import LIVE_TIMEOUT_S, LiveOp, LiveResult
from chalicelib.domain.messages import Message
from chalicelib.domain.sessions import Session

log = logging.getLogger(__name__)
HOST_CACHE_MS = 5_000


class HostError(AppError):
    """An error answered by a host, passed on with its status and code."""

    def __init__(self, status: int, code: str, message: str,
                 details: list[Any] | None = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


def never_left(exc: requests.RequestException) -> bool:
    """True when a request failed before any byte of it could reach the host: the connection
    was refused, the name did not resolve, or connecting timed out."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # urllib3 2: NewConnectionError (refused) and NameResolutionError subclass this one.
    return isinstance(reason, ConnectTimeoutError)


class HttpFleet:
    def __init__(self, sessions: DynamoSessionRepo, hosts: DynamoHostRepo, keys: KeyringBase,
                 send_interval_ms: int, timeout_seconds: float = 30.0) -> None:
        self._sessions = sessions
        self._hosts = hosts
        self._keys = keys  # calls are signed with the current key
        self._timeout = timeout_seconds
        self._send_interval_ms = send_interval_ms
        self._http = requests.Session()
        self._known: dict[str, tuple[int, HostRecord]] = {}

    # --- finding hosts ---

    def _owner(self, session: Session) -> HostRecord | None:
        now_ms = int(time.time() * 1000)
        if not session.owner or session.lease_until_ms <= now_ms:
            return None
        host = self._host(session.owner, now_ms)
        return host if host and host.alive_until_ms > now_ms else None

    def _host(self, host_id: str, now_ms: int) -> HostRecord | None:
        """A host's registry record, cached briefly (a stale one is caught by the retry)."""
        cached = self._known.get(host_id)
        if cached and cached[0] > now_ms:
            return cached[1]
        host = self._hosts.get(host_id)
        if host is not None:  # never trust a copy past the heartbeat it was read from
            self._known[host_id] = (min(now_ms + HOST_CACHE_MS, host.alive_until_ms), host)
        return host

    def _least_loaded(self) -> HostRecord | None:
        hosts = [h for h in self._hosts.alive(int(time.time() * 1000)) if h.sessions < h.capacity]
        return min(hosts, key=lambda h: h.sessions / max(h.capacity, 1), default=None)

    # --- calls ---

    def _post(self, host: HostRecord, path: str, body: dict[str, Any],
              timeout_s: float | None = None) -> dict[str, Any]:
        """One signed call. Only a request that provably never left (refused, DNS, connect
        timeout) or that the host answered it did not act on (503 with our error) is
        SessionUnavailable (so is a signature the host refused: a rotation under way);
        any other failure once the request may have reached the host
        (reset, remote disconnect, read timeout, a 5xx) is OutcomeUnknown: the host may have
        acted, so it is never retried blindly. A 501 (the engine cannot) passes through."""
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(self._keys.current(), "POST", path, raw)}
        try:
            response = self._http.post(host.address.rstrip("/") + path, data=raw,
                                       headers=headers,
                                       timeout=(2.0, timeout_s or self._timeout))
        except requests.RequestException as exc:
            if never_left(exc):
                raise SessionUnavailable(
                    f"session host {host.host_id} is unreachable") from exc
            raise OutcomeUnknown(f"session host {host.host_id} did not answer "
                                 f"({type(exc).__name__})") from exc
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = {}
        error = payload.get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        status = response.status_code
        if status == 503 and error.get("code"):
            raise SessionUnavailable(error.get("message", "session host unavailable"),
                                     code=error["code"])
        if status == 401 and error.get("code") == "bad_signature":
            # Refused before acting: the host does not know this process's key yet (it read
            # its keys moments before a rotation and may re-read them only seconds later).
            raise SessionUnavailable(f"session host {host.host_id} refused the internal "
                                     "signature", code="bad_signature")
        if status >= 500 and status != 501:
            raise OutcomeUnknown(error.get("message", f"session host answered {status}"),
                                 code=error.get("code", "outcome_unknown"))
        if status >= 400:
            details = error.get("details")
            raise HostError(status, error.get("code", "host_error"),
                            error.get("message", f"session host answered {status}"),
                            details if isinstance(details, list) else None)
        return payload

    def _call_owner(self, session: Session, path: str, body: dict[str, Any],
                    deadline: float | None = None) -> dict[str, Any]:
        """Call the owning host; a stale owner (moved lease, dead host) is re-read once. With
        a ``deadline`` (monotonic), the whole call answers by then or is OutcomeUnknown."""
        for attempt in range(2):
            host = self._owner(session)
            if host is None:
                raise SessionUnavailable("no session host holds this session right now; "
                                         "it is being (re)started")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise OutcomeUnknown("the session host did not answer in time")
            try:
                return self._post(host, path, body, left)
            except (SessionUnavailable, HostError) as exc:
                stale = exc.code in ("not_owner", "session_unavailable")
                if not stale or attempt == 1:
                    raise
                self._known.clear()
                fresh = self._sessions.get(session.tenant_id, session.id)
                if fresh is None:
                    raise
                session = fresh
        raise SessionUnavailable("no session host holds this session")

    @staticmethod
    def _ref(session: Session) -> dict[str, Any]:
        return {"tenant_id": session.tenant_id, "session_id": session.id}

    def start(self, session: Session) -> None:
        host = self._owner(session) or self._least_loaded()
        if host is None:
            log.warning("no session host with room: %s waits for adoption", session.id)
            return
        try:
            self._post(host, "/internal/sessions/start", self._ref(session))
        except AppError as exc:  # a host will adopt it on its next sweep
            log.warning("start of %s on %s failed: %s", session.id, host.host_id, exc.message)

    def stop(self, session: Session, logout: bool = False) -> None:
        if self._owner(session) is None:
            return
        self._call_owner(session, "/internal/sessions/stop", {**self._ref(session),
                                                              "logout": logout})

    def send(self, session: Session, message: Message) -> dict[str, Any]:
        interval = session.send_interval_ms
        body = {**message.model_dump(mode="json"),
                "send_interval_ms": self._send_interval_ms if interval is None else interval}
        return self._call_owner(session, "/internal/messages/send",
                                {**self._ref(session), "message": body})

    def live(self, session: Session, op: LiveOp) -> LiveResult:
        """One live operation on the session's host, answered within ``LIVE_TIMEOUT_S`` (below
        API Gateway's 29 s), else OutcomeUnknown (504)."""
        payload = self._call_owner(session, "/internal/live", {**self._ref(session), **op.wire()},
                                   deadline=time.monotonic() + LIVE_TIMEOUT_S)
        return op.RESULT.model_validate(payload)
