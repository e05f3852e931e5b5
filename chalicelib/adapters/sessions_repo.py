"""Sessions in the sessions table (pk = tenant id, sk = ``SESSION#<id>``), with their lease.

The API changes what a session should do (``set_desired``); the owning host writes what it
actually does, every write fenced by its lease token (``host_update``).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure, plain, query_page
from chalicelib.domain import clock
from chalicelib.domain.errors import Conflict, StaleFence
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import Session, SessionStatus

RUN_SHARD = "RUN"
# Only FAILED sessions carry it: the sparse "by_failed" index, kept by every status write.
FAILED_SHARD = "FAILED"
SESSION_COUNTER = "USAGE#sessions"


def session_key(tenant_id: str, session_id: str) -> dict[str, str]:
    return {"pk": tenant_id, "sk": f"SESSION#{session_id}"}


def fence_condition(host_id: str, fence: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition (expression, names, values) that a host still holds the lease."""
    return "#owner = :me AND fence = :fence", {"#owner": "owner"}, {":me": host_id, ":fence": fence}


class DynamoSessionRepo:
    def __init__(self, resource: Any, table_name: str, users_table: str = "") -> None:
        self.table_name = table_name
        self._users_table = users_table  # where the per-tenant session counter lives
        self._table = resource.Table(table_name)

    def _item(self, session: Session) -> dict[str, Any]:
        item = {**session_key(session.tenant_id, session.id), **session.model_dump(mode="json")}
        if session.wants_running:
            item.update(run_shard=RUN_SHARD, run_key=f"{session.tenant_id}#{session.id}")
        if session.status == SessionStatus.FAILED:
            item["failed_shard"] = FAILED_SHARD
        return {k: v for k, v in item.items() if v is not None}

    def create(self, session: Session, limit: int | None = None,
               over_limit: Exception | None = None) -> None:
        """Store a new session; with ``limit``, count it against the tenant's session quota
        (``USAGE#sessions`` in the users table) in the same transaction."""
        if limit is None:
            try:
                self._table.put_item(Item=self._item(session),
                                     ConditionExpression="attribute_not_exists(pk)")
            except ClientError as exc:
                if is_condition_failure(exc):
                    raise Conflict("session already exists") from exc
                raise
            return
        try:
            self._table.meta.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table_name, "Item": self._item(session),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self._users_table,
                            "Key": {"pk": session.tenant_id, "sk": SESSION_COUNTER},
                            "UpdateExpression": "ADD #n :one",
                            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                            "ExpressionAttributeNames": {"#n": "count"},
                            "ExpressionAttributeValues": {":one": 1, ":limit": limit}}},
            ])
        except ClientError as exc:
            if is_condition_failure(exc) and over_limit is not None:
                raise over_limit from exc
            raise

    def uncount(self, tenant_id: str) -> None:
        """A session was deleted: give its place in the quota back."""
        self._table.meta.client.update_item(
            TableName=self._users_table, Key={"pk": tenant_id, "sk": SESSION_COUNTER},
            UpdateExpression="ADD #n :minus", ExpressionAttributeNames={"#n": "count"},
            ExpressionAttributeValues={":minus": -1})

    def get(self, tenant_id: str, session_id: str) -> Session | None:
        item = self._table.get_item(Key=session_key(tenant_id, session_id),
                                    ConsistentRead=True).get("Item")
        return Session.model_validate(plain(item)) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = query_page(
            self._table, tenant_id, limit, cursor,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with("SESSION#"),
        )
        return Page([Session.model_validate(i) for i in items], next_cursor)

    def delete(self, tenant_id: str, session_id: str) -> bool:
        response = self._table.delete_item(Key=session_key(tenant_id, session_id),
                                           ReturnValues="ALL_OLD")
        return "Attributes" in response

    def set_desired(self, tenant_id: str, session_id: str, status: SessionStatus,
                    reason: str | None, running: bool,
                    bump_auth_epoch: bool = False) -> Session | None:
        values: dict[str, Any] = {":s": status.value, ":now": clock.now_iso()}
        sets = ["#status = :s", "updated_at = :now"]
        if bump_auth_epoch:
            sets.append("auth_epoch = if_not_exists(auth_epoch, :zero) + :one")
            values.update({":zero": 0, ":one": 1})
        removes = []
        if reason:
            sets.append("reason = :r")
            values[":r"] = reason
        else:
            removes.append("reason")
        if running:
            sets += ["run_shard = :shard", "run_key = :rk"]
            values.update({":shard": RUN_SHARD, ":rk": f"{tenant_id}#{session_id}"})
        else:
            # Nobody should hold it any more: drop the lease so a late host write is refused.
            removes += ["run_shard", "run_key", "#owner", "qr"]
            sets.append("lease_until_ms = :zero")
            values[":zero"] = 0
        if bump_auth_epoch:
            removes.append("phone")
        if status == SessionStatus.FAILED:
            sets.append("failed_shard = :failed")
            values[":failed"] = FAILED_SHARD
        else:
            removes.append("failed_shard")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        names = {"#status": "status"}
        if "#owner" in removes:
            names["#owner"] = "owner"
        try:
            response = self._table.update_item(
                Key=session_key(tenant_id, session_id), UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return Session.model_validate(plain(response["Attributes"]))

    def update(self, tenant_id: str, session_id: str,
               changes: dict[str, Any]) -> Session | None:
        """Set (or, for None values, remove) plain settings of a session."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":now": clock.now_iso()}
        sets, removes = ["updated_at = :now"], []
        for i, (name, value) in enumerate(changes.items()):
            names[f"#c{i}"] = name
            if value is None:
                removes.append(f"#c{i}")
            else:
                values[f":c{i}"] = value
                sets.append(f"#c{i} = :c{i}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes
                                                 else "")
        try:
            response = self._table.update_item(
                Key=session_key(tenant_id, session_id), UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_NEW",
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}))
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return Session.model_validate(plain(response["Attributes"]))

    # --- leases (session hosts) ---

    def claim(self, tenant_id: str, session_id: str, host_id: str, ttl_ms: int,
              now_ms: int) -> int | None:
        """Take the lease if it is free, lapsed or already ours; the new fencing token or None."""
        try:
            response = self._table.update_item(
                Key=session_key(tenant_id, session_id),
                UpdateExpression="SET #owner = :me, lease_until_ms = :until, "
                                 "fence = if_not_exists(fence, :zero) + :one",
                ConditionExpression=Attr("run_shard").exists() & (
                    Attr("owner").not_exists() | Attr("owner").eq(host_id)
                    | Attr("lease_until_ms").lt(now_ms)),
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":me": host_id, ":until": now_ms + ttl_ms,
                                           ":zero": 0, ":one": 1},
                ReturnValues="UPDATED_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return int(response["Attributes"]["fence"])

    def renew(self, tenant_id: str, session_id: str, host_id: str, fence: int,
              ttl_ms: int, now_ms: int) -> bool:
        try:
            self.host_update(tenant_id, session_id, host_id, fence, lease_until_ms=now_ms + ttl_ms)
        except StaleFence:
            return False
        return True

    def release(self, tenant_id: str, session_id: str, host_id: str, fence: int) -> None:
        condition, names, values = fence_condition(host_id, fence)
        try:
            self._table.update_item(
                Key=session_key(tenant_id, session_id),
                UpdateExpression="REMOVE #owner SET lease_until_ms = :zero",
                ConditionExpression=condition, ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":zero": 0})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def host_update(self, tenant_id: str, session_id: str, host_id: str, fence: int,
                    remove: tuple[str, ...] = (), **fields: Any) -> Session:
        """Write ``fields`` as the lease holder; raises StaleFence if the lease moved on."""
        condition, names, values = fence_condition(host_id, fence)
        if fields.get("status") == SessionStatus.FAILED:
            fields["failed_shard"] = FAILED_SHARD
        elif "status" in fields:
            remove = (*remove, "failed_shard")
        sets = []
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = value
            sets.append(f"#f{i} = :v{i}")
        expression = "SET " + ", ".join(sets) if sets else ""
        if remove:
            for i, name in enumerate(remove):
                names[f"#r{i}"] = name
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        try:
            response = self._table.update_item(
                Key=session_key(tenant_id, session_id), UpdateExpression=expression.strip(),
                ConditionExpression=condition, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise StaleFence(f"{tenant_id}/{session_id} fence {fence}") from exc
            raise
        return Session.model_validate(plain(response["Attributes"]))

    def count_failed(self, most: int) -> int:
        """FAILED sessions of every tenant, up to ``most``: a count on the sparse index (a
        page reads up to 1 MB, some 7,000 of its small items)."""
        count, start = 0, None
        while count < most:
            response = self._table.query(
                IndexName="by_failed", KeyConditionExpression=Key("failed_shard").eq(FAILED_SHARD),
                Select="COUNT", Limit=most - count,
                **({"ExclusiveStartKey": start} if start else {}))
            count += response["Count"]
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return min(count, most)

    def runnable(self, limit: int = 100) -> list[Session]:
        """Sessions that should be running (for hosts to adopt the ones nobody holds)."""
        response = self._table.query(IndexName="by_run_shard",
                                     KeyConditionExpression=Key("run_shard").eq(RUN_SHARD),
                                     Limit=limit)
        return [Session.model_validate(plain(i)) for i in response.get("Items", [])]
