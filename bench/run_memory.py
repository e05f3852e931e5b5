"""Memory of ``make run``'s stack over a long run of sends, and how fast it stops.

    .venv/bin/python bench/run_memory.py [--messages 1000] [--hosts 1]

Starts the stack (``python -m chalicelib.devstack``) as a real process on free loopback
ports, with no pause between sends and fast sandbox receipts, pairs a sandbox session over
HTTP and sends text messages through the API. At 0 and every quarter of the run it waits
until the last message sent is "read" (the pipeline is drained), then samples the RSS of
every stack process. Prints:
- a table of RSS (MB) per process and in all, at each mark;
- the growth per 100 messages after warm-up (from the first quarter mark to the end);
- the time from SIGTERM to "stopped." and to the last stack process gone;
- each process's CPU while the stack idles with a WORKING session (before the sends), in %
  of one core.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.devstack import launch
from chalicelib.devstack.launch import StackProcess, wait_until

PASSWORD = "bench-pass-bench"  # noqa: S105 (the stack it starts is its own)


def stack_processes(stack: StackProcess) -> dict[str, psutil.Process]:
    processes = {"stack": psutil.Process(stack.process.pid)}
    for index, child in enumerate(sorted(stack.children(), key=lambda p: p.pid)):
        processes[f"host-{index + 1}"] = child
    return processes


def rss_mb(processes: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: p.memory_info().rss / 2**20 for name, p in processes.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout

    tmp = Path(tempfile.mkdtemp(prefix="wagate-bench-"))
    stack = launch.start(tmp, args.hosts, {
        "WAGATE_ADMIN_PASSWORD": PASSWORD, "WAGATE_SEND_INTERVAL_MS": "0",
        "WAGATE_SANDBOX_DELIVERY_MS": "5", "WAGATE_SANDBOX_READ_MS": "10",
        "WAGATE_DEFAULT_LIMITS_JSON": '{"messages_per_day": 1000000, '
                                      '"messages_per_month": 1000000, "sessions": 10}'},
        ready_timeout=90)
    try:
        processes = stack_processes(stack)
        figures, idle = run(stack, args.messages, processes, deadline)
    except BaseException:
        stack.kill()
        print(f"log: {stack.log}", file=sys.stderr)
        raise
    stopped_s, gone_s = stop(stack, processes)
    report(figures, args.messages, stopped_s, gone_s, stack.log)
    print("CPU while idle (10 s, a WORKING session): "
          + ", ".join(f"{n} {v:.1f} %" for n, v in idle.items()) + " of one core")


def idle_cpu(processes: dict[str, psutil.Process], seconds: float = 10.0) -> dict[str, float]:
    """Each process's CPU while nothing is asked of the stack, in % of one core."""
    before = {n: sum(p.cpu_times()[:2]) for n, p in processes.items()}
    time.sleep(seconds)
    return {n: (sum(p.cpu_times()[:2]) - before[n]) * 100 / seconds
            for n, p in processes.items()}


def run(stack: StackProcess, messages: int, processes: dict[str, psutil.Process],
        deadline: float) -> tuple[list[tuple[int, dict[str, float], float]], dict[str, float]]:
    base, http = stack.base, stack.login(PASSWORD)
    sid = stack.pair(http, "bench")
    time.sleep(2)  # pairing's events are handled
    idle = idle_cpu(processes)

    marks = sorted({0, *(messages * q // 4 for q in range(1, 5))})
    figures = []
    last_id: str | None = None
    started = time.monotonic()
    for sent in range(messages + 1):
        if sent in marks:
            if last_id is not None:
                wait_until(lambda mid=last_id: http.get(f"{base}/messages/{mid}",
                                                        timeout=10).json()["status"] == "read",
                           max(1.0, deadline - time.monotonic()), f"message {sent} to be read")
            time.sleep(1)  # the event worker finishes the last receipts
            figures.append((sent, rss_mb(processes), time.monotonic() - started))
        if sent == messages:
            break
        response = http.post(f"{base}/messages", timeout=10, json={
            "session_id": sid, "to": f"+1415555{1000 + sent % 8999:04d}",
            "text": f"bench message {sent}"})
        if response.status_code != 202:
            raise SystemExit(f"send {sent}: {response.status_code} {response.text}")
        last_id = response.json()["id"]
    return figures, idle


def stop(stack: StackProcess, processes: dict[str, psutil.Process]) -> tuple[float, float]:
    """SIGTERM the stack; seconds until it printed "stopped." and until every process left."""
    started = time.monotonic()
    stack.process.send_signal(signal.SIGTERM)
    stopped = None
    limit = started + 120
    while time.monotonic() < limit:
        if stopped is None and "stopped." in stack.text():
            stopped = time.monotonic() - started
        if stack.process.poll() is not None and not any(
                p.is_running() and p.status() != "zombie" for p in processes.values()):
            break
        time.sleep(0.05)
    gone = time.monotonic() - started
    for p in processes.values():
        if p.is_running():
            p.kill()
    return (stopped if stopped is not None else float("nan")), gone


def report(figures: list[tuple[int, dict[str, float], float]], messages: int,
           stopped_s: float, gone_s: float, log_path: Path) -> None:
    names = list(figures[0][1])
    print(f"RSS of the local stack (MB) over {messages} messages")
    print(f"{'messages':>8} {'elapsed s':>9} " + " ".join(f"{n:>8}" for n in names)
          + f" {'total':>8}")
    for sent, rss, elapsed in figures:
        print(f"{sent:>8} {elapsed:>9.1f} " + " ".join(f"{rss[n]:>8.1f}" for n in names)
              + f" {sum(rss.values()):>8.1f}")
    if len(figures) > 2:
        (first, rss_first, _), (last, rss_last, _) = figures[1], figures[-1]
        per_100 = {n: (rss_last[n] - rss_first[n]) * 100 / (last - first) for n in names}
        print(f"growth per 100 messages after warm-up ({first}→{last}): "
              + ", ".join(f"{n} {v:+.2f} MB" for n, v in per_100.items())
              + f", total {sum(per_100.values()):+.2f} MB")
    print(f"stop: 'stopped.' {stopped_s:.1f} s after SIGTERM, every process gone after "
          f"{gone_s:.1f} s")
    print(f"log: {log_path} ({sum(1 for _ in log_path.open())} lines)")


if __name__ == "__main__":
    main()
