"""What every log line of a function names, the functions' log format, and the end of an
invocation.

Log lines carry the ids of what is being handled (``request_id``, ``tenant_id``,
``session_id``, ``message_id``, and the Lambda request id ``function_request_id``), bound
with ``bind``/``scope`` by the HTTP edge (per request) and the SQS workers (per record). On
Lambda every line (the std ``logging`` loggers' included) is one JSON object, written by
powertools' formatter: level, location, message, timestamp, service, and those ids as keys.
Elsewhere (``make run``, tests) lines stay human-readable, an API line ending in
``req=<request id>``.

Importing this module is cheap: powertools is imported by the first JSON line written.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalice import Chalice

ID_FIELDS = ("request_id", "tenant_id", "session_id", "message_id")
MAX_ID_CHARS = 64  # a poison record cannot flood the log with its "ids"
_EMPTY: MappingProxyType[str, str] = MappingProxyType({})
_IDS: contextvars.ContextVar[MappingProxyType[str, str]] = contextvars.ContextVar(
    "wagate_log_ids", default=_EMPTY)
# Called when an invocation ends (bootstrap registers the metrics' flush here).
_at_end: Callable[[], None] | None = None


def on_lambda() -> bool:
    """Whether this process is a Lambda function (JSON logs, EMF metrics)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


# --- the ids a log line names ------------------------------------------------------------------

def current() -> dict[str, str]:
    return dict(_IDS.get())


def _merged(ids: dict[str, Any]) -> MappingProxyType[str, str]:
    merged = dict(_IDS.get())
    for name, value in ids.items():
        if value not in (None, ""):
            merged[name] = str(value)[:MAX_ID_CHARS]
    return MappingProxyType(merged)


def bind(**ids: Any) -> None:
    """Name these ids on every later line of the current scope (a request, a record); None
    values are skipped. Outside any scope it does nothing, so no id outlives its scope."""
    if _IDS.get() is not _EMPTY:
        _IDS.set(_merged(ids))


@contextlib.contextmanager
def scope(**ids: Any) -> Iterator[None]:
    """Name these ids on the lines written inside; afterwards the ids are what they were."""
    token = _IDS.set(_merged(ids))
    try:
        yield
    finally:
        _IDS.reset(token)


# --- the format ------------------------------------------------------------------------------

class _Json(logging.Formatter):
    """Powertools' JSON formatter, built (and imported) when the first line is written."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

            self._formatter = LambdaPowertoolsFormatter(service=self._service, utc=True,
                                                        use_rfc3339=True)
        return self._formatter.format(record)


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to ``sys.stdout`` as it is at each line, where ``print`` (the EMF
    records) writes too."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _install_record_factory(json_lines: bool) -> None:
    """Every record gets the bound ids: as attributes (JSON keys), or, in text, the request
    id at the end of the message."""
    previous = logging.getLogRecordFactory()
    base = getattr(previous, "_wagate_base", previous)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        ids = _IDS.get()
        if not ids:
            return record
        if json_lines:
            for name, value in ids.items():
                setattr(record, name, value)
        elif "request_id" in ids:
            record.msg = f"{record.msg} req={ids['request_id']}"
        return record

    factory._wagate_base = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure(app: Chalice, json_lines: bool | None = None) -> None:
    """Set the functions' log format (JSON on Lambda unless ``json_lines`` says otherwise)
    and register the invocation middleware on ``app``."""
    json_lines = on_lambda() if json_lines is None else json_lines
    _install_record_factory(json_lines)
    if json_lines:
        handler = _Stdout()
        handler.setFormatter(_Json(os.environ.get("POWERTOOLS_SERVICE_NAME") or app.app_name))
        root = logging.getLogger()
        for old in list(root.handlers):  # the Lambda runtime's plain-text handler
            root.removeHandler(old)
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        for old in list(app.log.handlers):  # Chalice's own, on the app's logger
            app.log.removeHandler(old)
        app.log.propagate = True
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(app, "_wagate_invocations", False):
        app.register_middleware(invocation, "all")
        app._wagate_invocations = True  # type: ignore[attr-defined]


# --- the invocation --------------------------------------------------------------------------

def at_invocation_end(flush: Callable[[], None] | None) -> None:
    """Run ``flush`` when each invocation ends (one callback: a new one replaces it)."""
    global _at_end
    _at_end = flush


def _lambda_context(event: Any) -> Any:
    context = getattr(event, "lambda_context", None)  # HTTP events
    if context is None:
        context = getattr(event, "context", None)  # SQS, schedules, …
    return context if hasattr(context, "aws_request_id") else None


def invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware around every handler: its lines name the Lambda request id, and
    what it published (metrics) is flushed when it ends."""
    context = _lambda_context(event)
    try:
        with scope(function_request_id=getattr(context, "aws_request_id", None),
                   function_name=getattr(context, "function_name", None)):
            return get_response(event)
    finally:
        if _at_end is not None:
            try:
                _at_end()
            except Exception:
                logging.getLogger("wagate").exception("flushing metrics failed")
