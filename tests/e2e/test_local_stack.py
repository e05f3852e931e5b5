"""End to end: start the real local stack (``make run``'s program) as a subprocess and use it
over real HTTP, like a newcomer with curl would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chalicelib.devstack import launch
from chalicelib.devstack.launch import StackProcess, free_ports, wait_until
from chalicelib.devstack.listen import WebhookReceiver
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "wagate-demo-pass"  # the README walkthrough's


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "stack", PASSWORD,
                             WAGATE_SANDBOX_DELIVERY_MS="200",
                             WAGATE_SANDBOX_READ_MS="500")


def test_walkthrough_over_http_with_verified_webhooks(stack: StackProcess):
    b = stack.base
    assert requests.get(f"{b}/health", timeout=5).json()["status"] == "ok"
    token = requests.post(f"{b}/auth/login", json={"username": "admin", "password": PASSWORD},
                          timeout=5).json()["token"]
    key = requests.post(f"{b}/api-keys", headers={"Authorization": f"Bearer {token}"},
                        json={"name": "e2e", "scopes": ["sessions:read", "sessions:write",
                                                        "messages:read", "messages:send"]},
                        timeout=5).json()["key"]
    h = {"X-Api-Key": key}
    receiver = WebhookReceiver()
    try:
        created = requests.post(f"{b}/sessions", headers=h, timeout=5,
                                json={"name": "shop", "webhook_url": receiver.url}).json()
        receiver.secret = created["webhook_secret"]
        sid = created["id"]
        wait_until(lambda: requests.get(f"{b}/sessions/{sid}", headers=h, timeout=5).json()[
            "status"] == "SCAN_QR", 15, "the QR code", 0.2)
        qr = requests.get(f"{b}/sessions/{sid}/qr", headers=h, timeout=5).json()
        assert qr["qr"].startswith("2@") and qr["image"].startswith("data:image/png;base64,")
        png = requests.get(f"{b}/sessions/{sid}/qr", headers={**h, "Accept": "image/png"},
                           timeout=5)
        assert png.headers["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
        scanned = requests.post(f"{b}/sandbox/sessions/{sid}/scan", headers=h, json={},
                                timeout=5).json()
        assert scanned["status"] == "WORKING"

        mid = requests.post(f"{b}/messages", headers=h, timeout=5, json={
            "session_id": sid, "to": "+14155552671", "text": "Hello"}).json()["id"]
        read = wait_until(lambda: (m := requests.get(f"{b}/messages/{mid}", headers=h,
                                                     timeout=5).json())["status"] == "read" and m,
                          15, "the message to be read", 0.2)
        assert list(read["timestamps"]) == ["queued", "sending", "sent", "delivered", "read"]

        requests.post(f"{b}/sandbox/sessions/{sid}/inbound", headers=h, timeout=5,
                      json={"from": "+4915112345678", "text": "Thanks!"})
        wait_until(lambda: receiver.of_type("message.received"), 15, "the inbound webhook", 0.2)
        wait_until(lambda: len(receiver.of_type("message.status")) == 3, 15,
                   "three status webhooks", 0.2)
        assert receiver.rejected == []
        assert receiver.of_type("message.received")[0]["data"]["text"] == "Thanks!"
        assert [e["data"]["status"] for e in receiver.of_type("message.status")] == \
            ["sent", "delivered", "read"]
        assert [e["data"]["status"] for e in receiver.of_type("session.status")][-1] == \
            "WORKING"
    finally:
        receiver.close()
    log = stack.log.read_text()
    assert re.search(r"POST /v1/messages -> 202", log), "one log line per request"
    assert re.search(rf"send-normal: message={mid} tenant=default done", log), "one per event"


def _readme_walkthrough() -> str:
    """Every bash block of README's walkthrough section, in order, as one script."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, re.S))


@pytest.mark.slow
def test_readme_walkthrough_runs_verbatim(stack: StackProcess, tmp_path: Path):
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    hook_port, _ = free_ports(2)  # the walkthrough's listeners: HOOK_PORT and HOOK_PORT + 1
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", _readme_walkthrough()],
                            cwd=tmp_path, capture_output=True, text=True, timeout=180,
                            env={**os.environ, "B": stack.base, "HOOK_PORT": str(hook_port),
                                 "PYTHONPATH": str(ROOT)})
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert '"status": "WORKING"' in out
    assert "\nread\n" in out
    assert "Thanks!" in out
    assert "✓ verified message.received" in out
    assert "✓ verified message.status" in out
    assert (tmp_path / "qr.png").read_bytes()[:4] == b"\x89PNG"
    # Every message type of the second block was accepted, the scheduled one canceled,
    # and the Idempotency-Key answered the same id twice.
    assert out.count('"status": "queued"') >= 12, out
    assert "\ncanceled\n" in out and "\nTrue\n" in out
    ids = re.findall(r"^([0-9A-Z]{26})$", out, re.M)
    assert len(ids) >= 2 and ids[-1] == ids[-2], out
    assert "messages_today" in out
    # The webhooks block: a test delivery answered 204, a message.status delivery in the log,
    # a queued replay, a rotation's overlap, catch-up by event id, the catalogue.
    assert '"status": "succeeded", "http_status": 204' in out, out
    assert "\nsucceeded\n" in out and "\nqueued\n" in out and "\nsession.status\n" in out
    # The live block: a LID learned and looked up, a local name, chats, a label on the chat,
    # a group with its invite link, the profile, calls rejected (and said so), channel and
    # status posts queued, the session's health.
    assert out.count("1000099088868697@lid") >= 2 and "\nAda Customer\n" in out, out
    assert '"labeled": true' in out and "https://chat.whatsapp.com/" in out, out
    assert "\nOpen 9-5\n" in out and "'reject': True" in out, out
    # The call was rejected (True), then the next block set its OTP session (200).
    assert "'connected': True" in out and "\nTrue\n200\n" in out, out
    # Verification codes, bots and opt-outs: the code read from the phone verifies (the
    # message shows it masked), a reverse code sent to the shared number approves, the bot
    # answers by name, STOP opts out and a marketing send ends opted_out.
    assert re.search(r"code is \*{6}", out) and '"valid": true' in out, out
    assert "https://wa.me/14155550100?text=" in out and "\napproved\n" in out, out
    assert "\nHi Bo, we are open 9-5.\n" in out and "\n+4915112340001\n" in out, out
    assert "\nopted_out\n" in out, out
    # Campaigns: the campaign ran to the end, the opted-out number skipped, Ann got her
    # message, the recipients list names the skipped number; the session's budgets.
    assert "\nrunning\n" in out and "'opted_out': 1" in out and "'total': 3" in out, out
    assert "\nHi Ann, 20% off today\n" in out, out
    assert "\n4915112340001@s.whatsapp.net\n" in out and "'bulk': 300" in out, out
    # Dialects: the WACloud device is connected and its text read, WAChat's message reached
    # R, WhatsCloud's status got the integer id 1.
    assert "\nconnected\n" in out and out.count("\nread\n") >= 2 and "\nR\n" in out, out
    assert "{'id': 1, 'tenant_id': 'default', 'name': 'Interested'" in out, out
    # ... and CloudWA's and the whatsapp-web.js wrapper's sends were read (READ, ack 3).
    assert "\nREAD\n3\n" in out, out
    assert '"error": {' not in out, out


def test_a_method_nothing_routes_is_our_405(stack: StackProcess):
    """TRACE, QUERY…: the local API answers in our envelope, as every other refusal."""
    for method in ("TRACE", "QUERY"):
        answer = requests.request(method, f"{stack.base}/health", timeout=10)
        assert answer.status_code == 405, (method, answer.text)
        assert answer.json()["error"]["code"] == "method_not_allowed"


def test_sigterm_stops_everything_cleanly(stack: StackProcess):
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(timeout=30) == 0
    log = stack.log.read_text()
    assert "stopped." in log
    assert "drained" in log


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """``make run HOSTS=2`` with a short lease, to watch failover."""
    running = launch.start(tmp_path_factory.mktemp("fleet"), hosts=2, settings={
        "WAGATE_ADMIN_PASSWORD": PASSWORD, "WAGATE_LEASE_TTL_SECONDS": "3",
        "WAGATE_SANDBOX_DELIVERY_MS": "100", "WAGATE_SANDBOX_READ_MS": "200"})
    yield running
    assert running.stop(timeout=30), "the stack did not end within 30 s of SIGTERM"


def test_a_killed_host_s_sessions_move_to_the_other_host(two_hosts: StackProcess):
    b, http = two_hosts.base, two_hosts.login(PASSWORD)
    sids = [two_hosts.pair(http, name, timeout=15) for name in ("one", "two")]
    owners = {sid: http.get(f"{b}/sessions/{sid}", timeout=5).json()["host"] for sid in sids}
    assert set(owners.values()) == {"local-host-1", "local-host-2"}  # spread over the fleet

    victim_sid = sids[0]
    victim = owners[victim_sid]
    pid = two_hosts.host_pid(victim)
    os.kill(pid, signal.SIGKILL)  # no drain: its lease simply stops being renewed
    survivor = ({"local-host-1", "local-host-2"} - {victim}).pop()
    moved = wait_until(lambda: (s := http.get(f"{b}/sessions/{victim_sid}",
                                              timeout=5).json())["host"] == survivor
                       and s["status"] == "WORKING" and s, 20, f"{survivor} to adopt the session",
                       0.2)
    assert moved["phone"]  # auth state came along: no new QR scan
    mid = http.post(f"{b}/messages", timeout=5, json={
        "session_id": victim_sid, "to": "+14155552671", "text": "after failover"}).json()["id"]
    wait_until(lambda: http.get(f"{b}/messages/{mid}", timeout=5).json()["status"] == "read",
               15, "the message to be read", 0.2)
