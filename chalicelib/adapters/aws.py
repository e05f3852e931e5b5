"""Lazily built boto3 clients (built at first use, so moto and tests can swap them).

``AWS_ENDPOINT_URL`` (read by botocore itself) points them at the embedded AWS locally.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader, create_loader

_lock = threading.Lock()
_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3,
                 read_timeout=10)


@cache
def _loader() -> Loader:
    """The service models, read from disk once per process (they never change): a session
    made after ``reset()`` reuses them instead of parsing the JSON files again."""
    return create_loader()


@cache
def _session() -> boto3.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str) -> Any:
    with _lock:
        return _session().client(service, config=_CONFIG)


@cache
def dynamodb() -> Any:
    with _lock:
        return _session().resource("dynamodb", config=_CONFIG)


def reset() -> None:
    """Forget every client (tests call this when they start a new moto mock)."""
    _session.cache_clear()
    client.cache_clear()
    dynamodb.cache_clear()
