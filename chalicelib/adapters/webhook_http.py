"""Outbound webhook POSTs through an SSRF-safe HTTP client (requests-hardened)."""

from __future__ import annotations

from requests_hardened import Config, Manager


class HardenedWebhookSender:
    """Refuses private, loopback and link-local targets (and re-checks redirects) unless
    ``allow_private`` is set, which only the local stack does."""

    def __init__(self, timeout_seconds: float, allow_private: bool = False) -> None:
        self._manager = Manager(Config(
            ip_filter_enable=not allow_private,
            ip_filter_allow_loopback_ips=allow_private,
            never_redirect=True,
            default_timeout=(3.0, timeout_seconds),
            user_agent_override="wagate-webhooks/1",
        ))

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        response = self._manager.send_request("POST", url, data=body, headers=headers)
        return response.status_code
