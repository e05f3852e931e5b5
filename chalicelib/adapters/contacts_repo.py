"""The contacts table: a session's contacts (pk tenant id, sk ``CT#<session>#<jid>``) and the
tenant's LID <-> phone map (``LID#<lid user>`` and ``PN#<digits>``, the same mapping twice so
either side is one read).

A contact's local name and what the engine says of it are written apart, each without
reading first: ``name_key`` (the "by_name" index) is the local name's key when there is one
(``local_key``), else the push name's (``push_key``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from chalicelib.adapters.dynamo import TenantItems, plain, query_page, storable
from chalicelib.domain.live.contacts import NumberCheck
from chalicelib.domain.paging import Page
from chalicelib.domain.people import Contact, LidMapping, name_key, search_text

TRANSACT_MAX = 100  # items per TransactWriteItems
FILTERED_READS = 5  # a search reads at most this many pages of the index per page it answers
_INDEX = {"name": ("by_name", True), "recent": ("by_recent", False)}


def _user(jid: str) -> str:
    return jid.partition("@")[0]


class DynamoContactsRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._client = resource.meta.client
        self._name = table_name
        self._table = resource.Table(table_name)
        self._lids = TenantItems(self._table, "LID")
        self._pns = TenantItems(self._table, "PN")

    # --- keys and writes ---

    @staticmethod
    def _key(tenant_id: str, session_id: str, jid: str) -> dict[str, str]:
        return {"pk": tenant_id, "sk": f"CT#{session_id}#{jid}"}

    def _contact_update(self, tenant_id: str, session_id: str, jid: str, at: str,
                        fields: dict[str, Any], push_name: str | None = None,
                        touch: bool = True, local: dict[str, str | None] | None = None
                        ) -> dict[str, Any]:
        """An Update of a contact (made if new): ``fields`` set as given, the push name with
        its sort and search keys, its activity time (``touch``), and with ``local`` its local
        first/last name (None values removed)."""
        values: dict[str, Any] = {":t": tenant_id, ":s": session_id, ":j": jid,
                                  ":sk": f"{tenant_id}#{session_id}", ":at": at}
        sets = ["tenant_id = :t", "session_id = :s", "jid = :j", "session_key = :sk",
                "updated_at = :at",
                "seen_at = :at" if touch else "seen_at = if_not_exists(seen_at, :at)"]
        names: dict[str, str] = {}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        removes: list[str] = []
        if local is not None:
            for name, value in local.items():
                if value is None:
                    removes.append(name)
                else:
                    values[f":{name}"] = value
                    sets.append(f"{name} = :{name}")
            full = " ".join(v for v in local.values() if v)
            if full:
                values.update({":lk": name_key(full, jid), ":ll": search_text(full)})
                sets += ["local_key = :lk", "name_key = :lk", "lc_local = :ll"]
            else:
                removes += ["local_key", "lc_local"]
                values[":nk"] = name_key(None, jid)
                sets.append("name_key = if_not_exists(push_key, :nk)")
        elif push_name:
            values.update({":pn": push_name, ":pk": name_key(push_name, jid),
                           ":lp": search_text(push_name)})
            sets += ["push_name = :pn", "push_key = :pk", "lc_push = :lp",
                     "name_key = if_not_exists(local_key, :pk)"]
        else:
            values[":nk"] = name_key(None, jid)
            sets.append("name_key = if_not_exists(name_key, :nk)")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes)
                                                 if removes else "")
        update: dict[str, Any] = {
            "TableName": self._name, "Key": self._key(tenant_id, session_id, jid),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": storable(values)}
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def _mapping_puts(self, tenant_id: str, phone: str, lid: str, at: str) -> list[dict[str, Any]]:
        mapping = {"lid": lid, "phone": phone, "jid": f"{phone.lstrip('+')}@s.whatsapp.net",
                   "updated_at": at}
        return [{"Put": {"TableName": self._name,
                         "Item": {**items.key(tenant_id, item_id), **mapping}}}
                for items, item_id in ((self._lids, _user(lid)), (self._pns, phone.lstrip("+")))]

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        for start in range(0, len(writes), TRANSACT_MAX):
            self._client.transact_write_items(TransactItems=writes[start:start + TRANSACT_MAX])

    def learn(self, tenant_id: str, session_id: str, jid: str, at: str, *,
              phone: str | None = None, lid: str | None = None, push_name: str | None = None,
              business_name: str | None = None) -> None:
        """What an event revealed of a person, in one write: their contact (made if new) and,
        when it tells both, their LID <-> phone mapping."""
        fields = {name: value for name, value in (("phone", phone), ("lid", lid),
                                                  ("business_name", business_name)) if value}
        writes = [self._contact_update(tenant_id, session_id, jid, at, fields, push_name)]
        if phone and lid:
            writes += self._mapping_puts(tenant_id, phone, lid, at)
        self._transact(writes)

    def record_checks(self, tenant_id: str, session_id: str, checks: Iterable[NumberCheck],
                      at: str) -> None:
        """What number checks told: whether each is on WhatsApp (onto its contact), and the
        LIDs they revealed."""
        writes: list[dict[str, Any]] = []
        for check in checks:
            jid = check.jid or f"{check.phone.lstrip('+')}@s.whatsapp.net"
            fields: dict[str, Any] = {"phone": check.phone, "on_whatsapp": check.on_whatsapp,
                                      "checked_at": at}
            if check.lid:
                fields["lid"] = check.lid
            if check.name:
                fields["business_name"] = check.name
            writes.append(self._contact_update(tenant_id, session_id, jid, at, fields))
            if check.lid:
                writes += self._mapping_puts(tenant_id, check.phone, check.lid, at)
        self._transact(writes)

    def set_local_name(self, tenant_id: str, session_id: str, jid: str, at: str,
                       first_name: str | None, last_name: str | None,
                       known: dict[str, Any]) -> Contact:
        """Give the contact a local name (both None: remove it); ``known`` are fields to set
        on a contact made here (its phone, its LID)."""
        body = self._contact_update(tenant_id, session_id, jid, at, known, touch=False,
                                    local={"first_name": first_name,
                                           "last_name": last_name})["Update"]
        body.pop("TableName")
        response = self._table.update_item(**body, ReturnValues="ALL_NEW")
        return Contact.model_validate(plain(response["Attributes"]))

    def set_fields(self, tenant_id: str, session_id: str, jid: str, at: str,
                   fields: dict[str, Any]) -> None:
        """Set fields of a contact (made if new) without counting it as activity: a cached
        picture URL, whether it is blocked."""
        self._transact([self._contact_update(tenant_id, session_id, jid, at, fields,
                                             touch=False)])

    # --- reads ---

    def get(self, tenant_id: str, session_id: str, jid: str) -> Contact | None:
        item = self._table.get_item(Key=self._key(tenant_id, session_id, jid)).get("Item")
        return Contact.model_validate(plain(item)) if item else None

    def list(self, tenant_id: str, session_id: str, limit: int, cursor: str | None,
             sort: str = "name", q: str | None = None) -> Page:
        """A page of the session's contacts by name or by last activity (newest first);
        ``q`` (already as ``search_query`` makes it) matches names, numbers and LIDs."""
        index, forward = _INDEX[sort]
        query: dict[str, Any] = {
            "IndexName": index, "ScanIndexForward": forward,
            "KeyConditionExpression": Key("session_key").eq(f"{tenant_id}#{session_id}")}
        condition = None
        if q:
            condition = (Attr("lc_push").contains(q) | Attr("lc_local").contains(q)
                         | Attr("jid").contains(q) | Attr("lid").contains(q))
        if condition is not None:
            query["FilterExpression"] = condition
        items, next_cursor = query_page(self._table, tenant_id, limit, cursor,
                                        max_reads=FILTERED_READS if condition else None, **query)
        return Page([Contact.model_validate(i) for i in items], next_cursor)

    def lids(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._lids.page(tenant_id, limit, cursor)
        return Page([LidMapping.model_validate(i) for i in items], next_cursor)

    def by_lid(self, tenant_id: str, lid: str) -> LidMapping | None:
        item = self._lids.get(tenant_id, _user(lid))
        return LidMapping.model_validate(item) if item else None

    def by_phone(self, tenant_id: str, phone: str) -> LidMapping | None:
        item = self._pns.get(tenant_id, phone.lstrip("+"))
        return LidMapping.model_validate(item) if item else None
