"""The embedded AWS: moto, made safe for threads.

moto's backends are not thread-safe: a DynamoDB transaction deep-copies the tables while
another thread writes to them ("dictionary changed size during iteration"). The gateway's
local stack and tests run API, workers and session hosts on threads, so every moto request
is served one at a time here — in server mode (``EmbeddedAws``, behind ``make run``) and
in-process (``serialize_in_process_moto``, for tests and benchmarks).

A long ``make run`` met two more of moto's habits, which ``lean_moto`` changes in both modes:
- it remembers every model object it ever created (``BaseModel.instances_tracked``, for its
  dashboard): every SQS message, and every copy of a table that a DynamoDB transaction makes
  to roll back with. A send runs a few transactions on the messages table, so the stack kept a
  few copies of that table per message and grew with the square of the messages sent (about
  1 GB after 200). The embedded AWS serves no dashboard and keeps no dead objects;
- that copy is deep, of the whole table, for every transaction: the time of a send grew with
  the messages stored. Here a transaction copies the table's structure and only the items it
  names, which is all a rollback can need.

The server also tells the local Lambda runtime when a queue may have something to receive
(``Arrivals``), so its pollers wait for that rather than asking every moment.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.core.common_models import BaseModel
from moto.core.utils import unix_time_millis
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sqs.models import Message, Queue, SQSBackend
from werkzeug.serving import BaseWSGIServer, make_server

_LOCK = threading.RLock()


def serialize_in_process_moto() -> None:
    """Make ``mock_aws()`` handle one request at a time, lean like the server (idempotent)."""
    lean_moto()
    if getattr(BotocoreStubber.process_request, "_serialized", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with _LOCK:
            return original(self, request)

    process_request._serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


def lean_moto() -> None:
    """Keep moto's memory and its transactions' cost in proportion to the data (idempotent)."""
    if getattr(DynamoDBBackend.transact_write_items, "_lean", False):
        return

    def untracked(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]

    BaseModel.__new__ = untracked  # type: ignore[method-assign, assignment]
    for cls in _subclasses(BaseModel):
        cls.instances_tracked.clear()  # type: ignore[attr-defined]

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        _transaction.keys = _named_keys(self, transact_items)
        try:
            original(self, transact_items)
        finally:
            _transaction.keys = None

    transact_write_items._lean = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.__deepcopy__ = _copy_table  # type: ignore[attr-defined]


_transaction = threading.local()  # .keys: table name -> the keys the running transaction names


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _named_keys(backend: DynamoDBBackend, transact_items: list[dict[str, Any]],
                ) -> dict[str, list[tuple[DynamoType, DynamoType | None]] | None]:
    """Per table, the item keys a transaction names; None where one cannot be read (that
    table is then copied whole, as moto does)."""
    keys: dict[str, list[tuple[DynamoType, DynamoType | None]] | None] = {}
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        name = op.get("TableName")
        if name not in backend.tables:
            continue
        table = backend.tables[name]
        try:
            key = op["Item"] if op_type == "Put" else op["Key"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = (DynamoType(key[table.range_key_attr]) if table.range_key_attr
                           else None)
        except (KeyError, TypeError, AttributeError):
            keys[name] = None
            continue
        if name not in keys or keys[name] is not None:
            keys[name] = [*(keys.get(name) or []), (hash_value, range_value)]
    return keys


def _copy_table(table: Table, memo: dict[int, Any]) -> Table:
    """Inside a transaction, the copy a rollback needs: the table's own fields and item map,
    sharing the items the transaction cannot change and cloning those it names. Anywhere
    else (backups, restores) a full deep copy, as without this method."""
    named = (getattr(_transaction, "keys", None) or {}).get(table.name)
    if named is None or table.stream_shard is not None:
        clone = Table.__new__(Table)
        memo[id(table)] = clone
        clone.__dict__.update(copy.deepcopy(table.__dict__, memo))
        return clone
    clone = copy.copy(table)
    if table.has_range_key:
        clone.items = defaultdict(dict, {h: dict(r) for h, r in table.items.items()})
    else:
        clone.items = defaultdict(dict, table.items)
    for hash_value, range_value in named:
        item = table.get_item(hash_value, range_value)
        if item is None:
            continue
        if range_value is None:
            clone.items[hash_value] = copy.deepcopy(item)
        else:
            clone.items[hash_value][range_value] = copy.deepcopy(item)
    return clone


class Arrivals:
    """When each queue may have a message to receive: rung as a message is sent to it, or
    when its delay or a new visibility timeout ends. A poller notes ``seen`` before it
    receives and, finding nothing, ``wait``s for the next ring (or the timeout, for what
    nothing rings: a record a failed handler left to come back)."""

    def __init__(self) -> None:
        self._rung = threading.Condition()
        self._rings: dict[str, int] = defaultdict(int)

    def ring(self, queue: str, after_s: float = 0.0) -> None:
        if after_s > 0:
            timer = threading.Timer(after_s, self.ring, (queue,))
            timer.daemon = True
            timer.start()
            return
        with self._rung:
            self._rings[queue] += 1
            self._rung.notify_all()

    def seen(self, queue: str) -> int:
        with self._rung:
            return self._rings[queue]

    def wait(self, queue: str, seen: int, timeout_s: float) -> None:
        with self._rung:
            self._rung.wait_for(lambda: self._rings[queue] != seen, timeout_s)

    def listen(self) -> None:
        """Be rung by moto's SQS in this process (in server mode or in-process)."""
        _ring_on_arrival()
        if self not in _LISTENING:
            _LISTENING.append(self)

    def close(self) -> None:
        if self in _LISTENING:
            _LISTENING.remove(self)


_LISTENING: list[Arrivals] = []


def _ring_on_arrival() -> None:
    """Make moto's SQS ring every listening ``Arrivals`` (idempotent)."""
    if getattr(Queue.add_message, "_rings", False):
        return
    add_message, change_visibility = Queue.add_message, SQSBackend.change_message_visibility

    def added(self: Queue, message: Message) -> None:
        add_message(self, message)
        delay_ms = message.delayed_until - unix_time_millis()
        after_s = (delay_ms + 5) / 1000 if delay_ms > 0 else 0.0  # just after it ends
        for arrivals in _LISTENING:
            arrivals.ring(self.name, after_s)

    def visibility_changed(self: SQSBackend, queue_name: str, receipt_handle: str,
                           visibility_timeout: int) -> None:
        change_visibility(self, queue_name, receipt_handle, visibility_timeout)
        for arrivals in _LISTENING:
            arrivals.ring(queue_name, int(visibility_timeout) + 0.005 if visibility_timeout
                          else 0.0)

    added._rings = True  # type: ignore[attr-defined]
    Queue.add_message = added  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = visibility_changed  # type: ignore[method-assign]


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host: moto lists the folders of
    its package on every request to find out, a sixth of an idle stack's CPU."""

    def __init__(self, create_app: Callable[[str], Any]) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class EmbeddedAws:
    """A moto server on loopback, one request at a time, keeping no dead model objects."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        lean_moto()
        self.arrivals = Arrivals()
        app = _Dispatcher(create_backend_app)

        def serialized(environ: dict[str, Any],
                       start_response: Callable[..., Any]) -> Iterable[bytes]:
            with _LOCK:
                return list(app(environ, start_response))

        self._server: BaseWSGIServer = make_server(host, port, serialized, threaded=True,
                                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws",
                                        daemon=True)

    def start(self) -> None:
        self.arrivals.listen()
        self._thread.start()

    def stop(self) -> None:
        self.arrivals.close()
        self._server.shutdown()
        self._thread.join(timeout=5)
