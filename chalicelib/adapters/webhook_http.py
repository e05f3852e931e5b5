"""Outbound webhook POSTs under the one SSRF policy (:mod:`chalicelib.adapters.safe_fetch`)."""

from __future__ import annotations

from chalicelib.adapters.safe_fetch import MAX_WEBHOOK_URL_LENGTH, SafeClient, UrlChecker
from chalicelib.domain.webhooks import RESPONSE_BODY_BYTES


class SafeWebhookSender:
    """POSTs to a webhook URL through a connection pinned to an address the policy allows;
    never follows a redirect (a 3xx is the answer). A refused URL raises ``ValidationFailed``
    on ``webhook_url`` before any connection; transport failures raise requests' errors."""

    def __init__(self, timeout_seconds: float, allow_private: bool = False) -> None:
        self._timeout_s = timeout_seconds
        # https is required unless private addresses are allowed (the local stack).
        self._client = SafeClient(UrlChecker(allow_private, MAX_WEBHOOK_URL_LENGTH,
                                             https_only=not allow_private),
                                  "wagate-webhooks/1")

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        return self._client.post(url, body, headers, "webhook_url", self._timeout_s,
                                 read_bytes=RESPONSE_BODY_BYTES)
