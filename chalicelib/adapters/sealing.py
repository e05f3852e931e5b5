"""Sealing: what must not be readable at rest (an OTP message's real text) is stored
encrypted with AES-256-GCM under a key derived from the pepper, and opened only to send it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
_KEY_LABEL = b"wagate/seal/v1"


class SealBroken(ValueError):
    """A sealed value that this key cannot open (another pepper, or tampered with)."""


class AesGcmSealer:
    def __init__(self, pepper: str) -> None:
        if len(pepper) < 16:
            raise RuntimeError("the pepper (WAGATE_OTP_PEPPER) must be at least 16 characters")
        key = hmac.new(pepper.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def seal(self, data: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, data, None)).decode()

    def open(self, token: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        except (InvalidTag, ValueError) as exc:
            raise SealBroken("the sealed value cannot be opened with this key") from exc
