"""Signatures of the internal host API: HMAC-SHA256 over method, path, timestamp and body."""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 60
TIMESTAMP_HEADER = "X-Wagate-Timestamp"
SIGNATURE_HEADER = "X-Wagate-Signature"


def _digest(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    # The body enters as its hash, so no choice of path and body can collide with another.
    message = "\n".join([method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, method: str, path: str, body: bytes,
         now: float | None = None) -> dict[str, str]:
    """Headers that authenticate one internal request."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: _digest(secret, method, path, timestamp, body)}


def verify(secret: str, method: str, path: str, body: bytes, timestamp: str | None,
           signature: str | None, now: float | None = None) -> bool:
    """True when the signature matches and the timestamp is within ``MAX_SKEW_SECONDS``."""
    if not timestamp or not signature or not secret:
        return False
    try:
        skew = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    if skew > MAX_SKEW_SECONDS:
        return False
    expected = _digest(secret, method, path, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
