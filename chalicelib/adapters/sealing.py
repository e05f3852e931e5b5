"""Sealing: what must not be readable at rest (an OTP message's real text) is stored
encrypted with AES-256-GCM under a key derived from the pepper, and opened only to send it.
It is sealed under the current pepper and opened under any accepted one, so a text sealed
before a rotation of the pepper is still sent after it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.adapters.secrets import KeyringBase

NONCE_BYTES = 12
_KEY_LABEL = b"wagate/seal/v1"


class SealBroken(ValueError):
    """A sealed value that no accepted key can open (another pepper, or tampered with)."""


def _aead(pepper: str) -> AESGCM:
    return AESGCM(hmac.new(pepper.encode(), _KEY_LABEL, hashlib.sha256).digest())


class AesGcmSealer:
    def __init__(self, peppers: KeyringBase) -> None:
        self._peppers = peppers

    def seal(self, data: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = _aead(self._peppers.current()).encrypt(nonce, data, None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except ValueError as exc:
            raise SealBroken("the sealed value is not base64") from exc

        def opened(pepper: str) -> bytes | None:
            try:
                return _aead(pepper).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
            except (InvalidTag, ValueError):
                return None

        data = self._peppers.first(opened)
        if data is None:
            raise SealBroken("the sealed value cannot be opened with any accepted key")
        return data
