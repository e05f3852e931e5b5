"""The local stack each end-to-end module starts: ``make run``'s program as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.devstack import launch
from chalicelib.devstack.launch import StackProcess

# The sandbox answers fast here: delivered after 100 ms, read after 200 ms.
QUICK = {"WAGATE_SANDBOX_DELIVERY_MS": "100", "WAGATE_SANDBOX_READ_MS": "200"}


def running_stack(factory: pytest.TempPathFactory, name: str, password: str, hosts: int = 1,
                  **settings: str) -> Iterator[StackProcess]:
    """Start a stack (its admin's password, ``QUICK`` unless overridden), yield it, kill it:
    a module-scoped fixture is ``yield from running_stack(...)``."""
    stack = launch.start(factory.mktemp(name), hosts=hosts, settings={
        "WAGATE_ADMIN_PASSWORD": password, **QUICK, **settings})
    yield stack
    stack.kill()
