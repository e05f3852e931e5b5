"""Messages in the messages table (pk = tenant id, sk = ``MSG#<ulid>``).

Every status write is conditional on the state machine (``domain.messages.predecessors``);
writes from a session host also check its fencing token in the same transaction.

Times never go backwards: ``timestamps`` keeps when each status was *first* reached (a
requeue, "sending" back to "queued", is in ``history`` only), and each write is stamped no
earlier than the message's last change (a machine whose clock is behind stamps its write at
that change instead).

Never twice: before an engine sends, the host stores a send token on the message (fenced by
its lease, and only if no token is there). At most one attempt per message can hold one, and
it keeps it unless it knows nothing left; a message holding one never goes back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import (
    batch_get,
    batch_write,
    is_condition_failure,
    plain,
    query_page,
    storable,
    transact,
)
from chalicelib.adapters.sessions_repo import fence_condition, session_key
from chalicelib.domain import clock
from chalicelib.domain.campaigns import MAX_RECIPIENTS, bucket
from chalicelib.domain.errors import Conflict, StaleFence, ValidationFailed
from chalicelib.domain.messages import MESSAGE_EXISTS, Message, MessageStatus, predecessors
from chalicelib.domain.paging import Page
from chalicelib.domain.quotas import Charge
from chalicelib.domain.sessions import Session, SessionStatus, not_ready_error

INFLIGHT = "SENDING"
SCHEDULED = "SCHEDULED"
OVERDUE_PAGES = 10
CAMPAIGN_PAGES = MAX_RECIPIENTS // 500  # a progress index page holds a thousand keys or more
SEND_TOKEN = "send_token"  # noqa: S105 (an attribute name; on the item, not on the API)
T = TypeVar("T")
_DESERIALIZER = TypeDeserializer()


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level (typed) DynamoDB item as plain values."""
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def message_key(tenant_id: str, message_id: str) -> dict[str, str]:
    return {"pk": tenant_id, "sk": f"MSG#{message_id}"}


def pointer_key(tenant_id: str, session_id: str, engine_id: str) -> dict[str, str]:
    return {"pk": tenant_id, "sk": f"WAID#{session_id}#{engine_id}"}


class DynamoMessageRepo:
    def __init__(self, resource: Any, table_name: str, sessions_table: str,
                 users_table: str) -> None:
        self._client = resource.meta.client
        self._name = table_name
        self._sessions = sessions_table
        self._users = users_table
        self._table = resource.Table(table_name)

    def _item(self, message: Message) -> dict[str, Any]:
        item = {**message_key(message.tenant_id, message.id), **message.model_dump(mode="json"),
                "session_key": f"{message.tenant_id}#{message.session_id}",
                "chat_key": f"{message.tenant_id}#{message.session_id}#{message.chat}"}
        if message.status == MessageStatus.SCHEDULED:  # watched until it is due and taken
            item["inflight"] = SCHEDULED
        if message.campaign_id:  # in its campaign's progress index
            item["campaign_key"] = f"{message.tenant_id}#{message.campaign_id}"
            item["campaign_state"] = bucket(message.status, None)
        return storable({k: v for k, v in item.items() if v is not None})

    def create_many(self, messages: Sequence[Message]) -> None:
        """Store accepted messages in batches (a campaign's release: its ids are derived and
        its range claimed, so no write here can meet another message; see ``existing``)."""
        batch_write(self._client, self._name, [self._item(m) for m in messages])

    def charge(self, tenant_id: str, charges: Sequence[Charge], count: int) -> None:
        """Spend ``count`` on each usage counter (a batch's messages), each refused with
        its error, spending nothing more, when it would pass its limit."""
        for charge in charges:
            if count > charge.limit:
                raise charge.error
            try:
                self._client.update_item(
                    TableName=self._users, Key={"pk": tenant_id, "sk": charge.sk},
                    UpdateExpression="ADD #n :count SET expires_at_epoch = :exp",
                    ConditionExpression="attribute_not_exists(#n) OR #n <= :room",
                    ExpressionAttributeNames={"#n": "count"},
                    ExpressionAttributeValues={":count": count, ":room": charge.limit - count,
                                               ":exp": charge.expires_epoch})
            except ClientError as exc:
                if is_condition_failure(exc):
                    raise charge.error from exc
                raise

    def existing(self, tenant_id: str, message_ids: Sequence[str]) -> set[str]:
        """Which of these messages are stored already (keys only, a hundred to a call)."""
        keys = [message_key(tenant_id, message_id) for message_id in message_ids]
        return {item["sk"].removeprefix("MSG#")
                for item in batch_get(self._client, self._name, keys, projection="sk")}

    def campaign_counts(self, tenant_id: str, campaign_id: str) -> dict[str, int]:
        """How many of a campaign's messages are in each progress bucket (keys only)."""
        counts: dict[str, int] = {}
        query: dict[str, Any] = {
            "IndexName": "by_campaign", "ProjectionExpression": "campaign_state",
            "KeyConditionExpression": Key("campaign_key").eq(f"{tenant_id}#{campaign_id}")}
        for _ in range(CAMPAIGN_PAGES):
            response = self._table.query(**query)
            for item in response.get("Items", []):
                counts[item["campaign_state"]] = counts.get(item["campaign_state"], 0) + 1
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return counts

    def campaign_page(self, tenant_id: str, campaign_id: str, state: str | None, limit: int,
                      cursor: str | None) -> Page:
        """A page of a campaign's messages (as the progress index keeps them: id, to,
        status, session, error), in one progress bucket or all."""
        condition = Key("campaign_key").eq(f"{tenant_id}#{campaign_id}")
        if state is not None:
            condition = condition & Key("campaign_state").eq(state)
        items, next_cursor = query_page(self._table, tenant_id, limit, cursor,
                                        IndexName="by_campaign",
                                        KeyConditionExpression=condition)
        return Page(items, next_cursor)

    def create(self, message: Message, charges: tuple[Charge, ...] = ()) -> None:
        """Store an accepted message in one transaction with the check that its session
        exists and can send now (``domain.sessions.not_ready``: WORKING, or STARTING once
        paired) and the usage counters it spends (each refused at its limit). A message
        whose id is taken is refused (Conflict ``message_exists``), charging nothing."""
        items: list[dict[str, Any]] = [
            {"ConditionCheck": {
                "TableName": self._sessions,
                "Key": session_key(message.tenant_id, message.session_id),
                "ConditionExpression": "attribute_exists(pk) AND (#st = :working OR "
                                       "(#st = :starting AND attribute_exists(phone)))",
                "ExpressionAttributeNames": {"#st": "status"},
                "ExpressionAttributeValues": {":working": SessionStatus.WORKING.value,
                                              ":starting": SessionStatus.STARTING.value},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": {"TableName": self._name, "Item": self._item(message),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
        for charge in charges:
            items.append({"Update": {
                "TableName": self._users, "Key": {"pk": message.tenant_id, "sk": charge.sk},
                "UpdateExpression": "ADD #n :one SET expires_at_epoch = :exp",
                "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                "ExpressionAttributeNames": {"#n": "count"},
                "ExpressionAttributeValues": {":one": 1, ":limit": charge.limit,
                                              ":exp": charge.expires_epoch}}})
        cancelled = transact(self._client, items)
        if cancelled is None:
            return
        if cancelled and cancelled[0].failed:
            item = cancelled[0].item
            refusal = not_ready_error(Session.model_validate(plain(_deserialize(item)))) \
                if item else None
            raise refusal or ValidationFailed.field("session_id", "no such session")
        if len(cancelled) > 1 and cancelled[1].failed:
            raise Conflict(f"message {message.id} exists already", code=MESSAGE_EXISTS)
        for index, charge in enumerate(charges, start=2):
            if len(cancelled) > index and cancelled[index].failed:
                raise charge.error
        raise RuntimeError(f"accepting message {message.id} was cancelled for no known reason")

    def update_fields(self, tenant_id: str, message_id: str,
                      fields: dict[str, Any]) -> Message:
        """Set plain fields (edits, stars) on an existing message."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        response = self._table.update_item(
            Key=message_key(tenant_id, message_id),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
            ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames=names,
            ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        return Message.model_validate(plain(response["Attributes"]))

    def inflight(self, updated_before: str, limit: int = 100) -> list[Message]:
        """Messages stuck in "sending" since before ``updated_before`` (all tenants)."""
        response = self._table.query(
            IndexName="by_inflight", Limit=limit,
            KeyConditionExpression=Key("inflight").eq(INFLIGHT)
            & Key("updated_at").lt(updated_before))
        return [Message.model_validate(plain(i)) for i in response.get("Items", [])]

    def overdue(self, due_before: str, limit: int = 100) -> list[Message]:
        """Scheduled messages whose time passed before ``due_before`` and that nothing took
        (a lost schedule or queue record), all tenants, at most ``limit``. The index orders
        them by when they were accepted, not when they are due, so the filter reads past the
        ones still waiting: at most ``OVERDUE_PAGES`` pages (1 MB each) a call."""
        query: dict[str, Any] = {"IndexName": "by_inflight",
                                 "KeyConditionExpression": Key("inflight").eq(SCHEDULED),
                                 "FilterExpression": Attr("schedule_at").lt(due_before)}
        found: list[Message] = []
        for _ in range(OVERDUE_PAGES):
            response = self._table.query(**query)
            found += [Message.model_validate(plain(i)) for i in response.get("Items", [])]
            if len(found) >= limit or "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[:limit]

    def get(self, tenant_id: str, message_id: str) -> Message | None:
        item = self._table.get_item(Key=message_key(tenant_id, message_id),
                                    ConsistentRead=True).get("Item")
        return Message.model_validate(plain(item)) if item else None

    def list(self, tenant_id: str, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None, after: str | None = None) -> Page:
        newest_first: dict[str, Any] = {"ScanIndexForward": False}
        if chat and session_id:
            query = {"IndexName": "by_chat", "KeyConditionExpression":
                     Key("chat_key").eq(f"{tenant_id}#{session_id}#{chat}")
                     & (Key("sk").between(f"MSG#{after}", "MSG#~") if after
                        else Key("sk").begins_with("MSG#"))}
        elif session_id:
            query = {"IndexName": "by_session", "KeyConditionExpression":
                     Key("session_key").eq(f"{tenant_id}#{session_id}")
                     & Key("sk").begins_with("MSG#")}
        else:
            query = {"KeyConditionExpression":
                     Key("pk").eq(tenant_id) & Key("sk").begins_with("MSG#")}
        items, next_cursor = query_page(self._table, tenant_id, limit, cursor,
                                        **query, **newest_first)
        return Page([Message.model_validate(i) for i in items], next_cursor)

    def _transition_update(self, tenant_id: str, message_id: str, target: MessageStatus,
                           reason: str | None, fields: dict[str, Any], at: str,
                           condition: str = "") -> dict[str, Any]:
        allowed = predecessors(target)
        names = {"#status": "status"}
        values: dict[str, Any] = {
            ":target": target.value, ":at": at,
            ":h": [{"status": target.value, "at": at, "reason": reason}],
            **{f":p{i}": s.value for i, s in enumerate(allowed)},
        }
        sets = ["#status = :target", "updated_at = :at", "history = list_append(history, :h)",
                "campaign_state = :bucket"]  # campaign messages only are in its index
        values[":bucket"] = bucket(target, reason)
        if target != MessageStatus.QUEUED:  # a requeue is no progress: history only
            names["#target"] = target.value
            sets.append("timestamps.#target = if_not_exists(timestamps.#target, :at)")
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        # Only messages in "sending" are in the sparse in-flight index (for the reconciler).
        if target == MessageStatus.SENDING:
            sets.append("inflight = :inflight")
            values[":inflight"] = INFLIGHT
            tail = ""
        else:
            tail = " REMOVE inflight"
        conditions = ["#status IN (" + ", ".join(f":p{i}" for i in range(len(allowed))) + ")",
                      "updated_at <= :at"]
        if target == MessageStatus.QUEUED:  # back to the queue only if no send began
            conditions.append(f"attribute_not_exists({SEND_TOKEN})")
        if condition:
            conditions.append(condition)
        return {"Key": message_key(tenant_id, message_id),
                "UpdateExpression": "SET " + ", ".join(sets) + tail,
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}

    def _stamped(self, tenant_id: str, message_id: str, write: Callable[[str], T | None]
                 ) -> T | None:
        """Run a status write stamped now; if it was refused and the message's last change
        is later than this clock's now, once more stamped at that change."""
        at = clock.now_iso()
        result = write(at)
        if result is not None:
            return result
        item = self._table.get_item(Key=message_key(tenant_id, message_id),
                                    ConsistentRead=True, ProjectionExpression="updated_at"
                                    ).get("Item")
        if item is None or item.get("updated_at", "") <= at:
            return None
        return write(item["updated_at"])

    def transition(self, tenant_id: str, message_id: str, target: MessageStatus,
                   reason: str | None = None, **fields: Any) -> Message | None:
        if not predecessors(target):
            return None

        def write(at: str) -> Message | None:
            update = self._transition_update(tenant_id, message_id, target, reason, fields, at)
            try:
                response = self._table.update_item(**update, ReturnValues="ALL_NEW")
            except ClientError as exc:
                if is_condition_failure(exc):
                    return None
                raise
            return Message.model_validate(plain(response["Attributes"]))

        return self._stamped(tenant_id, message_id, write)

    # --- writes by the owning session host, fenced by its lease token ---

    def _fence_check(self, tenant_id: str, session_id: str, host_id: str,
                     fence: int) -> dict[str, Any]:
        condition, names, values = fence_condition(host_id, fence)
        return {"ConditionCheck": {
            "TableName": self._sessions, "Key": session_key(tenant_id, session_id),
            "ConditionExpression": condition, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}}

    def _transact(self, items: list[dict[str, Any]], fence_index: int | None = None) -> bool:
        """Run a transaction; False when a non-fence condition failed, StaleFence when the
        fence (the item at ``fence_index``) did."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            reasons = exc.response.get("CancellationReasons") or []
            if fence_index is not None and len(reasons) > fence_index \
                    and reasons[fence_index].get("Code") == "ConditionalCheckFailed":
                raise StaleFence("lease moved on") from exc
            return False
        return True

    def begin_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                   engine_id: str | None, host_id: str, fence: int) -> bool:
        """Mark the one hand-over of a message being sent to its engine: store ``token`` (and
        the engine id chosen beforehand, with the pointer receipts follow), fenced by the
        lease. False when another attempt holds a token or the message is not "sending";
        StaleFence when the lease moved on."""
        names = {"#status": "status", "#token": SEND_TOKEN}
        values: dict[str, Any] = {":sending": MessageStatus.SENDING.value, ":token": token}
        sets = "SET #token = :token"
        items: list[dict[str, Any]] = [self._fence_check(tenant_id, session_id, host_id, fence)]
        if engine_id:
            sets += ", engine_message_id = :engine_id"
            values[":engine_id"] = engine_id
            items.append({"Put": {"TableName": self._name, "Item": {
                **pointer_key(tenant_id, session_id, engine_id), "message_id": message_id},
                "ConditionExpression": "attribute_not_exists(pk)"}})
        items.insert(1, {"Update": {
            "TableName": self._name, "Key": message_key(tenant_id, message_id),
            "UpdateExpression": sets,
            "ConditionExpression": "#status = :sending AND attribute_not_exists(#token)",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
        return self._transact(items, fence_index=0)

    def abandon_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                     engine_id: str | None) -> None:
        """The engine refused and nothing left: drop this attempt's token (and its chosen
        engine id), so a later attempt may send."""
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self._name, "Key": message_key(tenant_id, message_id),
            "UpdateExpression": "REMOVE #token" + (", engine_message_id" if engine_id else ""),
            "ConditionExpression": "#token = :token",
            "ExpressionAttributeNames": {"#token": SEND_TOKEN},
            "ExpressionAttributeValues": {":token": token}}}]
        if engine_id:
            items.append({"Delete": {"TableName": self._name,
                                     "Key": pointer_key(tenant_id, session_id, engine_id)}})
        self._transact(items)

    def record_sent(self, tenant_id: str, session_id: str, message_id: str, engine_id: str,
                    token: str) -> bool:
        """The attempt holding ``token`` sent the message: "sent", with its engine id. The
        token, stored under the lease, fences this write: it stays true after the lease
        moved on, since the message did leave through this host."""

        def write(at: str) -> bool | None:
            update = self._transition_update(
                tenant_id, message_id, MessageStatus.SENT, None,
                {"engine_message_id": engine_id}, at, condition="#token = :token")
            update["ExpressionAttributeNames"]["#token"] = SEND_TOKEN
            update["ExpressionAttributeValues"][":token"] = token
            return self._transact([
                {"Update": {"TableName": self._name, **update}},
                {"Put": {"TableName": self._name,
                         "Item": {**pointer_key(tenant_id, session_id, engine_id),
                                  "message_id": message_id}}},
            ]) or None

        return bool(self._stamped(tenant_id, message_id, write))

    def by_engine_id(self, tenant_id: str, session_id: str, engine_id: str) -> Message | None:
        """The message a session's engine knows as ``engine_id`` (through its pointer)."""
        pointer = self._table.get_item(Key=pointer_key(tenant_id, session_id, engine_id),
                                       ConsistentRead=True).get("Item")
        return self.get(tenant_id, pointer["message_id"]) if pointer else None

    def record_change(self, tenant_id: str, session_id: str, host_id: str, fence: int,
                      message_id: str | None = None, fields: dict[str, Any] | None = None
                      ) -> bool:
        """Check the host's lease (StaleFence when it moved on) and, in the same transaction,
        set ``fields`` on message ``message_id`` when given; False when that message is gone."""
        items = [self._fence_check(tenant_id, session_id, host_id, fence)]
        if message_id and fields:
            names = {f"#f{i}": name for i, name in enumerate(fields)}
            values = {f":f{i}": value for i, value in enumerate(fields.values())}
            items.append({"Update": {
                "TableName": self._name, "Key": message_key(tenant_id, message_id),
                "UpdateExpression": "SET " + ", ".join(f"{n} = :{n[1:]}" for n in names),
                "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": storable(values)}})
        return self._transact(items, fence_index=0)

    def apply_receipt(self, tenant_id: str, session_id: str, engine_id: str,
                      target: MessageStatus, host_id: str, fence: int) -> Message | None:
        pointer = self._table.get_item(Key=pointer_key(tenant_id, session_id, engine_id),
                                       ConsistentRead=True).get("Item")
        if not pointer:
            return None
        message_id = pointer["message_id"]

        def write(at: str) -> bool | None:
            update = self._transition_update(tenant_id, message_id, target, None, {}, at)
            return self._transact([self._fence_check(tenant_id, session_id, host_id, fence),
                                   {"Update": {"TableName": self._name, **update}}],
                                  fence_index=0) or None

        if not self._stamped(tenant_id, message_id, write):
            return None
        return self.get(tenant_id, message_id)

    def store_inbound(self, message: Message, host_id: str, fence: int) -> bool:
        """Store an inbound message once (engines may replay them); False for a replay."""
        return self._transact([
            self._fence_check(message.tenant_id, message.session_id, host_id, fence),
            {"Put": {"TableName": self._name,
                     "Item": {**pointer_key(message.tenant_id, message.session_id,
                                            message.engine_message_id or message.id),
                              "message_id": message.id},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self._name, "Item": self._item(message)}},
        ], fence_index=0)
