"""Metrics as CloudWatch embedded metric format (EMF) records on stdout: the Lambda log
stream carries them to CloudWatch, no API call. What an invocation counts is kept in memory
and written as one record when it ends (``flush``), not one line per occurrence."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from chalicelib.metrics import Metric, emf_record


class EmfMetrics:
    """``Metrics`` written as one EMF line per ``flush`` (nothing when nothing was counted)."""

    def __init__(self, prefix: str, write: Callable[[str], None] | None = None) -> None:
        self._prefix = prefix
        self._write = write or (lambda line: print(line, flush=True))
        self._values: dict[Metric, float] = {}
        self._lock = threading.Lock()

    def count(self, metric: Metric, n: int = 1) -> None:
        with self._lock:
            self._values[metric] = self._values.get(metric, 0) + n

    def gauge(self, metric: Metric, value: float) -> None:
        with self._lock:
            self._values[metric] = value

    def flush(self) -> None:
        with self._lock:
            values, self._values = self._values, {}
        if values:
            self._write(json.dumps(emf_record(self._prefix, values, int(time.time() * 1000))))


class NoMetrics:
    """``Metrics`` off (``make run``: there is no CloudWatch to read them)."""

    def count(self, metric: Metric, n: int = 1) -> None:
        pass

    def gauge(self, metric: Metric, value: float) -> None:
        pass

    def flush(self) -> None:
        pass
