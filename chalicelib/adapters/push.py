"""Pushes to devices: Firebase Cloud Messaging (HTTP v1), the sandbox (kept in the users
table so ``GET /v1/sandbox/pushes`` can read them back), and none."""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from boto3.dynamodb.conditions import Attr

from chalicelib.adapters.dynamo import TenantItems
from chalicelib.domain import clock
from chalicelib.domain.devices import Device, Push, PushOutcome
from chalicelib.domain.paging import Page

log = logging.getLogger(__name__)
FCM_URL = "https://fcm.googleapis.com"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
TIMEOUT_SECONDS = 5.0
SANDBOX_PUSH_TTL_SECONDS = 24 * 3600
# Sandbox devices whose notifiable_token starts with these act like a dead token or a push
# service that is down, so both paths can be tried through the API.
SANDBOX_UNREGISTERED = "unregistered"
SANDBOX_FAILING = "failing"


def fcm_message(device: Device, push: Push) -> dict[str, Any]:
    """The FCM HTTP v1 request body (data values are strings, as FCM requires)."""
    return {"message": {"token": device.notifiable_token,
                        "notification": {"title": push.title, "body": push.body},
                        "data": dict(push.data)}}


def classify(status: int, body: Any) -> PushOutcome:
    """What an FCM answer means for the device: sent, a dead token (404 ``UNREGISTERED`` /
    ``NOT_FOUND``, or 400 ``INVALID_ARGUMENT`` naming the token), or a failure this time."""
    if 200 <= status < 300:
        return PushOutcome.SENT
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    codes = {str(error.get("status", ""))} | {str(d.get("errorCode", "")) for d in details}
    if status == 404 and codes & {"NOT_FOUND", "UNREGISTERED"}:
        return PushOutcome.UNREGISTERED
    fields = {str(v.get("field", "")) for d in details
              for v in d.get("fieldViolations") or [] if isinstance(v, dict)}
    if status == 400 and "INVALID_ARGUMENT" in codes and "message.token" in fields:
        return PushOutcome.UNREGISTERED
    return PushOutcome.FAILED


class FcmPusher:
    """FCM HTTP v1 with a service account's OAuth2 token (google-auth), every request
    bounded by ``timeout_s`` and never redirected."""

    def __init__(self, credentials_info: dict[str, Any], project_id: str = "",
                 base_url: str = FCM_URL, timeout_s: float = TIMEOUT_SECONDS) -> None:
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        class BoundedRequest(Request):  # google-auth waits 120 s by default
            def __call__(self, *args: Any, **kwargs: Any) -> Any:
                return super().__call__(*args, **{**kwargs, "timeout": timeout_s})

        self._credentials = service_account.Credentials.from_service_account_info(
            credentials_info, scopes=[FCM_SCOPE])
        project = project_id or credentials_info.get("project_id") or ""
        if not project:
            raise ValueError("the FCM project id is unknown: set WAGATE_FCM_PROJECT_ID")
        self._url = f"{base_url.rstrip('/')}/v1/projects/{project}/messages:send"
        self._timeout_s = timeout_s
        self._session = requests.Session()
        self._auth_request = BoundedRequest(self._session)
        self._lock = threading.Lock()

    def _token(self) -> str:
        with self._lock:
            if not self._credentials.valid:
                self._credentials.refresh(self._auth_request)
            return str(self._credentials.token)

    def push(self, device: Device, push: Push) -> PushOutcome:
        from google.auth.exceptions import GoogleAuthError

        try:
            response = self._session.post(
                self._url, json=fcm_message(device, push), timeout=self._timeout_s,
                headers={"Authorization": f"Bearer {self._token()}"}, allow_redirects=False)
        except (requests.RequestException, GoogleAuthError) as exc:
            log.warning("push to device %s not sent: %s: %s", device.id, type(exc).__name__,
                        str(exc)[:300])
            return PushOutcome.FAILED
        try:
            body = response.json()
        except ValueError:
            body = None
        outcome = classify(response.status_code, body)
        if outcome == PushOutcome.FAILED:
            log.warning("push to device %s failed: HTTP %s %s", device.id, response.status_code,
                        response.text[:300])
        return outcome


class SandboxPushes:
    """The sandbox's pushes: each one an item of the users table (pk tenant id, sk
    ``PUSH#<event id>#<device id>``, gone after a day), so a push is stored once per event
    and device however often it is sent, and reads back newest first."""

    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)
        self._items = TenantItems(self._table, "PUSH")

    def push(self, device: Device, push: Push) -> PushOutcome:
        if device.notifiable_token.startswith(SANDBOX_UNREGISTERED):
            return PushOutcome.UNREGISTERED
        if device.notifiable_token.startswith(SANDBOX_FAILING):
            return PushOutcome.FAILED
        now = clock.now()
        self._items.put(device.tenant_id, f"{push.event_id}#{device.id}", {
            "id": f"{push.event_id}.{device.id}", "event_id": push.event_id,
            "session_id": push.session_id, "device_id": device.id, "user_id": device.user_id,
            "device_type": device.device_type.value, "title": push.title, "body": push.body,
            "data": push.data, "created_at": clock.iso(now),
            "expires_at_epoch": int(now.timestamp()) + SANDBOX_PUSH_TTL_SECONDS},
            must_exist=False)  # sent again for the same event: the first one stays
        return PushOutcome.SENT

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        """One page of the tenant's sandbox pushes, newest first (expired ones left out)."""
        now = int(clock.now().timestamp())
        items, next_cursor = self._items.page(tenant_id, limit, cursor, newest_first=True,
                                              FilterExpression=Attr("expires_at_epoch").gt(now))
        hidden = {"pk", "sk", "expires_at_epoch"}
        return Page([{k: v for k, v in i.items() if k not in hidden} for i in items],
                    next_cursor)


class NoPusher:
    """``push_provider = off``: nothing is sent, and nothing is disabled."""

    def push(self, device: Device, push: Push) -> PushOutcome:
        return PushOutcome.SENT
