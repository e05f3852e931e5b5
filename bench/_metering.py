"""What AWS would bill for the calls an in-process bench makes on moto: DynamoDB on-demand
request units (item sizes read from moto's own tables), SQS requests in 64 KB chunks, and the
bytes of the log lines the code writes.

DynamoDB's rules as AWS documents them: a write costs one write request unit per KB of the
larger of the item before and after it (at least one, even when its condition fails), plus
the same for each global secondary index whose projection of the item changes (two when its
key changes: a delete and a put); a read costs one read request unit per 4 KB, half when
eventually consistent (a Query's items are summed, then rounded); transactions cost twice.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import os
from dataclasses import dataclass
from typing import Any

from chalice import Chalice
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from chalicelib.adapters import aws

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
SQS_CHUNK_BYTES = 64 * 1024
ITEM_OVERHEAD_BYTES = 100  # what DynamoDB adds to each stored item and index entry
SQS_BILLED = {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
              "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
              "GetQueueUrl", "GetQueueAttributes", "PurgeQueue"}


def _wire_size(attrs: dict[str, Any] | None) -> int:
    """An item's size as DynamoDB counts it (names and values), from its wire format."""
    return sum(len(k.encode()) + DynamoType(v).size() for k, v in (attrs or {}).items())


def _read_units(size: int, consistent: bool) -> float:
    return max(math.ceil(size / READ_UNIT_BYTES), 1) * (1.0 if consistent else 0.5)


def _write_units(size: int) -> int:
    return max(math.ceil(size / WRITE_UNIT_BYTES), 1)


@dataclass(frozen=True)
class _Footprint:
    """An item as billing sees it: its size, and per GSI its key and projected form."""

    size: int
    indexes: dict[str, tuple[str, int, str]]  # index name -> (key, projected size, projection)


def _footprint(table: Any, item: Item | None) -> _Footprint | None:
    if item is None:
        return None
    indexes = {}
    for index in table.global_indexes:
        if all(a in item.attrs for a in index.schema_key_attrs):
            projected = index.project(item)
            key = repr([item.attrs[a].value for a in index.schema_key_attrs])
            indexes[index.name] = (key, projected.size(),
                                   json.dumps(projected.to_json(), sort_keys=True, default=str))
    return _Footprint(item.size(), indexes)


def _index_units(before: _Footprint | None, after: _Footprint | None) -> int:
    """Write units the GSIs take for one base-table write."""
    names = set(before.indexes if before else ()) | set(after.indexes if after else ())
    units = 0
    for name in names:
        old = before.indexes.get(name) if before else None
        new = after.indexes.get(name) if after else None
        if old and new and old[0] != new[0]:
            units += _write_units(old[1]) + _write_units(new[1])
        elif old and new:
            units += _write_units(max(old[1], new[1])) if old[2] != new[2] else 0
        else:
            units += _write_units((old or new)[1])  # type: ignore[index]
    return units


class Meter:
    """Billing units of the calls made by clients built after ``install`` (which must follow
    ``Calls.install``, as that makes a new session). ``units`` maps ``"<unit> <table>"``
    (``RRU``, ``WRU``, ``WRU-gsi``) and ``"SQS <operation>"`` to amounts, ``"stored bytes
    <table>"`` to the bytes items (with their index entries) added, and ``"received
    messages"`` to the SQS messages received."""

    def __init__(self, prefix: str) -> None:
        self.units: collections.Counter[str] = collections.Counter()
        self._prefix = prefix
        self._region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    def install(self) -> None:
        events = aws._session()._session
        events.register("before-call.dynamodb", self._before_dynamodb)
        events.register("after-call.dynamodb", self._after_dynamodb)
        events.register("before-parameter-build.sqs", self._before_sqs)
        events.register("after-call.sqs", self._after_sqs)

    def take(self) -> collections.Counter[str]:
        taken, self.units = self.units, collections.Counter()
        return taken

    # --- DynamoDB ---

    def _table(self, name: str) -> Any:
        return dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].get_table(name)

    def _item(self, table: Any, key: dict[str, Any]) -> Item | None:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        return table.get_item(hash_key, range_key)

    def _short(self, table: str) -> str:
        return table.removeprefix(self._prefix + "-")

    def _writes(self, operation: str, body: dict[str, Any]) -> list[tuple[str, dict, int]]:
        """(table, key, factor) of each item a write touches."""
        def key_of(table_name: str, request: dict[str, Any]) -> dict[str, Any]:
            if "Key" in request:
                return request["Key"]
            table = self._table(table_name)
            return {a: request["Item"][a] for a in (table.hash_key_attr, table.range_key_attr)
                    if a}

        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            return [(body["TableName"], key_of(body["TableName"], body), 1)]
        if operation == "BatchWriteItem":
            return [(table, key_of(table, next(iter(request.values()))), 1)
                    for table, requests in body["RequestItems"].items() for request in requests]
        if operation == "TransactWriteItems":
            return [(request["TableName"], key_of(request["TableName"], request), 2)
                    for item in body["TransactItems"] for request in item.values()]
        return []

    def _before_dynamodb(self, model: Any, params: dict[str, Any], context: dict[str, Any],
                         **_: object) -> None:
        body = json.loads(params["body"] or b"{}")
        writes = []
        for table_name, key, factor in self._writes(model.name, body):
            table = self._table(table_name)
            writes.append((table_name, key, factor, _footprint(table, self._item(table, key))))
        context["metering"] = (body, writes)

    def _after_dynamodb(self, model: Any, parsed: dict[str, Any], context: dict[str, Any],
                        **_: object) -> None:
        body, writes = context.pop("metering", ({}, []))
        for table_name, key, factor, before in writes:
            table = self._table(table_name)
            after = _footprint(table, self._item(table, key))
            name = self._short(table_name)
            self.units[f"WRU {name}"] += factor * _write_units(
                max(before.size if before else 0, after.size if after else 0))
            self.units[f"WRU-gsi {name}"] += _index_units(before, after)
            self.units[f"stored bytes {name}"] += _stored(after) - _stored(before)
        self._reads(model.name, body, parsed)

    def _reads(self, operation: str, body: dict[str, Any], parsed: dict[str, Any]) -> None:
        consistent = bool(body.get("ConsistentRead"))
        if operation == "GetItem":
            self.units[f"RRU {self._short(body['TableName'])}"] += _read_units(
                _wire_size(parsed.get("Item")), consistent)
        elif operation in ("Query", "Scan"):
            size = sum(_wire_size(item) for item in parsed.get("Items", []))
            self.units[f"RRU {self._short(body['TableName'])}"] += _read_units(size, consistent)
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                strong = bool(body["RequestItems"][table].get("ConsistentRead"))
                for item in items:
                    self.units[f"RRU {self._short(table)}"] += _read_units(_wire_size(item),
                                                                           strong)
        elif operation == "TransactGetItems":
            for request, response in zip(body["TransactItems"], parsed.get("Responses", []),
                                         strict=False):
                table = self._short(request["Get"]["TableName"])
                self.units[f"RRU {table}"] += 2 * _read_units(_wire_size(response.get("Item")),
                                                              True)

    # --- SQS ---

    def _before_sqs(self, model: Any, params: dict[str, Any], context: dict[str, Any],
                    **_: object) -> None:
        entries = params.get("Entries", [params])
        context["metering"] = sum(len(e.get("MessageBody", "").encode())
                                  + len(json.dumps(e.get("MessageAttributes", {})))
                                  for e in entries)

    def _after_sqs(self, model: Any, parsed: dict[str, Any], context: dict[str, Any],
                   **_: object) -> None:
        if model.name not in SQS_BILLED:
            return
        size = context.pop("metering", 0)
        if model.name == "ReceiveMessage":
            messages = parsed.get("Messages", [])
            if not messages:
                return  # an empty poll: the idle polling the fixed floor counts
            size = sum(len(m.get("Body", "").encode()) for m in messages)
            self.units["received messages"] += len(messages)
        self.units[f"SQS {model.name}"] += max(math.ceil(size / SQS_CHUNK_BYTES), 1)


def _stored(footprint: _Footprint | None) -> int:
    if footprint is None:
        return 0
    return (footprint.size + ITEM_OVERHEAD_BYTES
            + sum(size + ITEM_OVERHEAD_BYTES for _, size, _ in footprint.indexes.values()))


class LogBytes(logging.Handler):
    """Counts the log lines (and their bytes, as Chalice formats them on stdout, which Lambda
    and the host's container send to CloudWatch Logs) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter(Chalice.FORMAT_STRING))
        self.lines = 0
        self.bytes = 0

    def install(self) -> None:
        """Replace the app logger's stdout handler, and listen on the root logger too."""
        app_log = logging.getLogger("wagate")
        for handler in list(app_log.handlers):
            app_log.removeHandler(handler)
        app_log.addHandler(self)
        logging.getLogger().addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1
        self.bytes += len(self.format(record).encode()) + 1

    def take(self) -> tuple[int, int]:
        taken = (self.lines, self.bytes)
        self.lines = self.bytes = 0
        return taken
