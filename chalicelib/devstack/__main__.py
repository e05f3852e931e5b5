"""``make run``: the whole gateway on loopback, with no AWS account and no phone.

Starts an embedded AWS (moto server), creates the declared tables and queues, a default
tenant and admin, the session host(s) with the sandbox engine, the Chalice API and a local
Lambda runtime that feeds the queue handlers.

It behaves as one process group that lives and dies with whoever started it: a port in use
is refused in one line before anything starts; Ctrl-C, SIGTERM or SIGHUP — or its parent
(``make``) going away, even by SIGKILL — stops everything; the session hosts die with it even
if it is killed outright (Linux: ``PR_SET_PDEATHSIG``; elsewhere they watch their parent).
Its log is one line per request or event: ``HH:MM:SS.mmm component LEVEL message``.
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from chalicelib.devstack.launch import port_busy

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("wagate.devstack")
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(component)s %(levelname)s %(message)s"  # as the hosts'
LOG_DATE_FORMAT = "%H:%M:%S"
QUIET = ("botocore", "boto3", "urllib3", "werkzeug", "moto", "aws_lambda_powertools")
HOST_STOP_SECONDS = 10  # hosts drain in well under a second


def _configure_environment() -> dict[str, str]:
    """Defaults for every setting the stack needs; what the caller set wins."""
    env = os.environ
    aws_port = env.get("AWS_PORT", "4566")
    defaults = {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "WAGATE_PREFIX": "wagate-local",
        "WAGATE_JWT_SECRET": secrets.token_urlsafe(32),
        "WAGATE_INTERNAL_SECRET": secrets.token_urlsafe(32),
        "WAGATE_OTP_PEPPER": secrets.token_urlsafe(32),
        "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true",
        "WAGATE_STATE_DIR": str(ROOT / ".wagate" / "state"),
        "WAGATE_WEBHOOK_RETRY_SCHEDULE": "1,5,15,30,60,120",
        "WAGATE_LEASE_TTL_SECONDS": "10",
        "WAGATE_SELF_CHECK_SECONDS": "10",
        "WAGATE_PUSH_PROVIDER": "sandbox",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    return {"aws_port": aws_port, "port": env.get("PORT", "8000"),
            "hosts": env.get("HOSTS", "1"), "host_port": env.get("HOST_PORT", "8100")}


class _Component(logging.Filter):
    """Names a line's part of the stack after its logger: ``wagate.api`` → ``api``."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name.removeprefix("wagate.").removeprefix("chalicelib.")
        record.component = "devstack" if name == "root" else name.split(".")[0]
        return True


def configure_logging() -> None:
    """One line per record on stdout, in the format the session hosts share."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_Component())
    handler.setFormatter(logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _ports(settings: dict[str, str]) -> list[tuple[int, str]]:
    """Every port the stack will listen on, with the variable that chooses it."""
    try:
        api, aws, hosts, host_port = (int(settings[k]) for k in ("port", "aws_port", "hosts",
                                                                  "host_port"))
    except ValueError as exc:
        raise SystemExit(f"wagate: PORT, AWS_PORT, HOSTS and HOST_PORT must be numbers "
                         f"({exc})") from None
    if not 0 <= hosts <= 20:
        raise SystemExit("wagate: HOSTS must be between 0 and 20")
    ports = [(api, "PORT"), (aws, "AWS_PORT"),
             *((host_port + i, "HOST_PORT") for i in range(hosts))]
    for port, variable in ports:
        if not 1 <= port <= 65535:
            raise SystemExit(f"wagate: {variable}={port} is not a port")
    seen: dict[int, str] = {}
    for port, variable in ports:
        if port in seen:
            raise SystemExit(f"wagate: port {port} is asked for twice ({seen[port]} and "
                             f"{variable}; set one of them to another port)")
        seen[port] = variable
    return ports


def _in_use(port: int, variable: str) -> SystemExit:
    return SystemExit(f"wagate: port {port} is in use (set {variable}=… to choose another)")


def _refuse_busy_ports(ports: list[tuple[int, str]]) -> None:
    for port, variable in ports:
        if port_busy(port):
            raise _in_use(port, variable)


def _die_with_parent() -> Callable[[], object] | None:
    """A ``preexec_fn`` that has Linux kill the child when the stack dies (even by SIGKILL).
    The function is looked up before the fork, so the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    return functools.partial(prctl, pr_set_pdeathsig, int(signal.SIGKILL))


def _watch_parent(stopping: threading.Event) -> None:
    """Stop when the process that started the stack (``make``, a shell) is gone."""
    parent = os.getppid()

    def watch() -> None:
        while not stopping.wait(0.5):
            if os.getppid() != parent:
                log.warning("parent process %d is gone: stopping", parent)
                stopping.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class LocalStack:
    """What has been started so far, so a failed or interrupted start stops just that."""

    def __init__(self, ports: list[tuple[int, str]], stopping: threading.Event) -> None:
        self._api_port, self._aws_port = ports[0][0], ports[1][0]
        self._host_ports = [port for port, _ in ports[2:]]
        self._stopping = stopping
        self.aws: Any = None
        self.hosts: list[subprocess.Popen[bytes]] = []
        self.api: Any = None
        self.runtime: Any = None
        self.admin: tuple[str, str, bool] = ("", "", False)

    def start(self) -> bool:
        """Start every part; False when asked to stop on the way."""
        steps: list[Callable[[], None]] = [
            self._start_aws, self._bootstrap_admin,
            *(functools.partial(self._start_host, i) for i in range(len(self._host_ports))),
            self._start_api, self._start_runtime]
        for step in steps:
            if self._stopping.is_set():
                return False
            step()
        return not self._stopping.is_set()

    def _start_aws(self) -> None:
        from chalicelib.devstack.embedded_aws import EmbeddedAws

        try:
            self.aws = EmbeddedAws(self._aws_port)
        except OSError:
            raise _in_use(self._aws_port, "AWS_PORT") from None
        self.aws.start()
        from chalicelib.adapters import aws
        from chalicelib.adapters.provision import provision
        from chalicelib.settings import get_settings

        provision(aws.client("dynamodb"), aws.client("sqs"), get_settings().prefix,
                  aws.client("s3"), aws.client("scheduler"))

    def _bootstrap_admin(self) -> None:
        from chalicelib.bootstrap import container
        from chalicelib.domain.auth import Role

        username = os.environ.get("WAGATE_ADMIN_USER", "admin")
        password = os.environ.get("WAGATE_ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        tenancy = container().tenancy
        tenancy.ensure_tenant("default", "Default tenant")
        if container().users.find_login(username) is None:
            tenancy.create_user(None, "default", username, password, Role.ADMIN)
        self.admin = (username, password, generated)

    def _start_host(self, index: int) -> None:
        port = self._host_ports[index]
        env = {**os.environ, "WAGATE_HOST_PORT": str(port), "WAGATE_HOST_BIND": "127.0.0.1",
               "WAGATE_HOST_ID": f"local-host-{index + 1}",
               "WAGATE_HOST_ADDRESS": f"http://127.0.0.1:{port}",
               "WAGATE_HOST_PARENT_PID": str(os.getpid())}
        # Started from the main thread: PR_SET_PDEATHSIG fires when the forking thread ends.
        process = subprocess.Popen([sys.executable, "-m", "chalicelib.sessionhost"], cwd=ROOT,
                                   env=env, preexec_fn=_die_with_parent())
        self.hosts.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self._stopping.is_set():
            try:
                requests.get(f"http://127.0.0.1:{port}/internal/health", timeout=1)
                return
            except requests.ConnectionError:
                if process.poll() is not None:
                    if port_busy(port):
                        raise _in_use(port, "HOST_PORT") from None
                    raise SystemExit(f"wagate: session host {index + 1} exited at start "
                                     f"(code {process.returncode})") from None
                time.sleep(0.2)
        if not self._stopping.is_set():
            raise SystemExit(f"wagate: session host {index + 1} did not answer within 20 s")

    def _start_api(self) -> None:
        from chalice.config import Config
        from chalice.local import ChaliceRequestHandler, create_local_server

        from app import app
        from chalicelib.devstack import routing

        routing.install()  # unknown paths reach the catch-all route, as on API Gateway
        app.log.handlers.clear()  # Chalice gave its logger a handler of its own format
        app.log.propagate = True

        class QuietHandler(ChaliceRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the API logs one line per request itself

            def __getattr__(self, name: str) -> Any:
                """``do_<METHOD>`` for a method nothing routes (TRACE, CONNECT, QUERY…)."""
                if name.startswith("do_"):
                    return self._refuse_method
                raise AttributeError(name)

            def _refuse_method(self) -> None:
                """A method API Gateway does not route: 405 in our envelope, not
                http.server's 501 page."""
                body = json.dumps({"error": {"code": "method_not_allowed", "message":
                                             f"{self.command} is not supported",
                                             "details": []}}).encode()
                self.send_response(405)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        config = Config.create(chalice_stage="dev", app_name="wagate", chalice_app=app)
        try:
            server = create_local_server(app, config, "127.0.0.1", self._api_port)
        except OSError:
            raise _in_use(self._api_port, "PORT") from None
        server.server.RequestHandlerClass = functools.partial(  # type: ignore[assignment]
            QuietHandler, app_object=app, config=config)
        threading.Thread(target=server.server.serve_forever, name="api", daemon=True).start()
        self.api = server

    def _start_runtime(self) -> None:
        from app import app
        from chalicelib import resources
        from chalicelib.adapters import aws
        from chalicelib.devstack.runtime import LocalLambdaRuntime
        from chalicelib.settings import get_settings

        groups = tuple(g.physical_name(get_settings().prefix) for g in resources.SCHEDULE_GROUPS)
        self.runtime = LocalLambdaRuntime(app, aws.client("sqs"), os.environ["AWS_DEFAULT_REGION"],
                                          scheduler=aws.client("scheduler"), schedule_groups=groups,
                                          arrivals=self.aws.arrivals)
        self.runtime.start()

    def stop(self) -> None:
        """Stop what runs: hosts drain (to the embedded AWS, which stops last) while the
        runtime finishes its handlers in flight; each part within its own bound."""
        for process in self.hosts:
            if process.poll() is None:
                process.terminate()  # SIGTERM: the host drains
        if self.runtime is not None:
            self.runtime.stop()
        if self.api is not None:
            self.api.shutdown()
            self.api.server.server_close()
        deadline = time.monotonic() + HOST_STOP_SECONDS
        for index, process in enumerate(self.hosts):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("session host %d did not drain in %d s: killed", index + 1,
                            HOST_STOP_SECONDS)
                process.kill()
                process.wait()
        if self.aws is not None:
            self.aws.stop()

    def banner(self) -> str:
        username, password, generated = self.admin
        base = f"http://127.0.0.1:{self._api_port}"
        return "\n".join([
            "",
            f"wagate is up: {base}/v1  (health: {base}/v1/health)",
            f"  admin user: {username}" + (f"   password: {password}  (generated: set "
                                            "WAGATE_ADMIN_PASSWORD to choose)" if generated
                                            else ""),
            f"  embedded AWS: {os.environ['AWS_ENDPOINT_URL']}",
            *(f"  session host local-host-{i + 1}: pid {p.pid}"
              for i, p in enumerate(self.hosts)),
            "  Ctrl-C stops everything.",
            "",
        ])


def main() -> None:
    configure_logging()
    ports = _ports(_configure_environment())
    _refuse_busy_ports(ports)  # before anything starts, so nothing is left behind

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stopping.set())
    _watch_parent(stopping)
    shutil.rmtree(os.environ["WAGATE_STATE_DIR"], ignore_errors=True)  # AWS state is fresh too
    sys.path.insert(0, str(ROOT))

    stack = LocalStack(ports, stopping)
    try:
        if stack.start():
            print(stack.banner(), flush=True)
        while not stopping.wait(0.5):  # wake up now and then, so signal handlers always run
            pass
    finally:
        log.info("stopping…")
        stack.stop()
        log.info("stopped.")
    # Everything has stopped: leave now, not after the interpreter has freed a long run's heap
    # object by object, so "stopped." is the truth.
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
