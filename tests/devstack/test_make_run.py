"""``make run`` is a good citizen: one process group that dies with ``make`` (whatever signal
``make`` gets), session hosts that die with the stack even when it is killed outright, a busy
port refused in one line before anything starts, and a log of one line per request or event.

Each test starts the real program on free loopback ports in a session of its own, so "nothing
remains" means: no live process in that process group, and every port bindable again.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from chalicelib.devstack import launch
from chalicelib.devstack.launch import StackProcess, free_ports, port_busy, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PASSWORD = "make-run-pass"
LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} [\w.-]+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S")
# PY and an empty STAMP: make runs this interpreter and installs nothing.
MAKE_RUN = ("make", "--no-print-directory", "run", f"PY={sys.executable}", "STAMP=")


def alive_in_group(pgid: int) -> list[psutil.Process]:
    alive = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == pgid and process.info["status"] != "zombie":
                alive.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return alive


def assert_gone(stack: StackProcess) -> None:
    """Nothing of the stack remains: no process in its group, no listening port."""
    stack.process.wait(timeout=60)
    pgid = stack.process.pid
    wait_until(lambda: not alive_in_group(pgid), 30,
               lambda: f"stack processes to end: {alive_in_group(pgid)}\n{stack.text()}")
    wait_until(lambda: not any(port_busy(p) for p in stack.ports), 30,
               f"ports {stack.ports} to be free")


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[..., StackProcess]]:
    """Starts ``make run`` (or ``python -m chalicelib.devstack``) in a process group of its
    own, and is ready."""
    started: list[StackProcess] = []

    def start(via_make: bool, hosts: int = 1, **settings: str) -> StackProcess:
        folder = tmp_path / f"run{len(started)}"
        folder.mkdir()
        command = MAKE_RUN if via_make else None
        started.append(launch.start(folder, hosts, {"WAGATE_ADMIN_PASSWORD": PASSWORD, **settings},
                                    command=command, new_session=True))
        return started[-1]

    yield start
    for running in started:  # whatever a failed test left behind
        running.kill()


def test_sigterm_to_make_stops_every_stack_process_and_frees_every_port(run):
    stack = run(via_make=True, hosts=2)
    make = psutil.Process(stack.process.pid)
    (python,) = make.children()  # the recipe execs python: no shell in between
    assert "chalicelib.devstack" in " ".join(python.cmdline())
    assert len(python.children()) == 2  # the session hosts

    os.kill(stack.process.pid, signal.SIGTERM)

    assert_gone(stack)
    log = stack.text()
    assert "stopped." in log and "drained" in log
    assert "Traceback" not in log


def test_sigkill_to_make_still_stops_the_stack_cleanly(run):
    stack = run(via_make=True)
    assert len(stack.children()) == 2

    os.kill(stack.process.pid, signal.SIGKILL)  # make cannot forward anything

    assert_gone(stack)
    log = stack.text()
    assert "is gone: stopping" in log  # the stack noticed its parent went away
    assert "stopped." in log and "drained" in log  # and stopped as on SIGTERM


def test_session_hosts_die_with_a_stack_killed_outright(run):
    stack = run(via_make=False, hosts=2)
    hosts = stack.children()
    assert len(hosts) == 2

    os.kill(stack.process.pid, signal.SIGKILL)

    assert_gone(stack)
    assert not any(h.is_running() and h.status() != psutil.STATUS_ZOMBIE for h in hosts)


@pytest.mark.parametrize(("index", "variable"), [(0, "PORT"), (1, "AWS_PORT"),
                                                 (2, "HOST_PORT"), (3, "HOST_PORT")])
def test_a_busy_port_is_refused_in_one_line_before_anything_starts(tmp_path, index, variable):
    ports = free_ports(4)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports[index]))
        taken.listen()
        stack = launch.start(tmp_path, hosts=2, ports=ports, new_session=True,
                             ready_timeout=None)
        stack.process.wait(timeout=120)
        left = alive_in_group(stack.process.pid)
        others_free = [not port_busy(p) for i, p in enumerate(ports) if i != index]

    assert stack.process.returncode != 0
    lines = [line for line in stack.text().splitlines() if line.strip()]
    assert lines == [f"wagate: port {ports[index]} is in use "
                     f"(set {variable}=… to choose another)"]
    assert left == []  # no process left behind
    assert all(others_free)  # nothing was started on the other ports
    assert not (tmp_path / "state").exists()  # nor anything else


def test_log_is_one_line_per_request_or_event_naming_its_ids_and_reasons(run):
    stack = run(via_make=False, WAGATE_SANDBOX_DELIVERY_MS="50", WAGATE_SANDBOX_READ_MS="100")
    b, http = stack.base, stack.login(PASSWORD)
    sid = stack.pair(http, "log")
    ok, bad = (http.post(f"{b}/messages", timeout=10, json={
        "session_id": sid, "to": to, "text": "hi"}).json()["id"]
        for to in ("+14155552671", "+14155550000"))  # …0000 is not on WhatsApp
    wait_until(lambda: http.get(f"{b}/messages/{ok}", timeout=10).json()["status"] == "read",
               30, "the first message to be read")
    wait_until(lambda: re.search(rf"message={bad} .*status=failed", stack.text()), 30,
               "the failure to reach the event worker")
    wait_until(lambda: all(re.search(rf"message={ok} .*status={status} done", stack.text())
                           for status in ("sent", "delivered", "read")), 30,
               "every status of the first message to reach the event worker")
    os.kill(stack.process.pid, signal.SIGTERM)
    assert_gone(stack)

    log = stack.text()
    without_banner = re.sub(r"\nwagate is up.*?Ctrl-C stops everything\.\n", "\n", log, flags=re.S)
    lines = [line for line in without_banner.splitlines() if line.strip()]
    assert lines and all(LINE.match(line) for line in lines), \
        [line for line in lines if not LINE.match(line)]
    assert any(re.match(r"\S+ local-host-1 INFO ", line) for line in lines)  # hosts: same format
    # The send worker and the event worker: one line per record, naming its ids.
    worker_lines = [line for line in lines if " workers " in line and f"message={ok}" in line]
    assert len(worker_lines) == 4, worker_lines  # the send, then sent, delivered, read
    assert re.search(rf" workers INFO send-normal: message={ok} tenant=default done$", log, re.M)
    for status in ("sent", "delivered", "read"):
        assert re.search(rf" workers INFO events: event=evt_\w+ type=message.status "
                         rf"message={ok} session={sid} tenant=default status={status} done$",
                         log, re.M), status
    assert re.search(rf"events: event=evt_\w+ type=message.status message={bad} session={sid} "
                     rf"tenant=default status=failed reason=not_on_whatsapp done$", log, re.M)
    assert len(re.findall(r" api INFO POST /v1/messages -> 202", log)) == 2
    # Quiet: no per-batch summaries beside the per-record lines, no banner of Chalice's own.
    assert "record(s)" not in log and "Serving on" not in log and "Traceback" not in log
