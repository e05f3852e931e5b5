"""The one way to start ``make run``'s program (``python -m chalicelib.devstack``) as a child
process, for tests, benchmarks and scripts.

:func:`start` picks free loopback ports (API, embedded AWS, then one per session host: the
hosts take consecutive ports from ``HOST_PORT``), gives the child the caller's environment
without its ``AWS_*`` and ``WAGATE_*`` settings (unless given), logs to ``stack.log`` and waits
for the banner (``wagate is up``). :class:`StackProcess` is the running stack: its base URL,
process, log, session host pids, an admin's HTTP session, sandbox pairing, and a bounded
stop. :func:`wait_until` is the one bounded poll tests and benchmarks share.

The stack itself never imports this module; psutil (a development requirement only) is
imported where it is needed.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import requests

if TYPE_CHECKING:
    import psutil

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
READY = "wagate is up"  # the first line of the stack's banner
PORT_ATTEMPTS = 200
EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range"
PRIVATE_PORTS_FROM = 20000
LOG_TAIL_CHARS = 3000
REAP_SECONDS = 30  # after SIGKILL, the process is gone at once; this only bounds the wait
HTTP_SECONDS = 10  # one request to the stack
T = TypeVar("T")


class StackFailed(RuntimeError):
    """The stack exited, or did not say it was up in time; the message ends with its log."""


def wait_until(predicate: Callable[[], T], timeout: float, what: str | Callable[[], str],
               interval: float = 0.1) -> T:
    """Call ``predicate`` every ``interval`` seconds until it returns something truthy, and
    return that. TimeoutError naming ``what`` (a text, or a function that gives one when the
    time is up) once ``timeout`` seconds have passed without it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {described}")
        time.sleep(interval)


def port_busy(port: int) -> bool:
    """Whether a server could not bind ``port`` on loopback now (probed with SO_REUSEADDR,
    as the stack's servers bind)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def _os_port() -> int:
    """A loopback port the operating system considers free."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _first_port() -> int:
    """Where to look for a block of free ports: below the range the system hands out for
    outgoing connections when it can (a port chosen there may be taken by any client's next
    connection before the stack binds it), else wherever the system says."""
    try:
        low = int(Path(EPHEMERAL_RANGE).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _os_port()
    if low - PRIVATE_PORTS_FROM < 1000:
        return _os_port()
    return random.randrange(PRIVATE_PORTS_FROM, low - 100)  # noqa: S311 (not a secret)


def free_ports(count: int) -> list[int]:
    """``count`` consecutive loopback ports that are all free now (outside the range of
    outgoing connections' ports where there is one); RuntimeError if none are found in a
    bounded number of tries."""
    for _ in range(PORT_ATTEMPTS):
        first = _first_port()
        block = list(range(first, first + count))
        if block[-1] <= 65535 and not any(port_busy(port) for port in block):
            return block
    raise RuntimeError(f"found no {count} consecutive free loopback ports "
                       f"in {PORT_ATTEMPTS} tries")


def free_port() -> int:
    """One free loopback port."""
    return free_ports(1)[0]


def environment(ports: Sequence[int], state_dir: Path, settings: Mapping[str, str],
                inherited: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: ``inherited`` without its ``AWS_*``, ``WAGATE_*`` and
    ``HOST_PORT``; then ``PORT``, ``AWS_PORT``, ``HOSTS`` (one per port after the first two),
    ``HOST_PORT`` (the first of those) and ``WAGATE_STATE_DIR``; then ``settings``, which win."""
    api, aws, *hosts = ports
    env = {key: value for key, value in inherited.items()
           if not key.startswith(("AWS_", "WAGATE_")) and key != "HOST_PORT"}
    env.update({"PORT": str(api), "AWS_PORT": str(aws), "HOSTS": str(len(hosts)),
                "WAGATE_STATE_DIR": str(state_dir)})
    if hosts:
        env["HOST_PORT"] = str(hosts[0])
    env.update(settings)
    return env


@dataclass
class StackProcess:
    """A stack started by :func:`start`."""

    process: subprocess.Popen[bytes]
    ports: list[int]  # API, embedded AWS, then one per session host
    log: Path
    own_group: bool  # started in a session of its own: ``kill`` ends its whole process group

    @property
    def base(self) -> str:
        """The native API's base URL (``…/v1``)."""
        return f"http://{LOOPBACK}:{self.ports[0]}/v1"

    def text(self) -> str:
        """The log so far (stdout and stderr)."""
        return self.log.read_text()

    def wait_ready(self, timeout: float) -> None:
        """Return once the stack says it is up; StackFailed with the log's tail, after killing
        what runs, if it exits or ``timeout`` seconds pass first."""
        try:
            wait_until(lambda: READY in self.text() or self.process.poll() is not None,
                       timeout, "the stack to start", interval=0.2)
        except TimeoutError:
            reason = f"did not say it was up within {timeout:g} s"
        else:
            if self.process.poll() is None:
                return
            reason = f"exited with code {self.process.returncode}"
        self.kill()
        raise StackFailed(f"the stack {reason}; its log ends:\n"
                          f"{self.text()[-LOG_TAIL_CHARS:]}")

    def host_pid(self, host_id: str) -> int:
        """The pid of session host ``host_id`` (``local-host-1``, …), from the banner."""
        found = re.search(rf"session host {re.escape(host_id)}: pid (\d+)", self.text())
        if found is None:
            raise LookupError(f"no session host {host_id} in the stack's banner")
        return int(found[1])

    def login(self, password: str, username: str = "admin") -> requests.Session:
        """HTTP as the stack's admin (``WAGATE_ADMIN_PASSWORD``): its bearer token is set."""
        http = requests.Session()
        answer = http.post(f"{self.base}/auth/login", timeout=HTTP_SECONDS,
                           json={"username": username, "password": password})
        answer.raise_for_status()
        http.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        return http

    def pair(self, http: requests.Session, name: str, timeout: float = 30.0) -> str:
        """Create a sandbox session named ``name``, scan its QR code once it shows one, and
        return its id once it is WORKING (each wait bounded by ``timeout`` seconds)."""
        sid = http.post(f"{self.base}/sessions", json={"name": name},
                        timeout=HTTP_SECONDS).json()["id"]

        def status() -> str:
            return http.get(f"{self.base}/sessions/{sid}", timeout=HTTP_SECONDS).json()["status"]

        wait_until(lambda: status() == "SCAN_QR", timeout, f"the QR code of {name}")
        http.post(f"{self.base}/sandbox/sessions/{sid}/scan", json={},
                  timeout=HTTP_SECONDS).raise_for_status()
        wait_until(lambda: status() == "WORKING", timeout, f"{name} to work")
        return sid

    def children(self) -> list[psutil.Process]:
        """Every process the stack's process started, recursively (the session hosts)."""
        import psutil

        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds; whether it
        ended on SIGTERM (True as well when it had already ended)."""
        if self.process.poll() is not None:
            return True
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the stack (its whole process group when it has one of its own; otherwise
        the session hosts die with it) and reap it."""
        if self.own_group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        elif self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=REAP_SECONDS)


def start(folder: Path, hosts: int = 1, settings: Mapping[str, str] | None = None, *,
          ports: Sequence[int] | None = None, command: Sequence[str] | None = None,
          new_session: bool = False, ready_timeout: float | None = 60.0) -> StackProcess:
    """Start the stack with ``hosts`` session hosts, logging to ``folder/stack.log`` and
    keeping its state in ``folder/state``, and wait up to ``ready_timeout`` seconds until it
    is up (not at all if None; see :meth:`StackProcess.wait_ready`).

    ``ports``: API, AWS, then one per host (default: free consecutive ones). ``command``: what
    to run instead of ``python -m chalicelib.devstack`` (``make run``, say), in the same
    environment. ``new_session``: in a session (and process group) of its own.
    """
    ports = list(ports) if ports is not None else free_ports(2 + hosts)
    if len(ports) != 2 + hosts:
        raise ValueError(f"{hosts} session host(s) need {2 + hosts} ports, not {len(ports)}")
    env = environment(ports, folder / "state", settings or {}, os.environ)
    log = folder / "stack.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own program, or the caller's command)
            list(command or (sys.executable, "-m", "chalicelib.devstack")), cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=new_session)
    stack = StackProcess(process, ports, log, new_session)
    if ready_timeout is not None:
        stack.wait_ready(ready_timeout)
    return stack
