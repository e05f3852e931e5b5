"""The FCM HTTP v1 pusher against a loopback server standing in for both Google endpoints:
the OAuth2 token endpoint (google-auth posts its signed JWT assertion there, as the service
account's ``token_uri`` says) and ``/v1/projects/{project}/messages:send``."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.push import FCM_SCOPE, FcmPusher, classify
from chalicelib.domain.devices import Device, DeviceType, Push, PushOutcome

SEND_PATH = "/v1/projects/wagate-test/messages:send"
DEVICE = Device(id="dev_1", tenant_id="t1", user_id="u1", device_type=DeviceType.ANDROID,
                device_token="phone", notifiable_token="fcm-registration-token",
                created_at="2030-01-01T00:00:00.000Z", updated_at="2030-01-01T00:00:00.000Z")
PUSH = Push(event_id="evt_1", session_id="sess-1", title="Ann", body="hello",
            data={"event_id": "evt_1", "message_id": "msg-1"})
UNREGISTERED = {"error": {"code": 404, "message": "Requested entity was not found.",
                          "status": "NOT_FOUND", "details": [
                              {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                               "errorCode": "UNREGISTERED"}]}}
BAD_TOKEN = {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                       "message": "The registration token is not a valid FCM registration token",
                       "details": [
                           {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "INVALID_ARGUMENT"},
                           {"@type": "type.googleapis.com/google.rpc.BadRequest",
                            "fieldViolations": [{"field": "message.token",
                                                 "description": "Invalid registration token"}]}]}}


@dataclass
class FakeGoogle:
    """What the loopback server was sent, and what it answers next."""

    url: str = ""
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    sends: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hang: bool = False


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    state = FakeGoogle()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/token":
                state.token_requests.append(parse_qs(raw.decode()))
                self._answer(200, {"access_token": f"ya29.token-{len(state.token_requests)}",
                                   "expires_in": 3600, "token_type": "Bearer"})
                return
            state.sends.append((self.path, dict(self.headers), json.loads(raw)))
            if state.hang:
                state.release.wait(10)
            self._answer(*(state.answers.pop(0) if state.answers else (200, {"name": "m/1"})))

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account(key: rsa.RSAPrivateKey, token_uri: str) -> dict[str, str]:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "wagate-test", "private_key_id": "k1",
            "private_key": pem, "client_email": "pusher@wagate-test.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}


def pusher(google: FakeGoogle, key: rsa.RSAPrivateKey, timeout_s: float = 5.0) -> FcmPusher:
    return FcmPusher(service_account(key, f"{google.url}/token"), base_url=google.url,
                     timeout_s=timeout_s)


def test_a_push_is_an_fcm_v1_send_with_the_service_accounts_bearer_token(
        google: FakeGoogle, key: rsa.RSAPrivateKey):
    fcm = pusher(google, key)
    assert fcm.push(DEVICE, PUSH) == PushOutcome.SENT
    assert fcm.push(DEVICE, PUSH) == PushOutcome.SENT

    assert len(google.token_requests) == 1  # the token is kept until it expires
    grant = google.token_requests[0]
    assert grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(grant["assertion"][0], key.public_key(), algorithms=["RS256"],
                        audience="https://oauth2.googleapis.com/token")
    assert claims["scope"] == FCM_SCOPE
    assert claims["iss"] == "pusher@wagate-test.iam.gserviceaccount.com"

    path, headers, body = google.sends[0]
    assert path == SEND_PATH
    assert headers["Authorization"] == "Bearer ya29.token-1"
    assert body == {"message": {"token": "fcm-registration-token",
                                "notification": {"title": "Ann", "body": "hello"},
                                "data": {"event_id": "evt_1", "message_id": "msg-1"}}}
    assert all(isinstance(v, str) for v in body["message"]["data"].values())


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (404, UNREGISTERED, PushOutcome.UNREGISTERED),
    (404, {"error": {"code": 404, "status": "NOT_FOUND"}}, PushOutcome.UNREGISTERED),
    (400, BAD_TOKEN, PushOutcome.UNREGISTERED),
    (400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "details": [
        {"@type": "type.googleapis.com/google.rpc.BadRequest",
         "fieldViolations": [{"field": "message.data"}]}]}}, PushOutcome.FAILED),
    (500, {"error": {"code": 500, "status": "INTERNAL"}}, PushOutcome.FAILED),
    (503, "not json at all", PushOutcome.FAILED),
    (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, PushOutcome.FAILED),
    (401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}, PushOutcome.FAILED),
    (302, {}, PushOutcome.FAILED),
], ids=["unregistered", "not found", "bad token", "bad data", "500", "503 not json", "429",
        "401", "redirect"])
def test_what_fcm_answers_decides_the_devices_fate(google: FakeGoogle, key: rsa.RSAPrivateKey,
                                                   status: int, body: Any,
                                                   outcome: PushOutcome):
    google.answers.append((status, body))
    assert pusher(google, key).push(DEVICE, PUSH) == outcome


def test_a_push_that_gets_no_answer_gives_up_as_a_failure(google: FakeGoogle,
                                                          key: rsa.RSAPrivateKey):
    google.hang = True
    assert pusher(google, key, timeout_s=0.2).push(DEVICE, PUSH) == PushOutcome.FAILED
    assert len(google.sends) == 1


def test_a_token_endpoint_that_is_down_is_a_failure_and_nothing_is_sent(
        key: rsa.RSAPrivateKey):
    with socket.socket() as bound_not_listening:  # connections to it are refused at once
        bound_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        fcm = FcmPusher(service_account(key, f"{url}/token"), base_url=url, timeout_s=0.5)
        assert fcm.push(DEVICE, PUSH) == PushOutcome.FAILED


def test_classify_reads_only_what_it_understands():
    assert classify(200, None) == PushOutcome.SENT
    assert classify(404, {"error": "NOT_FOUND"}) == PushOutcome.FAILED
    assert classify(400, {"error": {"status": "INVALID_ARGUMENT", "details": [
        "junk", {"fieldViolations": ["junk", {"field": "message.token"}]}]}}) == \
        PushOutcome.UNREGISTERED


def test_credentials_without_a_project_are_refused(key: rsa.RSAPrivateKey):
    info = {**service_account(key, "http://127.0.0.1:9/token"), "project_id": ""}
    with pytest.raises(ValueError, match="project"):
        FcmPusher(info)
    assert FcmPusher(info, project_id="other")._url.endswith("/v1/projects/other/messages:send")


def test_the_container_builds_the_configured_pusher(key: rsa.RSAPrivateKey):
    from chalicelib.adapters.push import NoPusher
    from chalicelib.bootstrap import Container
    from tests.fakes import fake_settings

    assert isinstance(Container(fake_settings(push_provider="off")).pusher, NoPusher)
    credentials = json.dumps(service_account(key, "http://127.0.0.1:9/token"))
    built = Container(fake_settings(push_provider="fcm", fcm_credentials_json=credentials,
                                    fcm_project_id="other")).pusher
    assert isinstance(built, FcmPusher) and "/projects/other/" in built._url
    for broken in ({"push_provider": "fcm"}, {"push_provider": "apns"}):
        with pytest.raises(RuntimeError, match="WAGATE_"):
            _ = Container(fake_settings(**broken)).pusher
