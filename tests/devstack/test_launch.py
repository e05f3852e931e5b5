"""``chalicelib.devstack.launch``: the ports it picks, the environment it gives the stack, and
how it reports a stack that never comes up. (Starting the real stack is covered by
``test_make_run`` and ``tests/e2e``.)"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from chalicelib.devstack import launch
from chalicelib.devstack.launch import StackFailed, free_ports, port_busy, wait_until


def test_free_ports_are_consecutive_and_free():
    ports = free_ports(4)

    assert ports == list(range(ports[0], ports[0] + 4))
    assert not any(port_busy(port) for port in ports)


def test_ports_are_picked_below_the_range_of_outgoing_connections():
    low = int(Path(launch.EPHEMERAL_RANGE).read_text().split()[0])
    assert all(launch.PRIVATE_PORTS_FROM <= free_ports(3)[0] < low for _ in range(20))


def test_a_block_with_a_busy_port_is_skipped(monkeypatch):
    p0, p1, p2, p3 = free_ports(4)
    offers = iter([p0, p2])
    monkeypatch.setattr(launch, "_first_port", lambda: next(offers))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", p1))
        taken.listen()

        assert free_ports(2) == [p2, p3]  # p0's block holds the busy p1


def test_port_picking_gives_up_after_a_bounded_number_of_tries(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(launch, "_first_port", lambda: busy)

        with pytest.raises(RuntimeError, match="no 2 consecutive free loopback ports"):
            free_ports(2)


def test_the_stack_gets_its_ports_and_none_of_the_caller_s_aws_or_wagate_settings(tmp_path):
    inherited = {"PATH": "/bin", "HOME": "/home/x", "AWS_PROFILE": "prod",
                 "AWS_ENDPOINT_URL": "https://aws", "WAGATE_PREFIX": "prod", "HOST_PORT": "9",
                 "PORT": "1", "HOSTS": "7"}

    env = launch.environment([5000, 5001, 5002, 5003], tmp_path / "state",
                             {"WAGATE_PREFIX": "given", "HOSTS": "2"}, inherited)

    assert env == {"PATH": "/bin", "HOME": "/home/x", "PORT": "5000", "AWS_PORT": "5001",
                   "HOST_PORT": "5002", "HOSTS": "2", "WAGATE_STATE_DIR": str(tmp_path / "state"),
                   "WAGATE_PREFIX": "given"}


def test_without_session_hosts_no_host_port_is_set(tmp_path):
    env = launch.environment([5000, 5001], tmp_path, {}, {"HOST_PORT": "9"})

    assert env["HOSTS"] == "0" and "HOST_PORT" not in env


def _fake_stack(code: str) -> list[str]:
    """A stand-in for the stack's program: Python running ``code``."""
    return [sys.executable, "-c", code]


def test_a_stack_that_exits_before_it_is_up_fails_with_its_log(tmp_path: Path):
    with pytest.raises(StackFailed, match=r"exited with code 3(.|\n)*port 1 is in use"):
        launch.start(tmp_path, command=_fake_stack(
            "print('wagate: port 1 is in use', flush=True); raise SystemExit(3)"))


def test_a_stack_that_never_says_it_is_up_is_killed_and_fails(tmp_path: Path):
    with pytest.raises(StackFailed, match=r"did not say it was up within 0.5 s(.|\n)*starting"):
        launch.start(tmp_path, ready_timeout=0.5, command=_fake_stack(
            "import time; print('starting', flush=True); time.sleep(60)"))


def test_a_stack_that_is_up_gives_its_base_url_host_pids_and_stops_on_sigterm(tmp_path: Path):
    stack = launch.start(tmp_path, hosts=2, command=_fake_stack(
        "import time; print('wagate is up: …\\n  session host local-host-2: pid 4242', "
        "flush=True); time.sleep(60)"))
    try:
        assert stack.base == f"http://127.0.0.1:{stack.ports[0]}/v1"
        assert len(stack.ports) == 4
        assert stack.host_pid("local-host-2") == 4242
        with pytest.raises(LookupError):
            stack.host_pid("local-host-3")

        assert stack.stop(timeout=30)
        assert stack.process.returncode is not None
    finally:
        stack.kill()


def test_wait_until_returns_the_value_or_names_what_it_waited_for():
    values = iter([0, None, "ready"])
    assert wait_until(lambda: next(values), 5, "a value", interval=0.01) == "ready"

    with pytest.raises(TimeoutError, match="waiting for the moon: still 0"):
        wait_until(lambda: 0, 0.05, lambda: "the moon: still 0", interval=0.01)
