"""Session-host figures: memory at rest and per idle session, and sessions started per second.

    .venv/bin/python bench/session_host.py [--sessions 200] [--neonize 20]

Runs one host in-process on moto (DynamoDB/SQS in the same process, so "at rest" includes
them; the per-session figures are deltas). Prints:
- RSS of the process with the host built, and after N idle WORKING sandbox sessions;
- RSS per constructed (not connected) neonize client, when neonize is installed;
- sessions started per second (claim lease, write status, engine start, QR, pairing) and,
  as the floor measured in the same run, bare conditional DynamoDB updates per second.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update(BENCH_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.domain import clock
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_sessions(n: int, tenant: str) -> list[str]:
    repo = bootstrap.container().sessions
    ids = []
    for i in range(n):
        now = clock.now_iso()
        session = Session(id=f"S{i:05d}", tenant_id=tenant, name=f"s{i}", engine="sandbox",
                          status=SessionStatus.STARTING, created_at=now, updated_at=now)
        repo.create(session)
        ids.append(session.id)
    return ids


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.01)


def bench_sandbox(n: int, state: Path) -> None:
    c = bootstrap.container()
    engine = SandboxEngine(qr_rotate_s=600)
    host = SessionHost("bench-host", "http://127.0.0.1:0", n + 10, c.sessions, c.messages,
                       c.hosts, c.events, {"sandbox": engine}, state, lease_ttl_s=300)
    host.run_background()
    ids = make_sessions(n, "bench")
    at_rest = rss_mb()

    started = time.perf_counter()
    for sid in ids:
        host.start_session("bench", sid)
    wait_until(lambda: all(r.status == SessionStatus.SCAN_QR for r in host._running.values()))
    for sid in ids:
        host.live("bench", sid, "sandbox.scan", {})
    elapsed = time.perf_counter() - started
    working = rss_mb()

    floor_n = 300
    table = aws.dynamodb().Table(c.sessions.table_name)
    t0 = time.perf_counter()
    for i in range(floor_n):
        table.update_item(Key={"pk": "bench", "sk": f"SESSION#{ids[i % n]}"},
                          UpdateExpression="SET touched = :t",
                          ConditionExpression="attribute_exists(pk)",
                          ExpressionAttributeValues={":t": i})
    floor_rate = floor_n / (time.perf_counter() - t0)
    rate = n / elapsed
    print(f"host at rest (incl. in-process moto):  {at_rest:8.1f} MB RSS")
    print(f"with {n} idle WORKING sandbox sessions: {working:8.1f} MB RSS")
    print(f"per idle sandbox session:              {(working - at_rest) * 1024 / n:8.1f} KB")
    print(f"sessions started per second (start → QR → scan → WORKING): {rate:8.1f}/s")
    print(f"floor, bare conditional DynamoDB updates (same run):       {floor_rate:8.1f}/s")
    print(f"ratio to floor:                                            {rate / floor_rate:8.3f}")
    host.kill()


def bench_neonize(n: int, state: Path) -> None:
    before_import = rss_mb()
    try:
        os.environ["NEONIZE_BOT_TAG"] = "off"
        from neonize.client import NewClient
    except ImportError:
        print("neonize not installed: skipped")
        return
    imported = rss_mb()
    clients = [NewClient(str(state / f"neonize-{i}.sqlite3"), uuid=f"bench-{i}")
               for i in range(n)]
    constructed = rss_mb()
    print(f"neonize import + Go runtime:           {imported - before_import:8.1f} MB")
    print(f"per constructed neonize client:        {(constructed - imported) * 1024 / n:8.1f} KB "
          f"({len(clients)} clients; whatsmeow's client is built in connect(), which needs "
          "the network)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--neonize", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        bootstrap.reset()
        provision(aws.client("dynamodb"), aws.client("sqs"),
                  bootstrap.container().settings.prefix)
        bench_sandbox(args.sessions, Path(tmp) / "sandbox")
        if args.neonize:
            bench_neonize(args.neonize, Path(tmp))


if __name__ == "__main__":
    main()
