"""Cold start: what importing the app costs, as a ratio to importing boto3 and Chalice.

    .venv/bin/python bench/cold_start.py [--runs 15]

Each figure is the median wall time of ``import ...`` in a fresh interpreter (no bytecode
written, so runs do not warm each other), the two alternating in one run. Also prints what the
first request adds (importing models, services and adapters) for the API and for a worker.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
CASES = {
    "boto3 + chalice": "import boto3, chalice",
    "app": "import app",
    # On Lambda: JSON log lines (powertools' formatter loads with the first line).
    "app on Lambda": "import os; os.environ['AWS_LAMBDA_FUNCTION_NAME'] = 'api'; import app",
    "app on Lambda + first log line": (
        "import os; os.environ['AWS_LAMBDA_FUNCTION_NAME'] = 'api'; import app, logging; "
        "logging.getLogger('wagate.api').info('x')"),
    "app + first API request's imports": (
        "import app; from chalicelib.api.edge import resolve_model; "
        "resolve_model('messages:SendIn'); import chalicelib.bootstrap"),
    "app + send worker's imports": "import app; from chalicelib.workers import send",
}


def measure(code: str) -> float:
    output = subprocess.run([sys.executable, "-B", "-c", PROBE.format(code=code)], cwd=ROOT,
                            capture_output=True, text=True, check=True,
                            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    return float(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, code in CASES.items():
            samples[name].append(measure(code))
    base = statistics.median(samples["boto3 + chalice"])
    print(f"{'import':38} {'median ms':>10} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:38} {median * 1000:10.1f} {median / base:7.2f}")


if __name__ == "__main__":
    main()
