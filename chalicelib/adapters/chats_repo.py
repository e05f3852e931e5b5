"""A session's chats and labels in the chats table (pk tenant id; sk
``CHAT#<session>#<jid>`` and ``LABEL#<session>#<label id>``).

A chat item carries ``session_key`` (``<tenant>#<session>``) and ``activity`` (its last
message's time) while it is listed: the sparse ``by_activity`` index lists a session's chats
newest first, and a deleted chat drops out of it (``session_key`` removed) until its next
message. Its labels are a string set (adding and taking off are idempotent)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import (
    TenantItems,
    is_condition_failure,
    plain,
    query_page,
    storable,
)
from chalicelib.domain import clock
from chalicelib.domain.chats import Chat, LastMessage, StoredLabel
from chalicelib.domain.live.labels import LABELS_MAX
from chalicelib.domain.paging import Page

FILTERED_READS = 10  # a filtered page stops after this many reads (short, with a cursor)
LABEL_SWEEP_PAGES = 20  # chats a deleted label is taken off: at most this many pages of 100


class DynamoChatRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)
        self._chats = TenantItems(self._table, "CHAT")
        self._labels = TenantItems(self._table, "LABEL")

    # --- chats ---

    def get(self, tenant_id: str, session_id: str, jid: str) -> Chat | None:
        item = self._chats.get(tenant_id, f"{session_id}#{jid}", consistent=True)
        return Chat.from_item(item) if item else None

    def list(self, tenant_id: str, session_id: str, limit: int, cursor: str | None, *,
             archived: bool | None = None, pinned: bool | None = None,
             unread: bool | None = None, label: str | None = None) -> Page:
        """A session's listed chats, latest activity first (optionally filtered)."""
        conditions = []
        for name, wanted in (("archived", archived), ("pinned", pinned)):
            if wanted is not None:
                conditions.append(Attr(name).eq(True) if wanted else Attr(name).ne(True))
        if unread is not None:
            conditions.append(Attr("unread_count").gt(0) if unread
                              else Attr("unread_count").lte(0) | Attr("unread_count").not_exists())
        if label is not None:
            conditions.append(Attr("labels").contains(label))
        query: dict[str, Any] = {
            "IndexName": "by_activity", "ScanIndexForward": False,
            "KeyConditionExpression": Key("session_key").eq(f"{tenant_id}#{session_id}")}
        if conditions:
            combined = conditions[0]
            for condition in conditions[1:]:
                combined = combined & condition
            query["FilterExpression"] = combined
        items, next_cursor = query_page(self._table, tenant_id, limit, cursor,
                                        max_reads=FILTERED_READS if conditions else None,
                                        **query)
        return Page([Chat.from_item(i) for i in items], next_cursor)

    def _update(self, tenant_id: str, session_id: str, jid: str, sets: dict[str, Any],
                *, add: dict[str, Any] | None = None, delete: dict[str, Any] | None = None,
                remove: tuple[str, ...] = (), keep: dict[str, Any] | None = None,
                condition: str | None = None, values: dict[str, Any] | None = None) -> bool:
        """One UpdateItem of a chat: SET ``sets`` (``keep``: only where not set yet), ADD,
        DELETE from sets, REMOVE; False when ``condition`` failed."""
        names: dict[str, str] = {}
        vals: dict[str, Any] = dict(values or {})
        clauses: list[str] = []

        def ref(name: str, value: Any) -> tuple[str, str]:
            index = len(names)
            names[f"#a{index}"] = name
            vals[f":v{index}"] = value
            return f"#a{index}", f":v{index}"

        sets_part = []
        for name, value in sets.items():
            n, v = ref(name, value)
            sets_part.append(f"{n} = {v}")
        for name, value in (keep or {}).items():
            n, v = ref(name, value)
            sets_part.append(f"{n} = if_not_exists({n}, {v})")
        if sets_part:
            clauses.append("SET " + ", ".join(sets_part))
        for verb, part in (("ADD", add), ("DELETE", delete)):
            if part:
                clauses.append(verb + " " + ", ".join(" ".join(ref(n, v)) for n, v in part.items()))
        if remove:
            refs = []
            for name in remove:
                index = len(names)
                names[f"#a{index}"] = name
                refs.append(f"#a{index}")
            clauses.append("REMOVE " + ", ".join(refs))
        extra: dict[str, Any] = {}
        if condition:
            extra["ConditionExpression"] = condition
        try:
            self._table.update_item(Key=self._chats.key(tenant_id, f"{session_id}#{jid}"),
                                    UpdateExpression=" ".join(clauses),
                                    ExpressionAttributeNames=names,
                                    ExpressionAttributeValues=storable(vals), **extra)
        except ClientError as exc:
            if condition and is_condition_failure(exc):
                return False
            raise
        return True

    @staticmethod
    def _listed(tenant_id: str, session_id: str, jid: str) -> dict[str, Any]:
        return {"session_key": f"{tenant_id}#{session_id}", "session_id": session_id,
                "jid": jid}

    def touch(self, tenant_id: str, session_id: str, jid: str, last: LastMessage,
              unread: int = 0, name: str | None = None) -> None:
        """A message came or went: the chat's last message and activity, ``unread`` more
        unread messages (one write; it lists a deleted chat again)."""
        self._update(tenant_id, session_id, jid,
                     {**self._listed(tenant_id, session_id, jid), "activity": last.at,
                      "last_activity_at": last.at,
                      "last_message": last.model_dump(mode="json", exclude_none=True)},
                     add={"unread_count": unread},
                     keep={"name": name} if name else None)

    def change(self, tenant_id: str, session_id: str, jid: str, sets: dict[str, Any],
               remove: tuple[str, ...] = ()) -> None:
        """Archive, pin, mute or mark read a chat (known or not yet)."""
        now = clock.now_iso()
        self._update(tenant_id, session_id, jid, {**self._listed(tenant_id, session_id, jid),
                                                  **sets},
                     keep={"activity": now}, remove=remove)

    def clear(self, tenant_id: str, session_id: str, jid: str, before_id: str,
              delete: bool = False) -> None:
        """Hide the chat's messages before ``before_id`` (and with ``delete`` the chat itself,
        until its next message)."""
        remove: tuple[str, ...] = ("last_message",)
        if delete:
            remove += ("session_key", "labels", "pinned", "archived")
        self._update(tenant_id, session_id, jid,
                     {"cleared_before": before_id, "unread_count": 0, "jid": jid,
                      "session_id": session_id}, remove=remove)

    def merge_history(self, tenant_id: str, session_id: str, jid: str, *, at: str,
                      last: LastMessage | None, name: str | None, unread_count: int,
                      archived: bool, pinned: bool, muted_until: str | None) -> bool:
        """A chat from WhatsApp's history sync, unless wagate saw a later message of it
        (False then: what is stored is newer)."""
        sets: dict[str, Any] = {**self._listed(tenant_id, session_id, jid), "activity": at,
                                "last_activity_at": at, "unread_count": unread_count,
                                "archived": archived, "pinned": pinned}
        if last is not None:
            sets["last_message"] = last.model_dump(mode="json", exclude_none=True)
        if muted_until:
            sets["muted_until"] = muted_until
        return self._update(tenant_id, session_id, jid, sets,
                            keep={"name": name} if name else None,
                            condition="attribute_not_exists(activity) OR activity < :at",
                            values={":at": at})

    def label_chat(self, tenant_id: str, session_id: str, jid: str, label_id: str,
                   on: bool) -> None:
        if on:
            self._update(tenant_id, session_id, jid, {**self._listed(tenant_id, session_id, jid)},
                         keep={"activity": clock.now_iso()}, add={"labels": {label_id}})
        else:
            self._update(tenant_id, session_id, jid, {}, delete={"labels": {label_id}},
                         condition="attribute_exists(pk)")

    # --- labels ---

    def put_label(self, tenant_id: str, label: StoredLabel) -> None:
        self._labels.put(tenant_id, f"{label.session_id}#{label.id}",
                         label.model_dump(mode="json"))

    def get_label(self, tenant_id: str, session_id: str, label_id: str) -> StoredLabel | None:
        item = self._labels.get(tenant_id, f"{session_id}#{label_id}", consistent=True)
        return StoredLabel.model_validate(item) if item else None

    def labels(self, tenant_id: str, session_id: str) -> list[StoredLabel]:
        """A session's labels (at most ``LABELS_MAX``), in id order."""
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(tenant_id)
            & Key("sk").begins_with(f"LABEL#{session_id}#"), Limit=LABELS_MAX,
            ConsistentRead=True)
        labels = [StoredLabel.model_validate(plain(i)) for i in response.get("Items", [])]
        return sorted(labels, key=lambda label: (len(label.id), label.id))

    def delete_label(self, tenant_id: str, session_id: str, label_id: str) -> StoredLabel | None:
        """Delete a label and take it off its chats; the label as it was, or None."""
        old = self._labels.delete(tenant_id, f"{session_id}#{label_id}")
        cursor = None
        for _ in range(LABEL_SWEEP_PAGES):
            page = self.list(tenant_id, session_id, 100, cursor, label=label_id)
            for chat in page.items:
                self.label_chat(tenant_id, session_id, chat.jid, label_id, on=False)
            cursor = page.next_cursor
            if cursor is None:
                break
        return StoredLabel.model_validate(old) if old else None

