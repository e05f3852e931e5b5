"""Sessions through the API, with a real (in-process) session host on the sandbox engine."""

from __future__ import annotations

import base64
import json

from chalicelib import resources
from tests.conftest import Tenant, assert_error, receive, wait_for


def _session(tenant: Tenant, session_id: str) -> dict:
    return tenant.call("GET", f"/v1/sessions/{session_id}").json


def _create(tenant: Tenant, **body) -> dict:
    response = tenant.call("POST", "/v1/sessions", {"name": "shop", **body})
    assert response.status_code == 201, response.body
    return response.json


def test_create_without_host_waits_in_starting(acme: Tenant):
    created = _create(acme)
    assert created["status"] == "STARTING"
    assert created["engine"] == "sandbox"
    assert _session(acme, created["id"])["status"] == "STARTING"


def test_webhook_secret_is_shown_once(acme: Tenant):
    # a public IP literal: a name would be resolved when registered, and tests never use DNS
    created = _create(acme, webhook_url="https://93.184.215.14/hook", start=False)
    assert created["webhook_secret"].startswith("whsec_")
    assert created["status"] == "STOPPED"
    shown = _session(acme, created["id"])
    assert "webhook_secret" not in shown
    assert shown["webhooks"][0]["url"] == "https://93.184.215.14/hook"
    assert "secret" not in shown["webhooks"][0]


def test_pairing_by_qr_then_scan(acme: Tenant, host):
    created = _create(acme)
    wait_for(lambda: _session(acme, created["id"])["status"] == "SCAN_QR")
    qr = acme.call("GET", f"/v1/sessions/{created['id']}/qr").json
    assert qr["qr"].startswith("2@")
    assert qr["image"].startswith("data:image/png;base64,")
    assert base64.b64decode(qr["image"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert qr["expires_at"].endswith("Z")
    png = acme.call("GET", f"/v1/sessions/{created['id']}/qr", headers={"Accept": "image/png"})
    assert png.status_code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.body[:8] == b"\x89PNG\r\n\x1a\n"

    scanned = acme.call("POST", f"/v1/sandbox/sessions/{created['id']}/scan",
                        {"phone": "+1 415 555 2671"})
    assert scanned.json == {"phone": "+14155552671", "status": "WORKING"}
    session = _session(acme, created["id"])
    assert session["status"] == "WORKING" and session["phone"] == "+14155552671"
    assert_error(acme.call("GET", f"/v1/sessions/{created['id']}/qr"), 409, "qr_not_available")


def test_status_changes_are_published_as_events(acme: Tenant, host):
    created = _create(acme)
    wait_for(lambda: _session(acme, created["id"])["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{created['id']}/scan", {})
    bodies = [json.loads(m["Body"]) for m in receive(resources.EVENT_QUEUE)]
    statuses = [b["data"]["status"] for b in bodies if b["type"] == "session.status"]
    assert statuses == ["SCAN_QR", "WORKING"]


def test_stop_start_restart_and_logout(acme: Tenant, host):
    sid = _create(acme)["id"]
    wait_for(lambda: _session(acme, sid)["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    stopped = acme.call("POST", f"/v1/sessions/{sid}/stop", {})
    assert stopped.json["status"] == "STOPPED"
    assert host.host.session_count == 0
    started = acme.call("POST", f"/v1/sessions/{sid}/start", {})
    assert started.json["status"] == "STARTING"
    # Paired before: it reconnects from its auth state, no new QR.
    wait_for(lambda: _session(acme, sid)["status"] == "WORKING")
    restarted = acme.call("POST", f"/v1/sessions/{sid}/restart", {})
    assert restarted.status_code == 200
    wait_for(lambda: _session(acme, sid)["status"] == "WORKING")
    out = acme.call("POST", f"/v1/sessions/{sid}/logout", {})
    assert out.json["status"] == "STOPPED" and out.json["reason"] == "logged_out"
    assert out.json["phone"] is None
    acme.call("POST", f"/v1/sessions/{sid}/start", {})
    # Logged out: it must be paired again.
    wait_for(lambda: _session(acme, sid)["status"] == "SCAN_QR")


def test_delete_session(acme: Tenant, host):
    sid = _create(acme)["id"]
    wait_for(lambda: _session(acme, sid)["status"] == "SCAN_QR")
    assert acme.call("DELETE", f"/v1/sessions/{sid}").json == {"deleted": True, "id": sid}
    assert_error(acme.call("GET", f"/v1/sessions/{sid}"), 404)
    assert host.host.session_count == 0


def test_list_sessions_paginates(acme: Tenant):
    ids = {_create(acme, start=False)["id"] for _ in range(3)}
    first = acme.call("GET", "/v1/sessions?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = acme.call("GET", f"/v1/sessions?limit=2&cursor={first['next_cursor']}").json
    assert {s["id"] for s in first["items"] + second["items"]} == ids
    assert second["next_cursor"] is None


def test_sandbox_actions_need_a_running_session(acme: Tenant, host):
    sid = _create(acme, start=False)["id"]
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {}), 503)
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "12"}), 422)
