"""Fixtures for the fast service tests: a hand-moved clock and every service on fakes.

Any attempt to reach AWS from these tests fails loudly: the fakes must cover every port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters import aws
from tests.fakes import FakeClock, Services


def _no_aws(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a service test reached for AWS: a port is missing its fake")


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with FakeClock().installed() as fake:
        yield fake


@pytest.fixture
def services(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setattr(aws, "client", _no_aws)
    monkeypatch.setattr(aws, "dynamodb", _no_aws)
    return Services()
