"""The address book table: contacts (sk ``CONTACT#<id>``), the claim that keeps a number to
one contact (``PHONE#<digits>`` -> contact id), and statuses, sources and groups
(``STATUS#<id>``, ``SOURCE#<id>``, ``GROUP#<id>``); pk is the tenant id."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import reduce
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from chalicelib.adapters.dynamo import TenantItems, plain, query_page, storable, transact
from chalicelib.domain.address_book import Contact, Tag, TagKind
from chalicelib.domain.paging import Page

WRITE_BATCH = 25  # BatchWriteItem's limit
GET_BATCH = 100  # BatchGetItem's limit
WRITERS = 4  # batches written at once
BATCH_ATTEMPTS = 6  # a batch's unprocessed items are retried, backing off, this many times
FILTERED_READS = 10  # reads a filtered page may take before it returns short (with a cursor)
_KINDS: dict[TagKind, str] = {"status": "STATUS", "source": "SOURCE", "group": "GROUP"}


def _contact(item: dict[str, Any]) -> Contact:
    return Contact.model_validate({k: v for k, v in item.items() if k in Contact.model_fields})


def _tag(item: dict[str, Any]) -> Tag:
    return Tag.model_validate({k: v for k, v in item.items() if k in Tag.model_fields})


class DynamoAddressBookRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._table = resource.Table(table_name)
        self._client = resource.meta.client
        self._name = table_name
        self._contacts = TenantItems(self._table, "CONTACT")
        self._phones = TenantItems(self._table, "PHONE")
        self._tags = {kind: TenantItems(self._table, prefix) for kind, prefix in _KINDS.items()}

    # --- contacts ---

    def _contact_item(self, contact: Contact) -> dict[str, Any]:
        return {**contact.model_dump(), **self._contacts.key(contact.tenant_id, contact.id),
                "search": contact.search_text()}

    def _claim_item(self, contact: Contact) -> dict[str, Any]:
        return {**self._phones.key(contact.tenant_id, contact.digits), "contact_id": contact.id}

    def _put(self, item: dict[str, Any], condition: str) -> dict[str, Any]:
        return {"Put": {"TableName": self._name, "ConditionExpression": condition,
                        "Item": storable(item)}}

    def create_contact(self, contact: Contact) -> bool:
        """Store a new contact and claim its number in one transaction; False when the number
        is another contact's."""
        return transact(self._client, [
            self._put(self._contact_item(contact), "attribute_not_exists(pk)"),
            self._put(self._claim_item(contact), "attribute_not_exists(pk)"),
        ]) is None

    def replace_contact(self, contact: Contact, old_digits: str) -> str | None:
        """Write the contact over its stored self (moving its number's claim when the number
        changed); None when written, else "phone" (the number is another contact's) or
        "contact" (it is gone)."""
        stored = self._put(self._contact_item(contact), "attribute_exists(pk)")
        if contact.digits == old_digits:
            return None if self._contacts.put(contact.tenant_id, contact.id,
                                              self._contact_item(contact), must_exist=True) \
                else "contact"
        cancelled = transact(self._client, [
            stored,
            self._put(self._claim_item(contact), "attribute_not_exists(pk)"),
            {"Delete": {"TableName": self._name,
                        "Key": self._phones.key(contact.tenant_id, old_digits),
                        "ConditionExpression": "contact_id = :id",
                        "ExpressionAttributeValues": {":id": contact.id}}},
        ])
        if cancelled is None:
            return None
        return "phone" if len(cancelled) > 1 and cancelled[1].failed else "contact"

    def get_contact(self, tenant_id: str, contact_id: str) -> Contact | None:
        item = self._contacts.get(tenant_id, contact_id)
        return _contact(item) if item else None

    def delete_contact(self, tenant_id: str, contact_id: str) -> Contact | None:
        """Delete the contact and release its number; what was there, or None."""
        item = self._contacts.delete(tenant_id, contact_id)
        if item is None:
            return None
        contact = _contact(item)
        self._phones.delete(tenant_id, contact.digits, ConditionExpression="contact_id = :id",
                            ExpressionAttributeValues={":id": contact_id})
        return contact

    def list_contacts(self, tenant_id: str, limit: int, cursor: str | None, q: str | None,
                      status: str | None, source: str | None, group_id: str | None) -> Page:
        """One page, oldest first, of the contacts that match every filter given (``q`` a
        ``search_term``); a filtered page may come back short, with a cursor."""
        conditions: list[ConditionBase] = []
        if q:
            conditions.append(Attr("search").contains(q))
        if status:
            conditions.append(Attr("status").eq(status))
        if source:
            conditions.append(Attr("source").eq(source))
        if group_id:
            conditions.append(Attr("group_ids").contains(group_id))
        extra: dict[str, Any] = {}
        if conditions:
            extra["FilterExpression"] = reduce(lambda a, b: a & b, conditions)
        items, next_cursor = query_page(
            self._table, tenant_id, limit, cursor, max_reads=FILTERED_READS,
            KeyConditionExpression=Key("pk").eq(tenant_id) & Key("sk").begins_with("CONTACT#"),
            **extra)
        return Page([_contact(i) for i in items], next_cursor)

    def contacts(self, tenant_id: str, group_ids: Sequence[str] = (),
                 uses: tuple[TagKind, str] | None = None) -> Iterator[Contact]:
        """Every contact of the tenant (in any of ``group_ids``, when given; using the tag
        ``uses``, when given), read a page (1 MB) at a time: the caller bounds it."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(tenant_id) & Key("sk").begins_with(
                "CONTACT#")}
        conditions: list[ConditionBase] = [Attr("group_ids").contains(g) for g in group_ids]
        if conditions:
            query["FilterExpression"] = reduce(lambda a, b: a | b, conditions)
        if uses is not None:
            kind, tag_id = uses
            query["FilterExpression"] = Attr("group_ids").contains(tag_id) if kind == "group" \
                else Attr(kind).eq(tag_id)
        while True:
            response = self._table.query(**query)
            for item in response.get("Items", []):
                yield _contact(plain(item))
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def phone_owners(self, tenant_id: str) -> dict[str, str]:
        """Every claimed number of the tenant (digits) -> its contact's id."""
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(tenant_id) & Key("sk").begins_with("PHONE#"),
            "ProjectionExpression": "sk, contact_id"}
        owners: dict[str, str] = {}
        while True:
            response = self._table.query(**query)
            for item in response.get("Items", []):
                owners[item["sk"].partition("#")[2]] = item["contact_id"]
            if "LastEvaluatedKey" not in response:
                return owners
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def phone_owner(self, tenant_id: str, digits: str) -> str | None:
        """The id of the contact that claimed the number (digits), or None."""
        item = self._phones.get(tenant_id, digits)
        return item["contact_id"] if item else None

    def get_contacts(self, tenant_id: str, contact_ids: Sequence[str]) -> list[Contact]:
        """The contacts among ``contact_ids`` (BatchGetItem, 100 at a time)."""
        items = self._batch_get([self._contacts.key(tenant_id, i) for i in contact_ids])
        return [_contact(i) for i in items]

    def put_contacts(self, contacts: Sequence[Contact], claim: Sequence[Contact]) -> None:
        """Write ``contacts`` and the number claims of ``claim`` (new contacts) with
        BatchWriteItem, a few batches at once (not conditional: the import's own check of
        the claims is what keeps a number to one contact)."""
        items = [self._contact_item(c) for c in contacts] + [self._claim_item(c) for c in claim]
        batches = [items[i:i + WRITE_BATCH] for i in range(0, len(items), WRITE_BATCH)]
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(self._write_batch, batches))

    def _write_batch(self, items: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": storable(item)}} for item in items]
        for attempt in range(BATCH_ATTEMPTS):
            response = self._client.batch_write_item(RequestItems={self._name: requests})
            requests = response.get("UnprocessedItems", {}).get(self._name, [])
            if not requests:
                return
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        raise RuntimeError(f"{len(requests)} address book items stayed unprocessed")

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), GET_BATCH):
            pending = keys[start:start + GET_BATCH]
            for attempt in range(BATCH_ATTEMPTS):
                response = self._client.batch_get_item(
                    RequestItems={self._name: {"Keys": pending}})
                found.extend(plain(item) for item in
                             response.get("Responses", {}).get(self._name, []))
                pending = response.get("UnprocessedKeys", {}).get(self._name, {}).get("Keys",
                                                                                       [])
                if not pending:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError(f"{len(pending)} address book reads stayed unprocessed")
        return found

    # --- statuses, sources, groups ---

    def put_tag(self, tag: Tag, must_exist: bool) -> bool:
        """Store a tag (``must_exist``: only over the stored one; else only a new one)."""
        return self._tags[tag.kind].put(tag.tenant_id, tag.id, tag.model_dump(),
                                        must_exist=must_exist)

    def get_tag(self, tenant_id: str, kind: TagKind, tag_id: str) -> Tag | None:
        item = self._tags[kind].get(tenant_id, tag_id)
        return _tag(item) if item else None

    def existing_tags(self, tenant_id: str, kind: TagKind, tag_ids: Sequence[str]) -> set[str]:
        """Which of ``tag_ids`` exist (one BatchGetItem per 100)."""
        items = self._batch_get([self._tags[kind].key(tenant_id, i) for i in set(tag_ids)])
        return {i["id"] for i in items}

    def list_tags(self, tenant_id: str, kind: TagKind, limit: int, cursor: str | None) -> Page:
        items, next_cursor = self._tags[kind].page(tenant_id, limit, cursor)
        return Page([_tag(i) for i in items], next_cursor)

    def delete_tag(self, tenant_id: str, kind: TagKind, tag_id: str) -> Tag | None:
        item = self._tags[kind].delete(tenant_id, tag_id)
        return _tag(item) if item else None
