"""Run one session host: ``python -m chalicelib.sessionhost`` (the Fargate container's command).

Configuration (environment): WAGATE_HOST_PORT (8100), WAGATE_HOST_BIND (0.0.0.0),
WAGATE_HOST_ADDRESS (advertised base URL), WAGATE_HOST_ID, WAGATE_HOST_CAPACITY (100),
plus the common WAGATE_* settings. SIGTERM drains: leases are released for others to adopt.
Under ``make run``, WAGATE_HOST_PARENT_PID names the stack that started the host: when it is
gone the host leaves at once (that stack held the AWS it would drain to).

Log lines: ``HH:MM:SS.mmm <host id> LEVEL message``, the format of ``make run``'s own lines.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from chalicelib import bootstrap
from chalicelib.domain import ids
from chalicelib.sessionhost.engines.base import EngineBase
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.environment import MetricEmitter, advertised_address
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server


def build_host(port: int) -> SessionHost:
    c = bootstrap.container()
    s = c.settings
    host_id = os.environ.get("WAGATE_HOST_ID") or f"{socket.gethostname()}-{ids.new_id()[-8:]}"
    address = advertised_address(os.environ, port)
    on_ecs = "ECS_CONTAINER_METADATA_URI_V4" in os.environ
    report = MetricEmitter(s.prefix, lambda line: print(line, flush=True)) if on_ecs else None
    sandbox = SandboxEngine(s.sandbox_delivery_ms, s.sandbox_read_ms,
                            s.sandbox_qr_rotate_seconds)
    sandbox.offer_history = s.sandbox_history
    sandbox.recipients = c.sandbox_recipients
    engines: dict[str, EngineBase] = {"sandbox": sandbox}
    if importlib.util.find_spec("neonize") is not None:  # the host image installs it
        from chalicelib.adapters.safe_fetch import SafeFetcher
        from chalicelib.sessionhost.engines.neonize import NeonizeEngine
        from chalicelib.sessionhost.link_preview import (
            MAX_IMAGE_BYTES,
            MAX_PAGE_BYTES,
            LinkPreviewer,
        )

        engines["neonize"] = NeonizeEngine(
            link_preview=LinkPreviewer(
                SafeFetcher(5.0, MAX_PAGE_BYTES, allow_private=s.allow_private_webhooks),
                SafeFetcher(5.0, MAX_IMAGE_BYTES, allow_private=s.allow_private_webhooks)))
    return SessionHost(host_id, address, int(os.environ.get("WAGATE_HOST_CAPACITY", "100")),
                       c.sessions, c.messages, c.hosts, c.events, engines,  # type: ignore[arg-type]
                       Path(s.state_dir), s.lease_ttl_seconds,
                       reconnect_attempts=s.reconnect_attempts, report_load=report,
                       media=c.media_store, self_check_s=s.self_check_seconds,
                       self_check_timeout_s=s.self_check_timeout_seconds, contacts=c.contacts,
                       chats=c.chat_repo,
                       history_bounds=(s.history_sync_days, s.history_sync_messages_per_chat))


def configure_logging(component: str) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, force=True, datefmt="%H:%M:%S",
                        format=f"%(asctime)s.%(msecs)03d {component} %(levelname)s %(message)s")
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def exit_with_parent(parent_pid: int) -> None:
    """Leave, without draining, as soon as ``parent_pid`` is no longer this process's parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        logging.warning("the stack (pid %d) is gone: leaving without draining", parent_pid)
        logging.shutdown()
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    configure_logging(os.environ.get("WAGATE_HOST_ID") or "host")
    if parent := os.environ.get("WAGATE_HOST_PARENT_PID"):
        exit_with_parent(int(parent))
    port = int(os.environ.get("WAGATE_HOST_PORT", "8100"))
    host = build_host(port)
    server = make_server(host, bootstrap.container().internal_keys,
                         os.environ.get("WAGATE_HOST_BIND", "0.0.0.0"), port)
    done = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logging.info("signal %d: draining", signum)
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host.heartbeat()
    host.run_background()
    logging.info("session host %s listening on %s", host.host_id, host.address)
    done.wait()
    host.drain()
    server.shutdown()
    logging.shutdown()
    # neonize can leave non-daemon Go threads blocked (see its engine): leave without them.
    os._exit(0)


if __name__ == "__main__":
    main()
