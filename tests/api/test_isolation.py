"""Tenant isolation: one tenant can neither read, list nor change another's sessions,
messages, API keys, users, push devices or sandbox pushes, and gets 404 (never 403) so that
existence does not leak.

acme owns a WORKING sandbox session (plus an idle one), a sent and an inbound message, an
API key, two push devices and the pushes the inbound message gave them; globex attacks them
with its owner's login token and with an all-scopes API key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.domain import ids
from chalicelib.domain.auth import SCOPES
from tests.conftest import (
    PASSWORD,
    RunningHost,
    Tenant,
    assert_error,
    call,
    receive,
    run_worker,
    wait_for,
)

ALL_SCOPES = sorted(SCOPES)
ACME_PHONE = "+14155550100"  # the number acme's session is paired with
ACME_PEER = "+14155552671"  # whom acme writes to
ACME_SENDER = "+4915112345678"  # who writes to acme
GLOBEX_PEER = "+442071838750"
INTRUDER_USERNAME = "mallory"
ACME_HOOK = "http://127.0.0.1:9/acme-hook"  # nothing listens: deliveries wait to retry
ACME_DEVICE_TOKENS = ("acme-device-token-1", "acme-device-token-2")
ACME_FCM_TOKEN = "acme-fcm-token"

Caller = Callable[..., Any]


@dataclass
class AcmeWorld:
    tenant: Tenant
    host: RunningHost
    session_id: str  # WORKING
    idle_session_id: str  # STOPPED, so that acme's session list has a second page
    sent_id: str
    inbound_id: str
    key_id: str
    key: str
    webhook_id: str
    delivery_id: str
    device_id: str
    user_id: str  # acme's owner

    @property
    def ids(self) -> dict[str, str]:
        """The placeholders a route may name, with acme's values."""
        return {"sid": self.session_id, "sent": self.sent_id, "inbound": self.inbound_id,
                "key": self.key_id, "tenant": self.tenant.id, "wh": self.webhook_id,
                "dlv": self.delivery_id, "device": self.device_id, "user": self.user_id}

    @property
    def markers(self) -> list[str]:
        """Strings that must never show up in anything globex is answered."""
        return [self.tenant.id, self.session_id, self.idle_session_id, self.sent_id,
                self.inbound_id, self.key_id, self.key.rsplit("_", 1)[1],
                ACME_PHONE.lstrip("+"), ACME_PEER.lstrip("+"), ACME_SENDER.lstrip("+"),
                "acme-secret-text", self.webhook_id, self.delivery_id, ACME_HOOK,
                self.device_id, *ACME_DEVICE_TOKENS, ACME_FCM_TOKEN, self.user_id]

    def state(self) -> dict[str, Any]:
        """Everything acme can see of its own data (after the host handled pending events)."""
        self.host.host.flush()
        get = self.tenant.call
        return {
            "sessions": get("GET", "/v1/sessions?limit=100").json,
            "messages": get("GET", "/v1/messages?limit=100").json,
            "keys": get("GET", "/v1/api-keys?limit=100").json,
            "webhooks": get("GET", "/v1/webhooks?limit=100").json,
            "deliveries": get("GET", f"/v1/webhooks/{self.webhook_id}/deliveries?limit=100").json,
            "events": get("GET", "/v1/events?limit=100").json,
            "devices": get("GET", "/v1/devices?limit=100").json,
            "pushes": get("GET", "/v1/sandbox/pushes?limit=100").json,
            "users": get("GET", f"/v1/tenants/{self.tenant.id}/users?limit=100").json,
            "running": self.host.host.session_count,
        }

    def assert_untouched(self, before: dict[str, Any]) -> None:
        after = self.state()
        assert after == before, "acme's data changed after globex acted"
        assert after["running"] == 1
        # acme's key still authenticates and still sees acme's session.
        with_key = call(self.tenant.client, "GET", f"/v1/sessions/{self.session_id}", self.key)
        assert with_key.status_code == 200, with_key.body
        assert with_key.json["status"] == "WORKING"


@pytest.fixture
def world(acme: Tenant, host: RunningHost) -> AcmeWorld:
    created = acme.call("POST", "/v1/sessions", {"name": "acme-shop"})
    assert created.status_code == 201, created.body
    sid = created.json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR",
             interval=0.01)
    scanned = acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": ACME_PHONE})
    assert scanned.json == {"phone": ACME_PHONE, "status": "WORKING"}, scanned.body
    idle = acme.call("POST", "/v1/sessions", {"name": "acme-idle", "start": False}).json["id"]

    sent = acme.call("POST", "/v1/messages",
                     {"session_id": sid, "to": ACME_PEER, "text": "acme-secret-text"})
    assert sent.status_code == 202, sent.body
    assert run_worker(resources.OUTBOUND) == 1
    inbound = acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                        {"from": ACME_SENDER, "text": "hi"})
    assert inbound.status_code == 200, inbound.body
    # Let the receipts settle so that acme's data no longer changes by itself.
    def settled() -> list[dict[str, Any]] | None:
        items = acme.call("GET", "/v1/messages").json["items"]
        return items if sorted(m["status"] for m in items) == ["read", "received"] else None

    listed = wait_for(settled, interval=0.02)
    inbound_id = next(m["id"] for m in listed if m["direction"] == "inbound")

    key = acme.call("POST", "/v1/api-keys", {"name": "acme-key", "scopes": ALL_SCOPES})
    assert key.status_code == 201, key.body
    device_ids = []
    for device_token in ACME_DEVICE_TOKENS:
        device = acme.call("POST", "/v1/devices", {
            "device_type": "android", "device_token": device_token,
            "notifiable_token": ACME_FCM_TOKEN})
        assert device.status_code == 200, device.body
        device_ids.append(device.json["id"])
    hooks = [acme.call("POST", "/v1/webhooks", {"url": ACME_HOOK, "description": name})
             for name in ("acme-one", "acme-two")]
    assert [h.status_code for h in hooks] == [201, 201], hooks[0].body
    # The event worker stores the events and pushes the inbound message to both devices; the
    # delivery worker's first attempts fail (nothing listens) and wait for a retry.
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.WEBHOOK_DELIVERIES)
    assert len(acme.call("GET", "/v1/sandbox/pushes").json["items"]) == 2
    webhook_id = hooks[0].json["id"]
    deliveries = acme.call("GET", f"/v1/webhooks/{webhook_id}/deliveries").json["items"]
    assert len(deliveries) > 1
    return AcmeWorld(acme, host, sid, idle, sent.json["id"], inbound_id, key.json["id"],
                     key.json["key"], webhook_id, deliveries[0]["id"], device_ids[0],
                     acme.call("GET", "/v1/auth/me").json["user_id"])


@pytest.fixture
def intruders(globex: Tenant) -> list[tuple[str, Caller]]:
    """globex, once with its owner's login token and once with an all-scopes API key."""
    key = globex.api_key(ALL_SCOPES)

    def as_(credential: str) -> Caller:
        def caller(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
            return call(globex.client, method, path, credential, body, **kwargs)
        return caller

    return [("owner JWT", as_(globex.token)), ("API key", as_(key))]


def assert_no_leak(response: Any, world: AcmeWorld, who: str) -> None:
    body = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
    leaked = [m for m in world.markers if m in body]
    assert not leaked, f"globex ({who}) was shown acme's {leaked}: {body}"


def _filled(body: Any, values: dict[str, str]) -> Any:
    """A route's body with the ids its values name (``"{sent}"``) filled in."""
    if not isinstance(body, dict):
        return body
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}


# Every route that names one of acme's ids (in its path or body): (method, path, body).
ROUTES = [
    ("GET", "/v1/sessions/{sid}", None),
    ("DELETE", "/v1/sessions/{sid}", None),
    ("POST", "/v1/sessions/{sid}/start", {}),
    ("POST", "/v1/sessions/{sid}/stop", {}),
    ("POST", "/v1/sessions/{sid}/restart", {}),
    ("POST", "/v1/sessions/{sid}/logout", {}),
    ("GET", "/v1/sessions/{sid}/qr", None),
    ("POST", "/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550199"}),
    ("POST", "/v1/sandbox/sessions/{sid}/inbound", {"from": ACME_SENDER, "text": "hi"}),
    ("POST", "/v1/sandbox/sessions/{sid}/react",
     {"from": ACME_PEER, "message_id": "{sent}", "emoji": "👍"}),
    ("POST", "/v1/sandbox/sessions/{sid}/edit",
     {"from": ACME_SENDER, "message_id": "{inbound}", "text": "globex was here"}),
    ("POST", "/v1/sandbox/sessions/{sid}/revoke", {"from": ACME_SENDER, "message_id": "{inbound}"}),
    ("GET", "/v1/messages/{sent}", None),
    ("GET", "/v1/messages/{inbound}", None),
    ("DELETE", "/v1/api-keys/{key}", None),
    ("GET", "/v1/webhooks/{wh}", None),
    ("PATCH", "/v1/webhooks/{wh}", {"url": "http://127.0.0.1:9/globex"}),
    ("DELETE", "/v1/webhooks/{wh}", None),
    ("POST", "/v1/webhooks/{wh}/rotate-secret", {}),
    ("POST", "/v1/webhooks/{wh}/test", {}),
    ("GET", "/v1/webhooks/{wh}/deliveries", None),
    ("GET", "/v1/webhooks/{wh}/deliveries/{dlv}", None),
    ("POST", "/v1/webhooks/{wh}/deliveries/{dlv}/redeliver", {}),
    ("POST", "/v1/webhooks/{wh}/replay", {"since": "2026-01-01T00:00:00Z"}),
    ("DELETE", "/v1/devices/{device}", None),
    ("POST", "/v1/tenants/{tenant}/users",
     {"username": INTRUDER_USERNAME, "password": PASSWORD, "role": "owner"}),
    ("GET", "/v1/tenants/{tenant}/users", None),
    ("DELETE", "/v1/tenants/{tenant}/users/{user}", None),
    ("PUT", "/v1/tenants/{tenant}/users/{user}/password", {"new_password": "globex-owns-you"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_another_tenants_id_is_404(world: AcmeWorld, intruders: list[tuple[str, Caller]],
                                   method: str, path: str, body: Any):
    before = world.state()
    unknown = {name: ids.new_id() for name in world.ids}
    for who, intruder in intruders:
        response = intruder(method, path.format(**world.ids), _filled(body, world.ids))
        assert response.status_code == 404, (who, response.status_code, response.body)
        error = assert_error(response, 404)
        assert_no_leak(response, world, who)
        # Indistinguishable from an id that exists nowhere: existence does not leak.
        assert error == assert_error(intruder(method, path.format(**unknown),
                                              _filled(body, unknown)), 404), who
    world.assert_untouched(before)
    assert_error(call(world.tenant.client, "POST", "/v1/auth/login",
                      body={"username": INTRUDER_USERNAME, "password": PASSWORD}), 401)


def test_sending_through_another_tenants_session_is_422(
        world: AcmeWorld, intruders: list[tuple[str, Caller]]):
    before = world.state()
    for who, intruder in intruders:
        response = intruder("POST", "/v1/messages",
                            {"session_id": world.session_id, "to": GLOBEX_PEER, "text": "x"})
        error = assert_error(response, 422)
        assert [d["field"] for d in error["details"]] == ["session_id"], who
        assert_no_leak(response, world, who)
        unknown = intruder("POST", "/v1/messages",
                           {"session_id": ids.new_id(), "to": GLOBEX_PEER, "text": "x"})
        assert error == assert_error(unknown, 422), who
        assert receive(resources.OUTBOUND) == [], f"{who}: something was queued"
        assert intruder("GET", "/v1/messages").json["items"] == [], who
    world.assert_untouched(before)


LISTS = ["/v1/sessions", "/v1/messages", "/v1/messages?session_id={sid}",
         "/v1/messages?session_id={sid}&chat=%2B14155552671", "/v1/api-keys", "/v1/webhooks",
         "/v1/events", "/v1/events?session_id={sid}", "/v1/devices", "/v1/sandbox/pushes"]


def _with(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _forge(cursor: str, tenant_id: str) -> str:
    """acme's cursor, rewritten to claim globex's partition."""
    key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    key["pk"] = tenant_id
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize("template", LISTS)
def test_lists_and_cursors_never_show_another_tenants_items(
        world: AcmeWorld, globex: Tenant, intruders: list[tuple[str, Caller]], template: str):
    # globex has data of its own, so an empty list proves nothing by accident.
    own_session = globex.call("POST", "/v1/sessions", {"name": "globex"}).json
    wait_for(lambda: globex.call("GET", f"/v1/sessions/{own_session['id']}").json["status"]
             == "SCAN_QR", interval=0.01)
    globex.call("POST", f"/v1/sandbox/sessions/{own_session['id']}/scan", {})  # can send
    own_message = globex.call("POST", "/v1/messages", {"session_id": own_session["id"],
                                                       "to": GLOBEX_PEER, "text": "g"}).json
    globex.call("POST", f"/v1/sessions/{own_session['id']}/stop")  # the host runs acme's only
    # Each of acme's lists gets a second page (the extra message stays queued: no worker runs).
    if template == "/v1/api-keys":
        world.tenant.api_key(["sessions:read"])
    elif "chat=" in template:
        assert world.tenant.call("POST", "/v1/messages", {
            "session_id": world.session_id, "to": ACME_PEER, "text": "again"}).status_code == 202
    path = template.format(**world.ids)
    first = world.tenant.call("GET", _with(path, "limit=1"))
    cursor = first.json["next_cursor"]
    assert cursor, first.body
    before = world.state()
    acme_items = {item["id"] for key in ("sessions", "messages", "keys", "devices", "pushes")
                  for item in before[key]["items"]}
    expected = {"/v1/sessions": {own_session["id"]}, "/v1/messages": {own_message["id"]}}

    for who, intruder in intruders:
        listed = intruder("GET", _with(path, "limit=100"))
        assert listed.status_code == 200, (who, listed.body)
        listed_ids = {item["id"] for item in listed.json["items"]}
        assert not listed_ids & acme_items, who
        assert_no_leak(listed, world, who)
        if template == "/v1/api-keys":
            assert len(listed_ids) == 1, who  # just globex's own key
        else:
            assert listed_ids == expected.get(template, set()), who

        # acme's cursor, replayed by globex: refused like garbage, showing nothing.
        replayed = intruder("GET", _with(path, f"limit=1&cursor={cursor}"))
        error = assert_error(replayed, 422)
        assert [d["field"] for d in error["details"]] == ["cursor"], who
        assert_no_leak(replayed, world, who)
        garbage = intruder("GET", _with(path, "limit=1&cursor=bm90LWEtY3Vyc29y"))
        assert error == assert_error(garbage, 422), who
        # Rewritten to claim globex's own partition, it stays inside globex's data.
        forged = intruder("GET", _with(path, f"limit=1&cursor={_forge(cursor, globex.id)}"))
        assert forged.status_code in (200, 422), (who, forged.body)
        assert_no_leak(forged, world, who)

    world.assert_untouched(before)
    # acme itself can still page on with its cursor.
    second = world.tenant.call("GET", _with(path, f"limit=1&cursor={cursor}"))
    assert second.status_code == 200, second.body
    assert second.json["items"] and second.json["items"] != first.json["items"]
