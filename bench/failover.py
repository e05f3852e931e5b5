"""Failover of a killed session host, over real processes: how long until its session sends
again, and how many messages went out twice (must be 0).

    .venv/bin/python bench/failover.py [--trials 3] [--budget 170]

Each trial starts ``make run``'s program (``python -m chalicelib.devstack``, HOSTS=2, its own
lease TTL of 10 s) on free loopback ports, pairs a sandbox session over HTTP, keeps sending
to it (a message every 0.25 s), SIGKILLs the host that owns it (no drain: its lease simply
stops being renewed) and measures, by wall clock, the time from the kill to the first
message that reaches "sent" on that session. The sandbox engines append every send to one
wire log (WAGATE_SANDBOX_WIRE_LOG), so sends by the killed host count too: a text that
appears twice on the wire is a duplicate. Prints one line per trial and a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.devstack import launch
from chalicelib.devstack.launch import wait_until

PASSWORD = "bench-failover-pass"  # noqa: S105 (a throwaway local admin)
SEND_EVERY_S = 0.25
TO = "+14155552671"


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Stack:
    """``make run`` with two hosts, on free ports, logging to a file; an admin's HTTP."""

    def __init__(self, tmp: Path) -> None:
        self.wire = tmp / "wire.jsonl"
        self.child = launch.start(tmp, hosts=2, settings={
            "WAGATE_ADMIN_PASSWORD": PASSWORD, "WAGATE_SANDBOX_WIRE_LOG": str(self.wire),
            "WAGATE_SEND_INTERVAL_MS": "100"})
        self.base = self.child.base
        self.http = self.child.login(PASSWORD)

    def get(self, path: str) -> dict:
        return self.http.get(self.base + path, timeout=10).json()

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(self.base + path, json=body, timeout=10)


def duplicates(wire: Path) -> tuple[int, int]:
    """(sends on the wire, texts sent more than once)."""
    if not wire.exists():
        return 0, 0
    texts = [json.loads(line)["text"] for line in wire.read_text().splitlines() if line]
    return len(texts), sum(1 for t in set(texts) if texts.count(t) > 1)


def trial(number: int, tmp: Path) -> dict:
    stack = Stack(tmp)
    try:
        sid = stack.child.pair(stack.http, f"failover-{number}", timeout=20)
        accepted: dict[str, str] = {}
        stop = threading.Event()

        def keep_sending() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                text = f"trial {number} message {n}"
                response = stack.post("/messages", {"session_id": sid, "to": TO, "text": text})
                if response.status_code == 202:
                    accepted[response.json()["id"]] = text
                stop.wait(SEND_EVERY_S)

        sender = threading.Thread(target=keep_sending, daemon=True)
        sender.start()
        time.sleep(1.0 + number % 3)  # let sends flow; kill at a different point each time
        victim = stack.get(f"/sessions/{sid}")["host"]
        pid = stack.child.host_pid(victim)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()

        def first_sent_after_kill() -> float | None:
            page = stack.get(f"/messages?session_id={sid}&limit=100")
            sent = [epoch(m["timestamps"]["sent"]) for m in page["items"]
                    if "sent" in m["timestamps"] and epoch(m["timestamps"]["sent"]) > killed_at]
            return min(sent) if sent else None

        try:
            first = wait_until(first_sent_after_kill, 40, "a send after the kill", 0.2)
        except TimeoutError:
            first = None
        time.sleep(2.0)  # a few more sends after the failover
        stop.set()
        sender.join(timeout=15)
        time.sleep(3.0)  # let the last ones go out
        statuses: dict[str, int] = {}
        for mid in accepted:
            status = stack.get(f"/messages/{mid}")["status"]
            statuses[status] = statuses.get(status, 0) + 1
        on_wire, doubled = duplicates(stack.wire)
        new_owner = stack.get(f"/sessions/{sid}")["host"]
        return {"victim": victim, "new_owner": new_owner,
                "failover_s": None if first is None else first - killed_at,
                "accepted": len(accepted), "statuses": statuses, "on_wire": on_wire,
                "duplicates": doubled}
    finally:
        stack.child.stop(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--budget", type=float, default=170.0,
                        help="seconds: no new trial starts after this")
    args = parser.parse_args()
    started = time.monotonic()
    results = []
    for number in range(1, args.trials + 1):
        if time.monotonic() - started > args.budget - 50:
            print(f"(stopping after {len(results)} trial(s): the time budget is spent)")
            break
        with tempfile.TemporaryDirectory(prefix="wagate-failover-") as tmp:
            result = trial(number, Path(tmp))
        results.append(result)
        failover = result["failover_s"]
        print(f"trial {number}: killed {result['victim']} -> {result['new_owner']}; "
              f"first sent after the kill: "
              f"{'none within 40 s' if failover is None else f'{failover:.1f} s'}; "
              f"{result['accepted']} accepted, statuses {result['statuses']}; "
              f"{result['on_wire']} sends on the wire, duplicates {result['duplicates']}",
              flush=True)
    times = [r["failover_s"] for r in results if r["failover_s"] is not None]
    doubled = sum(r["duplicates"] for r in results)
    if times:
        print(f"failover (kill -> first 'sent' on that session), lease TTL 10 s: "
              f"min {min(times):.1f} s, median {statistics.median(times):.1f} s, "
              f"max {max(times):.1f} s over {len(times)} trial(s)")
    print(f"duplicate sends: {doubled}")
    print(f"total run: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
