"""``wagate`` through typer's runner, against the API on moto over loopback HTTP."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from datetime import timedelta

import requests

from chalicelib import resources
from chalicelib.adapters import aws as aws_clients
from chalicelib.cli import config
from chalicelib.domain import clock
from tests.cli.conftest import Gateway, Wagate
from tests.conftest import (
    ADMIN_PASSWORD,
    PASSWORD,
    RunningHost,
    Tenant,
    call,
    queue_url,
    receive,
    run_worker,
    wait_for,
)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
                       "hKmMIQAAAABJRU5ErkJggg==")


def test_login_writes_the_config_that_later_commands_use(wagate: Wagate, admin_token,
                                                         gateway: Gateway):
    logged = wagate("login", "--username", "admin", "--password", ADMIN_PASSWORD,
                    url=gateway.url + "/v1/")
    assert logged.code == 0, logged.err
    path = config.config_path()
    assert logged.json["config"] == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.resolve(None, None).url == gateway.url  # "/v1/" dropped
    me = wagate("whoami", url=None)  # the URL and token come from the file
    assert me.code == 0, me.err
    assert me.json["role"] == "admin"


def test_flags_beat_the_environment_which_beats_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config.save("http://file.example", "file-key")
    assert config.resolve(None, None) == config.Config("http://file.example", "file-key")
    monkeypatch.setenv("WAGATE_URL", "http://env.example/v1")
    monkeypatch.setenv("WAGATE_KEY", "env-key")
    assert config.resolve(None, None) == config.Config("http://env.example", "env-key")
    assert config.resolve("http://flag.example/", "flag-key") == config.Config(
        "http://flag.example", "flag-key")


def test_an_api_error_exits_non_zero_with_the_apis_message(wagate: Wagate, acme: Tenant):
    refused = wagate("tenants", "list", key=acme.token, human=True)
    assert refused.code == 1
    assert "only a platform administrator may list tenants" in refused.err
    assert "forbidden" in refused.err and "HTTP 403" in refused.err
    unreachable = wagate("whoami", key=acme.token, url="http://127.0.0.1:9")
    assert unreachable.code == 1 and "cannot reach" in unreachable.err


def test_tenants_users_and_their_passwords(wagate: Wagate, admin_token, client):
    made = wagate("tenants", "create", "Initech", key=admin_token)
    assert made.code == 0, made.err
    tenant = made.json["id"]
    assert "Initech" in [t["name"] for t in wagate("tenants", "list", key=admin_token).json]
    user = wagate("users", "create", "peter", "--role", "owner", "--tenant", tenant,
                  "--password", PASSWORD, key=admin_token)
    assert user.code == 0, user.err
    token = call(client, "POST", "/v1/auth/login",
                 body={"username": "peter", "password": PASSWORD}).json["token"]
    listed = wagate("users", "list", key=token)  # the caller's own tenant by default
    assert [u["username"] for u in listed.json] == ["peter"]
    changed = wagate("users", "passwd", user.json["id"], "--tenant", tenant, key=admin_token,
                     human=True, typed="another-password-1\nanother-password-1\n")
    assert changed.code == 0, changed.err
    assert "peter" in changed.out  # asked twice, hidden, then the user is shown
    assert wagate("whoami", key=token).code == 1  # the old token stopped working
    deleted = wagate("users", "delete", user.json["id"], "--tenant", tenant, key=admin_token)
    assert deleted.json == {"deleted": True, "id": user.json["id"]}
    table = wagate("tenants", "list", key=admin_token, human=True)
    assert "Initech" in table.out and table.code == 0


def test_keys_are_created_shown_once_listed_and_revoked(wagate: Wagate, acme: Tenant, client):
    made = wagate("keys", "create", "ci", "--scope", "sessions:read", key=acme.token)
    assert made.code == 0, made.err
    assert call(client, "GET", "/v1/sessions", made.json["key"]).status_code == 200
    listed = wagate("keys", "list", key=acme.token).json
    assert [k["name"] for k in listed] == ["ci"] and "key" not in listed[0]
    assert wagate("keys", "revoke", made.json["id"], key=acme.token).code == 0
    assert call(client, "GET", "/v1/sessions", made.json["key"]).status_code == 401


def test_a_session_is_paired_from_the_terminal(wagate: Wagate, acme: Tenant, host: RunningHost,
                                               gateway: Gateway):
    created = wagate("sessions", "create", "till", key=acme.token)
    assert created.code == 0, created.err
    sid = created.json["id"]

    def scan() -> None:
        """The phone scans once the CLI has shown a code. It calls over HTTP, as the one
        server thread serves the app (the Chalice test client runs one request at a time)."""
        wait_for(lambda: ("GET", f"/v1/sessions/{sid}/qr", "200") in gateway.served,
                 interval=0.1)
        requests.post(f"{gateway.url}/v1/sandbox/sessions/{sid}/scan", timeout=10,
                      headers={"Authorization": f"Bearer {acme.token}"},
                      json={"phone": "+14155550123"})

    scanner = threading.Thread(target=scan)
    scanner.start()
    paired = wagate("sessions", "qr", sid, "--timeout", "30", key=acme.token, human=True)
    scanner.join()
    assert paired.code == 0, paired.err
    assert "▀" in paired.out or "█" in paired.out  # the QR code, drawn in the terminal
    assert "connected as +14155550123" in paired.out
    listed = wagate("sessions", "list", key=acme.token).json
    assert [(s["id"], s["status"]) for s in listed] == [(sid, "WORKING")]
    for verb in ("stop", "start", "restart"):
        assert wagate("sessions", verb, sid, key=acme.token).code == 0
    assert wagate("sessions", "logout", sid, key=acme.token).code == 0
    assert wagate("sessions", "delete", sid, key=acme.token).json["deleted"] is True


def test_qr_gives_up_when_the_phone_never_links(wagate: Wagate, acme: Tenant,
                                                host: RunningHost):
    sid = wagate("sessions", "create", "never", key=acme.token).json["id"]
    waited = wagate("sessions", "qr", sid, "--timeout", "1", key=acme.token)
    assert waited.code == 1 and "did not link" in waited.err


def test_send_text_and_file_then_read_them_back(wagate: Wagate, acme: Tenant, working: str,
                                                tmp_path):
    text = wagate("send", working, "+14155552671", "hello from the terminal", key=acme.token)
    assert text.code == 0, text.err
    picture = tmp_path / "logo.png"
    picture.write_bytes(PNG)
    image = wagate("send", working, "+14155552671", "our logo", "--file", str(picture),
                   key=acme.token)
    assert image.code == 0, image.err
    run_worker(resources.OUTBOUND)
    got = wagate("messages", "get", image.json["id"], key=acme.token).json
    assert (got["type"], got["content"]["caption"]) == ("image", "our logo")
    wait_for(lambda: wagate("messages", "get", text.json["id"], key=acme.token).json[
        "status"] == "read")
    listed = wagate("messages", "list", "--session", working, key=acme.token).json
    assert {m["id"] for m in listed} >= {text.json["id"], image.json["id"]}
    nothing = wagate("send", working, "+14155552671", key=acme.token)
    assert nothing.code == 2 and "give a text or --file" in nothing.err


def test_events_tail_prints_what_happened(wagate: Wagate, acme: Tenant, working: str):
    wagate("send", working, "+14155552671", "hi", key=acme.token)
    run_worker(resources.OUTBOUND)
    run_worker(resources.EVENT_QUEUE)
    tail = wagate("events", "tail", "--since", "600", "--no-follow", "--type", "message.*",
                  "--session", working, key=acme.token)
    assert tail.code == 0, tail.err
    events = [json.loads(line) for line in tail.out.splitlines()]
    assert "message.status" in {e["type"] for e in events}
    assert all(e["type"].startswith("message.") and e["session_id"] == working
               for e in events)
    first = wagate("events", "tail", "--since", "600", "--count", "1", key=acme.token)
    assert len(first.out.splitlines()) == 1


def test_webhook_deliveries_are_listed_and_redelivered(wagate: Wagate, acme: Tenant,
                                                       working: str):
    hook = acme.call("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/nobody"}).json
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+4915112345678", "text": "hi"})
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.WEBHOOK_DELIVERIES)
    assert [h["id"] for h in wagate("webhooks", "list", key=acme.token).json] == [hook["id"]]
    retrying = wagate("webhooks", "deliveries", hook["id"], "--status", "retrying",
                      key=acme.token).json
    assert retrying
    again = wagate("webhooks", "redeliver", hook["id"], retrying[0]["id"], key=acme.token)
    assert again.code == 0, again.err
    assert again.json["id"] == retrying[0]["id"]  # the same delivery, tried again now
    an_hour_ago = clock.iso(clock.now() - timedelta(hours=1))
    replay = wagate("webhooks", "replay", hook["id"], "--since", an_hour_ago, key=acme.token)
    assert replay.json["status"] == "queued"


def test_dead_letters_are_listed_and_redriven(wagate: Wagate, admin_token):
    aws_clients.client("sqs").send_message(
        QueueUrl=queue_url(resources.EVENT_QUEUE, dlq=True), MessageBody='{"poison": 1}')
    listed = wagate("dlq", "list", "--queue", "events", key=admin_token).json
    assert listed["queues"] == [{"queue": "events", "dead_letters": 1}]
    assert json.loads(listed["items"][0]["body"]) == {"poison": 1}
    moved = wagate("dlq", "redrive", "events", key=admin_token).json
    assert moved == {"queue": "events", "moved": 1, "dead_letters": 0}
    assert [json.loads(r["Body"]) for r in receive(resources.EVENT_QUEUE)] == [{"poison": 1}]
