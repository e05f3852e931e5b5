"""The send governor's budgets in the governor table (pk ``<tenant>#<session>``).

- ``STATE``: ``tat_<lane>`` (each lane's GCRA timestamp, ms), the throttle (``throttle_until``,
  ``throttle_reason``, ``strikes``) and the failure window (``win_start``, ``win_sends``,
  ``win_fails``); kept ``STATE_DAYS`` after its last write.
- ``LIMITS``: the session's own limits and its warm-up (no TTL).
- ``DAY#<yyyy-mm-dd>``: new contacts counted that UTC day (kept two days).
- ``TALKED#<digits>``: a number the session reached (kept ``TALKED_DAYS``).

On the send path: one conditional UpdateItem takes a bucket's token in the common case (a
second when the bucket is busy: the first answers the item as it was), and one
TransactWriteItems settles a marketing message's recipient (known, or new and counted).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure, plain, storable, transact
from chalicelib.domain.governor import FailureWindow, SessionState, StoredLimits, Throttle

STATE = "STATE"
LIMITS = "LIMITS"
STATE_DAYS = 30
TALKED_DAYS = 180
DAY_ITEM_DAYS = 2
_DESERIALIZE = TypeDeserializer()


def _pk(tenant_id: str, session_id: str) -> str:
    return f"{tenant_id}#{session_id}"


def _expires(now_ms: int, days: int) -> int:
    return math.ceil(now_ms / 1000) + days * 86_400


def _state(item: dict[str, Any] | None) -> SessionState:
    item = plain(item or {})
    throttle = None
    if "throttle_until" in item:
        throttle = Throttle(until_ms=item["throttle_until"], reason=item["throttle_reason"],
                            strikes=item.get("strikes", 1))
    window = None
    if "win_start" in item:
        window = FailureWindow(start_ms=item["win_start"], sends=item.get("win_sends", 0),
                               failures=item.get("win_fails", 0))
    return SessionState(tat_ms={k[4:]: v for k, v in item.items() if k.startswith("tat_")},
                        throttle=throttle, window=window)


class DynamoGovernorStore:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._name = table_name
        self._table = resource.Table(table_name)
        self._client = resource.meta.client

    # --- limits ---

    def limits(self, tenant_id: str, session_id: str) -> StoredLimits | None:
        item = self._table.get_item(Key={"pk": _pk(tenant_id, session_id), "sk": LIMITS}
                                    ).get("Item")
        if item is None:
            return None
        return StoredLimits.model_validate({k: v for k, v in plain(item).items()
                                            if k in StoredLimits.model_fields})

    def put_limits(self, tenant_id: str, session_id: str, stored: StoredLimits) -> None:
        self._table.put_item(Item=storable({**stored.model_dump(exclude_none=True),
                                            "pk": _pk(tenant_id, session_id), "sk": LIMITS}))

    # --- the buckets, the throttle and the failure window ---

    def state(self, tenant_id: str, session_id: str) -> SessionState:
        return _state(self._table.get_item(Key={"pk": _pk(tenant_id, session_id), "sk": STATE},
                                           ConsistentRead=True).get("Item"))

    def take(self, tenant_id: str, session_id: str, lane: str, expected_ms: int | None,
             new_ms: int, now_ms: int, respect_throttle: bool) -> SessionState | None:
        """Store the lane's new timestamp if it is still ``expected_ms`` (None: absent or at
        most ``now_ms``) and, with ``respect_throttle``, no throttle holds; count a send in the
        failure window. None once written; else the state as it was."""
        condition = "(attribute_not_exists(#t) OR #t <= :now)" if expected_ms is None \
            else "#t = :expected"
        values: dict[str, Any] = {":new": new_ms, ":one": 1,
                                  ":exp": _expires(now_ms, STATE_DAYS)}
        if expected_ms is not None:
            values[":expected"] = expected_ms
        if expected_ms is None or respect_throttle:
            values[":now"] = now_ms
        if respect_throttle:
            condition += " AND (attribute_not_exists(throttle_until) OR throttle_until <= :now)"
        key = {"pk": _pk(tenant_id, session_id), "sk": STATE}
        try:
            self._table.update_item(
                Key=key, UpdateExpression="SET #t = :new, expires_at_epoch = :exp "
                                          "ADD win_sends :one",
                ConditionExpression=condition, ExpressionAttributeNames={"#t": f"tat_{lane}"},
                ExpressionAttributeValues=values, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            old = exc.response.get("Item")
            if old is None:  # (a store that does not answer the item: read it)
                return self.state(tenant_id, session_id)
            return _state({k: _DESERIALIZE.deserialize(v) for k, v in old.items()})
        return None

    def throttle(self, tenant_id: str, session_id: str, expected: Throttle | None,
                 new: Throttle, now_ms: int) -> bool:
        """Store ``new`` if the throttle is still ``expected`` (None: none); else False."""
        condition = "attribute_not_exists(throttle_until)" if expected is None \
            else "throttle_until = :expected"
        values: dict[str, Any] = {":until": new.until_ms, ":reason": new.reason,
                                  ":strikes": new.strikes,
                                  ":exp": _expires(max(now_ms, new.until_ms), STATE_DAYS)}
        if expected is not None:
            values[":expected"] = expected.until_ms
        try:
            self._table.update_item(
                Key={"pk": _pk(tenant_id, session_id), "sk": STATE},
                UpdateExpression="SET throttle_until = :until, throttle_reason = :reason, "
                                 "strikes = :strikes, expires_at_epoch = :exp",
                ConditionExpression=condition, ExpressionAttributeValues=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def count_failure(self, tenant_id: str, session_id: str, now_ms: int,
                      window_ms: int) -> FailureWindow:
        """Count a failed send in the current window, or start a new window with it when
        the last one ended; the window afterwards."""
        key = {"pk": _pk(tenant_id, session_id), "sk": STATE}
        common = {":one": 1, ":cutoff": now_ms - window_ms, ":exp": _expires(now_ms, STATE_DAYS)}
        attempts: tuple[tuple[str, str, dict[str, Any]], ...] = (
            ("ADD win_fails :one SET expires_at_epoch = :exp", "win_start > :cutoff", common),
            ("SET win_start = :now, win_fails = :one, win_sends = :zero, expires_at_epoch = :exp",
             "attribute_not_exists(win_start) OR win_start <= :cutoff",
             {**common, ":now": now_ms, ":zero": 0}))
        for _ in range(2):  # a window another worker just started: count in it
            for update, condition, values in attempts:
                try:
                    item = self._table.update_item(
                        Key=key, UpdateExpression=update, ConditionExpression=condition,
                        ExpressionAttributeValues=values, ReturnValues="ALL_NEW")["Attributes"]
                except ClientError as exc:
                    if not is_condition_failure(exc):
                        raise
                    continue
                window = _state(item).window
                if window is not None:
                    return window
        return FailureWindow(start_ms=now_ms, failures=1)

    # --- new contacts ---

    def new_contact(self, tenant_id: str, session_id: str, digits: str, day: str,
                    budget: int, now_ms: int) -> Literal["known", "counted", "over"]:
        """In one transaction: mark ``digits`` as reached unless it is, and count it on
        ``day`` while the count is under ``budget``."""
        pk = _pk(tenant_id, session_id)
        cancelled = transact(self._client, [
            {"Put": {"TableName": self._name,
                     "Item": {"pk": pk, "sk": f"TALKED#{digits}",
                              "expires_at_epoch": _expires(now_ms, TALKED_DAYS)},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": self._name, "Key": {"pk": pk, "sk": f"DAY#{day}"},
                        "UpdateExpression": "ADD #n :one SET expires_at_epoch = :exp",
                        "ConditionExpression": "attribute_not_exists(#n) OR #n < :budget",
                        "ExpressionAttributeNames": {"#n": "count"},
                        "ExpressionAttributeValues": {
                            ":one": 1, ":budget": budget,
                            ":exp": _expires(now_ms, DAY_ITEM_DAYS)}}},
        ])
        if cancelled is None:
            return "counted"
        if cancelled and cancelled[0].failed:
            return "known"
        return "over"

    def mark_talked(self, tenant_id: str, session_id: str, digits: str, now_ms: int) -> None:
        self._table.put_item(Item={"pk": _pk(tenant_id, session_id), "sk": f"TALKED#{digits}",
                                   "expires_at_epoch": _expires(now_ms, TALKED_DAYS)})

    def contacts_on(self, tenant_id: str, session_id: str, day: str) -> int:
        item = self._table.get_item(Key={"pk": _pk(tenant_id, session_id), "sk": f"DAY#{day}"}
                                    ).get("Item")
        return int(item["count"]) if item else 0
