"""``make run``: the whole gateway on loopback, with no AWS account and no phone.

Starts an embedded AWS (moto server), creates the declared tables and queues, a default
tenant and admin, the session host(s) with the sandbox engine, the Chalice API and a local
Lambda runtime that feeds the queue handlers. Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("wagate.devstack")


def _configure_environment() -> dict[str, str]:
    """Defaults for every setting the stack needs; what the caller set wins."""
    env = os.environ
    aws_port = int(env.get("AWS_PORT", "4566"))
    defaults = {
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "WAGATE_PREFIX": "wagate-local",
        "WAGATE_JWT_SECRET": secrets.token_urlsafe(32),
        "WAGATE_INTERNAL_SECRET": secrets.token_urlsafe(32),
        "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true",
        "WAGATE_STATE_DIR": str(ROOT / ".wagate" / "state"),
        "WAGATE_WEBHOOK_RETRY_SCHEDULE": "2,10,30,120,600",
        "WAGATE_LEASE_TTL_SECONDS": "10",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    return {"aws_port": str(aws_port), "port": env.get("PORT", "8000"),
            "hosts": env.get("HOSTS", "1"), "host_port": env.get("HOST_PORT", "8100")}


def _start_aws(port: int) -> object:
    from chalicelib.devstack.embedded_aws import EmbeddedAws

    server = EmbeddedAws(port)
    server.start()
    from chalicelib.adapters import aws
    from chalicelib.adapters.provision import provision
    from chalicelib.settings import get_settings

    provision(aws.client("dynamodb"), aws.client("sqs"), get_settings().prefix, aws.client("s3"),
              aws.client("scheduler"))
    return server


def _bootstrap_admin() -> tuple[str, str, bool]:
    from chalicelib.bootstrap import container
    from chalicelib.domain.auth import Role

    username = os.environ.get("WAGATE_ADMIN_USER", "admin")
    password = os.environ.get("WAGATE_ADMIN_PASSWORD", "")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    auth = container().auth
    auth.ensure_tenant("default", "Default tenant")
    if container().users.find_login(username) is None:
        auth.create_user(None, "default", username, password, Role.ADMIN)
    return username, password, generated


def _start_host(index: int, base_port: int) -> subprocess.Popen[bytes]:
    port = base_port + index
    env = {**os.environ, "WAGATE_HOST_PORT": str(port), "WAGATE_HOST_BIND": "127.0.0.1",
           "WAGATE_HOST_ID": f"local-host-{index + 1}",
           "WAGATE_HOST_ADDRESS": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.sessionhost"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/internal/health", timeout=1)
            return process
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit(f"session host {index + 1} exited at start") from None
            time.sleep(0.2)
    raise SystemExit(f"session host {index + 1} did not start")


def _start_api(port: int) -> object:
    from chalice.config import Config
    from chalice.local import ChaliceRequestHandler, create_local_server

    from app import app
    from chalicelib.devstack import routing

    routing.install()  # unknown paths reach the catch-all route, as on API Gateway

    class QuietHandler(ChaliceRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the API logs one line per request itself

    config = Config.create(chalice_stage="dev", app_name="wagate", chalice_app=app)
    server = create_local_server(app, config, "127.0.0.1", port)
    server.server.RequestHandlerClass = functools.partial(  # type: ignore[assignment]
        QuietHandler, app_object=app, config=config)
    threading.Thread(target=server.serve_forever, name="api", daemon=True).start()
    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "urllib3", "werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ports = _configure_environment()
    shutil.rmtree(os.environ["WAGATE_STATE_DIR"], ignore_errors=True)  # AWS state is fresh too
    sys.path.insert(0, str(ROOT))

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    aws_server = _start_aws(int(ports["aws_port"]))
    username, password, generated = _bootstrap_admin()
    hosts = [_start_host(i, int(ports["host_port"])) for i in range(int(ports["hosts"]))]
    api = _start_api(int(ports["port"]))

    from app import app
    from chalicelib import resources
    from chalicelib.adapters import aws
    from chalicelib.devstack.runtime import LocalLambdaRuntime
    from chalicelib.settings import get_settings

    groups = tuple(g.physical_name(get_settings().prefix) for g in resources.SCHEDULE_GROUPS)
    runtime = LocalLambdaRuntime(app, aws.client("sqs"), os.environ["AWS_DEFAULT_REGION"],
                                 scheduler=aws.client("scheduler"), schedule_groups=groups)
    runtime.start()

    base = f"http://127.0.0.1:{ports['port']}"
    print("\n".join([
        "",
        f"wagate is up: {base}/v1  (health: {base}/v1/health)",
        f"  admin user: {username}" + (f"   password: {password}  (generated: set "
                                        "WAGATE_ADMIN_PASSWORD to choose)" if generated else ""),
        f"  embedded AWS: {os.environ['AWS_ENDPOINT_URL']}",
        *(f"  session host local-host-{i + 1}: pid {p.pid}" for i, p in enumerate(hosts)),
        "  Ctrl-C stops everything.",
        "",
    ]), flush=True)

    while not stopping.wait(0.5):  # wake up now and then, so signal handlers always run
        pass
    print("stopping…", flush=True)
    for process in hosts:
        process.terminate()  # SIGTERM: the host drains
    runtime.stop()
    api.shutdown()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10  # hosts drain in well under a second
    for process in hosts:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    aws_server.stop()  # type: ignore[attr-defined]
    print("stopped.", flush=True)


if __name__ == "__main__":
    main()
