"""Fixtures the neonize engine's tests share: the offline fake WhatsApp network of
``test_neonize_engine`` (imported when a test asks for it, so modules without neonize still
collect) and a session's place on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.sessionhost.engines.base import EngineSession


@pytest.fixture
def wa(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake neonize network (``test_neonize_engine.FakeWhatsApp``), released after."""
    from tests.sessionhost.test_neonize_engine import FakeWhatsApp, starter_idle

    fake = FakeWhatsApp(monkeypatch)
    yield fake
    fake.release_all()
    starter_idle()


@pytest.fixture
def session(tmp_path: Path) -> EngineSession:
    return EngineSession("t1", "s1", tmp_path / "t1" / "s1" / "epoch-1")
