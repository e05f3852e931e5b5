"""The gateway's own secrets (JWT key, internal host key, OTP pepper) as keyrings: the current
value, and the one it replaced while a rotation overlaps. From settings (local, dev, tests) or
from Secrets Manager (stages AWSCURRENT and AWSPREVIOUS, cached for a bounded time); and the
secret versions the rotation function moves."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)
_Found = TypeVar("_Found")
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"


def _checked(name: str, values: tuple[str, ...], min_length: int) -> tuple[str, ...]:
    if any(len(v) < min_length for v in values):
        raise RuntimeError(f"{name}: each value must be at least {min_length} characters")
    return values


class KeyringBase(ABC):
    """``current``, ``accepted`` and ``first`` over ``_values`` (current first)."""

    @abstractmethod
    def _values(self) -> tuple[str, ...]:
        """The accepted values, current first."""

    def _reread(self) -> bool:
        """Read the values again if allowed now; True when they changed."""
        return False

    def current(self) -> str:
        return self._values()[0]

    def accepted(self) -> tuple[str, ...]:
        return self._values()

    def first(self, check: Callable[[str], _Found | None]) -> _Found | None:
        tried = self._values()
        for value in tried:
            found = check(value)
            if found is not None:
                return found
        if not self._reread():
            return None
        for value in self._values():
            if value not in tried:
                found = check(value)
                if found is not None:
                    return found
        return None


class SettingsKeyring(KeyringBase):
    """A value and, optionally, the one before it, as configured."""

    def __init__(self, name: str, current: str, previous: str = "", min_length: int = 1) -> None:
        if not current:
            raise RuntimeError(f"set {name}")
        self._keys = _checked(name, (current, previous) if previous else (current,), min_length)

    def _values(self) -> tuple[str, ...]:
        return self._keys


class SecretsManagerKeyring(KeyringBase):
    """A secret's AWSCURRENT and AWSPREVIOUS values, read again once ``cache_s`` old, or
    sooner when a credential misses every cached value (at most once per ``refresh_min_s``).
    Thread-safe (the host's server verifies on many threads)."""

    def __init__(self, client: Any, secret_id: str, cache_s: float, refresh_min_s: float,
                 min_length: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._secret_id = secret_id
        self._cache_s = cache_s
        self._refresh_min_s = refresh_min_s
        self._min_length = min_length
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: tuple[str, ...] | None = None
        self._read_at = 0.0  # when the values were last read (or a read failed)

    def _values(self) -> tuple[str, ...]:
        with self._lock:
            if self._keys is None or self._clock() - self._read_at >= self._cache_s:
                self._read()
            assert self._keys is not None
            return self._keys

    def _reread(self) -> bool:
        with self._lock:
            if self._clock() - self._read_at < self._refresh_min_s:
                return False
            return self._read()

    def _read(self) -> bool:
        """Read both stages (two calls); on failure keep the values held, if any."""
        self._read_at = self._clock()
        try:
            current = self._stage(CURRENT)
            if current is None:
                raise RuntimeError(f"secret {self._secret_id} has no {CURRENT} value")
            previous = self._stage(PREVIOUS)
        except (BotoCoreError, ClientError):
            if self._keys is None:
                raise
            log.warning("could not read secret %s again; keeping its cached values",
                        self._secret_id, exc_info=True)
            return False
        keys = _checked(self._secret_id, (current, previous) if previous else (current,),
                        self._min_length)
        changed, self._keys = keys != self._keys, keys
        return changed

    def _stage(self, stage: str) -> str | None:
        return _value(self._client, self._secret_id, stage)


def _value(client: Any, secret_id: str, stage: str, version_id: str | None = None) -> str | None:
    kwargs = {"VersionId": version_id} if version_id else {}
    try:
        answer = client.get_secret_value(SecretId=secret_id, VersionStage=stage, **kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None  # no version has this stage (no previous yet), or it has no value
        raise
    value = answer.get("SecretString")
    return str(value) if value is not None else None


class SecretsManagerVersions:
    """What the rotation function reads and moves (the ``SecretVersions`` port)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe(self, secret_id: str) -> tuple[bool, dict[str, list[str]]]:
        meta = self._client.describe_secret(SecretId=secret_id)
        stages = {version: list(labels)
                  for version, labels in meta.get("VersionIdsToStages", {}).items()}
        return bool(meta.get("RotationEnabled")), stages

    def value(self, secret_id: str, stage: str, version_id: str | None = None) -> str | None:
        return _value(self._client, secret_id, stage, version_id)

    def put_pending(self, secret_id: str, version_id: str, value: str) -> None:
        self._client.put_secret_value(SecretId=secret_id, ClientRequestToken=version_id,
                                      SecretString=value, VersionStages=[PENDING])

    def random_value(self, length: int) -> str:
        return str(self._client.get_random_password(PasswordLength=length,
                                                    ExcludePunctuation=True)["RandomPassword"])

    def make_current(self, secret_id: str, version_id: str, current_id: str | None) -> None:
        self._client.update_secret_version_stage(
            SecretId=secret_id, VersionStage=CURRENT, MoveToVersionId=version_id,
            **({"RemoveFromVersionId": current_id} if current_id else {}))

    def drop_pending(self, secret_id: str, version_id: str) -> None:
        self._client.update_secret_version_stage(SecretId=secret_id, VersionStage=PENDING,
                                                 RemoveFromVersionId=version_id)
