"""The Secrets Manager rotation function of the gateway's own secrets (the JWT key, the
internal host key, the OTP pepper): each rotation makes a new random value AWSCURRENT, and the
value it replaces becomes AWSPREVIOUS, still accepted (verifies, opens) until the next
rotation. Secrets Manager calls it once per step with ``SecretId``, ``ClientRequestToken``
(the new version's id, staged AWSPENDING) and ``Step``; every step may be repeated (a retry)
and then does nothing more."""

from __future__ import annotations

import logging
import string
from typing import Any

from chalicelib.bootstrap import container
from chalicelib.services.ports import SecretVersions

log = logging.getLogger("wagate.workers")
LENGTH = 64  # letters and digits: about 380 bits
_ALPHABET = frozenset(string.ascii_letters + string.digits)
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


class RotationRefused(ValueError):
    """A step that must not run (Secrets Manager marks the rotation failed and retries)."""


def _create(versions: SecretVersions, secret_id: str, token: str) -> None:
    """A new random value staged AWSPENDING under ``token``, unless one is already."""
    if versions.value(secret_id, CURRENT) is None:
        raise RotationRefused(f"secret {secret_id} has no {CURRENT} value to rotate from")
    if versions.value(secret_id, PENDING, token) is None:
        versions.put_pending(secret_id, token, versions.random_value(LENGTH))
        log.info("rotation of %s: new value staged as version %s", secret_id, token)


def _set(versions: SecretVersions, secret_id: str, token: str) -> None:
    """Nothing outside holds these secrets: the gateway reads them from Secrets Manager."""


def _test(versions: SecretVersions, secret_id: str, token: str) -> None:
    """The pending value is readable and has the shape every reader accepts."""
    value = versions.value(secret_id, PENDING, token)
    if value is None or len(value) != LENGTH or not set(value) <= _ALPHABET:
        raise RotationRefused(f"the pending value of {secret_id} is missing or malformed")


def _finish(versions: SecretVersions, secret_id: str, token: str,
            stages: dict[str, list[str]]) -> None:
    """AWSCURRENT moves to ``token`` (the value it leaves becomes AWSPREVIOUS), and
    AWSPENDING is dropped, so the next rotation can begin."""
    current = next((v for v, labels in stages.items() if CURRENT in labels), None)
    if current != token:
        versions.make_current(secret_id, token, current)
        log.info("rotation of %s: version %s is current, %s previous", secret_id, token,
                 current)
    versions.drop_pending(secret_id, token)


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """One step of a rotation; refuses a secret whose rotation is not enabled, and a token
    that is not a version staged AWSPENDING (or already made current)."""
    try:
        secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    except KeyError as exc:
        raise RotationRefused(f"not a rotation event: no {exc.args[0]}") from None
    versions = container().secret_versions
    enabled, stages = versions.describe(secret_id)
    if not enabled:
        raise RotationRefused(f"rotation is not enabled for secret {secret_id}")
    labels = stages.get(token)
    if labels is None:
        raise RotationRefused(f"secret {secret_id} has no version {token} to rotate to")
    if CURRENT in labels and PENDING not in labels:
        return {"step": step, "secret": secret_id, "done": "already current"}
    if PENDING not in labels:
        raise RotationRefused(f"version {token} of {secret_id} is not staged {PENDING}")
    if step == "createSecret":
        _create(versions, secret_id, token)
    elif step == "setSecret":
        _set(versions, secret_id, token)
    elif step == "testSecret":
        _test(versions, secret_id, token)
    elif step == "finishSecret":
        _finish(versions, secret_id, token, stages)
    else:
        raise RotationRefused(f"unknown rotation step {step!r}")
    return {"step": step, "secret": secret_id, "done": "ok"}
