"""End to end: a CloudWA client moves to wagate by changing the base URL. The local stack
(``make run``'s program) over real HTTP: login with a wagate username and password, a
session created with its ``webhook_url`` and paired by the QR code of ``sessions/status``
(parameters in a GET's JSON body, as the document sends them), the document's send reaching
READ in CloudWA's callbacks, an inbound message, an auto action replying with a template,
and a reverse OTP verified by the user's message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, wait_until
from chalicelib.devstack.listen import WebhookReceiver
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-demo-pass"
CONTACT = "201101782890"
USER = "+14155550123"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "stack", PASSWORD,
                             WAGATE_SANDBOX_DELIVERY_MS="200", WAGATE_SANDBOX_READ_MS="500")


def _events(receiver: WebhookReceiver, event: str) -> list[dict[str, Any]]:
    return [r["payload"] for r in receiver.received if r["payload"]["event"] == event]


def test_a_cloudwa_client_over_http(stack: StackProcess) -> None:
    b = stack.base
    api = f"{b.removesuffix('/v1')}/compat/cloudwa/api"
    login = requests.post(f"{api}/v2/auth/login", timeout=5,
                          json={"username": "admin", "password": PASSWORD})
    assert login.status_code == 200, login.text
    h = {"Authorization": f"Bearer {login.json()['access_token']}",
         "Accept": "application/json", "Accept-Language": "en"}
    team = requests.get(f"{api}/v2/auth/user", headers=h, timeout=5).json()["team_id"]
    assert requests.get(f"{api}/v2/auth/user", timeout=5).json() == {
        "message": "Unauthenticated."}
    receiver = WebhookReceiver()
    try:
        made = requests.post(f"{api}/v2/sessions", headers=h, timeout=5,
                             json={"name": "shop", "webhook_url": receiver.url})
        assert made.status_code == 201, made.text
        receiver.secret = made.json()["webhook_secret"]
        sid = made.json()["uuid"]

        def status(**query: Any) -> dict[str, Any]:
            return requests.get(f"{api}/v2/sessions/status", headers=h, timeout=15,
                                params=query, json={"session_uuid": sid}).json()

        shown = wait_until(lambda: status().get("qr") and status(), 20, "the QR code", 0.3)
        assert shown["status"] == "QR" and shown["qr"].startswith("2@")
        requests.post(f"{b}/sandbox/sessions/{sid}/scan", headers=h, timeout=5,
                      json={"phone": "+14155550100"})
        wait_until(lambda: status(no_action=1)["status"] == "CONNECTED", 20, "pairing", 0.2)

        sent = requests.post(f"{api}/v2/messages/send-message", headers=h, timeout=5, json={
            "session_uuid": sid, "chat_id": CONTACT, "typing_duration": 1, "type": "TEXT",
            "schedule_at": "2022-09-24T12:00:17", "urgency": "1",
            "message": "Hello Test From AQ-APPS"})
        assert sent.status_code == 200, sent.text
        number, uuid = sent.json()["id"], sent.json()["uuid"]
        wait_until(lambda: requests.get(f"{api}/v2/messages/show/{number}", headers=h,
                                        timeout=5).json()["status"] == "READ",
                   20, "the message to be read", 0.2)
        wait_until(lambda: "READ" in [e["data"]["status"] for e in
                                      _events(receiver, "message.status")
                                      if e["data"]["uuid"] == uuid], 20, "READ callback", 0.2)
        assert [e["data"]["status"] for e in _events(receiver, "message.status")
                if e["data"]["uuid"] == uuid] == ["SENT", "DELIVERED", "READ"]

        # an auto action answers "hello" with a template
        template = requests.post(f"{b}/templates", headers=h, timeout=5, json={
            "name": "welcome", "body": "Welcome {{name}}!"}).json()
        assert template["id"]
        shared = requests.patch(f"{b}/sessions/{sid}", headers=h, timeout=5,
                                json={"shared_otp": True})  # the platform's number, too
        assert shared.status_code == 200, shared.text
        action = requests.post(f"{api}/v3/{team}/auto-actions", headers=h, timeout=5, json={
            "keywords": ["hello"], "type": "REPLY", "lookup": "EXACT",
            "message_template_id": template["id"], "allow_groups": False,
            "sessions": [sid]})
        assert action.status_code == 201, action.text
        requests.post(f"{b}/sandbox/sessions/{sid}/inbound", headers=h, timeout=5,
                      json={"from": "+14155552671", "text": "hello", "push_name": "Ana"})
        inbound = wait_until(lambda: _events(receiver, "message.received"), 20,
                             "the inbound callback", 0.2)[0]
        assert (inbound["data"]["chat_id"], inbound["data"]["message"]) == (
            "14155552671@c.us", "hello")

        def replied() -> list[dict[str, Any]]:
            listed = requests.get(f"{api}/v2/messages", headers=h, timeout=5,
                                  json={"session_uuid": sid, "chat_id": "14155552671"}).json()
            return [m for m in listed if m["from_me"]]

        reply = wait_until(replied, 20, "the auto action's reply", 0.2)[0]
        assert reply["message"].startswith("Welcome")

        # a reverse OTP: the user sends the code to the shared number
        assert requests.get(f"{api}/v3/{team}/otps/shared-numbers", headers=h,
                            timeout=5).json() == ["+14155550100"]
        otp = requests.post(f"{api}/v3/{team}/otps", headers=h, timeout=5)
        assert otp.status_code == 201, otp.text
        code = otp.json()["otp"]
        requests.post(f"{b}/sandbox/sessions/{sid}/inbound", headers=h, timeout=5,
                      json={"from": USER, "text": f"code {code}"})
        verified = wait_until(lambda: (o := requests.get(
            f"{api}/v3/{team}/otps/{code}", headers=h, timeout=5).json())["status"] ==
            "VERIFIED" and o, 20, "the OTP to be verified", 0.2)
        assert verified["verified_by"] == USER
        assert receiver.rejected == []
    finally:
        receiver.close()
