"""The otps table: verifications, destinations, OTP settings, send rates, reverse codes.

Items of a tenant (pk = tenant id):
- ``OTP#<id>``: a verification (the code only as its HMAC), kept a day past its expiry;
- ``TO#<digits>``: a destination: its pending verification and its recent sends;
- ``SETTINGS``: the tenant's OTP settings;
- ``RATE#<minute>``: the tenant's sends in one minute.
Reverse codes are matched for every tenant, so their index lives under the reserved
``_platform`` key: ``RCODE#<HMAC of the code>`` → (tenant, verification), until it expires.
Everything carries ``expires_at_epoch``, the table's TTL attribute.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import is_condition_failure, plain, storable, transact
from chalicelib.domain import clock
from chalicelib.domain.auth import PLATFORM_TENANT
from chalicelib.domain.otp import (
    KEPT_AFTER_END_S,
    SEND_WINDOW_S,
    Destination,
    OtpSettings,
    OtpStatus,
    RateTake,
    Verification,
)

_SETTINGS = "SETTINGS"


def _key(tenant_id: str, sk: str) -> dict[str, str]:
    return {"pk": tenant_id, "sk": sk}


def _otp_key(tenant_id: str, otp_id: str) -> dict[str, str]:
    return _key(tenant_id, f"OTP#{otp_id}")


def _reverse_key(code_key: str) -> dict[str, str]:
    return _key(PLATFORM_TENANT, f"RCODE#{code_key}")


def _epoch(iso: str) -> int:
    return int(clock.parse(iso).timestamp())


def _verification_item(verification: Verification) -> dict[str, Any]:
    return {**_otp_key(verification.tenant_id, verification.id),
            **verification.model_dump(mode="json", exclude_none=True),
            "expires_at_epoch": _epoch(verification.expires_at) + KEPT_AFTER_END_S}


def _verification(item: dict[str, Any]) -> Verification:
    return Verification.model_validate({k: v for k, v in plain(item).items()
                                        if k not in ("pk", "sk", "expires_at_epoch")})


def _same_as(expected: Verification) -> dict[str, Any]:
    """The condition that the stored verification is still ``expected``."""
    return {"ConditionExpression": "#s = :s0 AND attempts = :a0 AND code_hash = :h0",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s0": expected.status.value,
                                          ":a0": expected.attempts,
                                          ":h0": expected.code_hash}}


class DynamoOtpRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._resource = resource
        self._name = table_name
        self._table = resource.Table(table_name)
        self._client = resource.meta.client

    # --- settings and destinations ---

    def settings(self, tenant_id: str) -> OtpSettings | None:
        item = self._table.get_item(Key=_key(tenant_id, _SETTINGS)).get("Item")
        return OtpSettings.model_validate(plain(item)) if item else None

    def put_settings(self, tenant_id: str, settings: OtpSettings) -> None:
        self._table.put_item(Item={**_key(tenant_id, _SETTINGS),
                                   **settings.model_dump(exclude_none=True)})

    def settings_and_destination(self, tenant_id: str, digits: str
                                 ) -> tuple[OtpSettings | None, Destination]:
        """Both in one read (consistent: the destination is written with a version check)."""
        response = self._resource.batch_get_item(RequestItems={self._name: {
            "Keys": [_key(tenant_id, _SETTINGS), _key(tenant_id, f"TO#{digits}")],
            "ConsistentRead": True}})
        settings, destination = None, Destination()
        for item in response["Responses"].get(self._name, []):
            fields = {k: v for k, v in plain(item).items()
                      if k not in ("pk", "sk", "expires_at_epoch")}
            if item["sk"] == _SETTINGS:
                settings = OtpSettings.model_validate(fields)
            else:
                destination = Destination.model_validate(fields)
        return settings, destination

    # --- verifications ---

    def get(self, tenant_id: str, otp_id: str) -> Verification | None:
        item = self._table.get_item(Key=_otp_key(tenant_id, otp_id),
                                    ConsistentRead=True).get("Item")
        return _verification(item) if item else None

    def _rate_update(self, tenant_id: str, rate: RateTake) -> dict[str, Any]:
        return {"Update": {
            "TableName": self._name, "Key": _key(tenant_id, f"RATE#{rate.window}"),
            "UpdateExpression": "ADD #n :one SET expires_at_epoch = :e",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":one": 1, ":e": rate.expires_epoch,
                                          ":limit": rate.limit}}}

    def commit_send(self, verification: Verification, expected: Verification | None,
                    digits: str, destination: Destination, rate: RateTake) -> str | None:
        tenant_id = verification.tenant_id
        if expected is None:
            write: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            write = _same_as(expected)
        last_send = max(destination.sends, default=0)
        destination_item = {
            **_key(tenant_id, f"TO#{digits}"), **destination.model_dump(),
            "expires_at_epoch": max(_epoch(verification.expires_at), last_send + SEND_WINDOW_S)
            + KEPT_AFTER_END_S}
        if destination.version == 1:
            guard: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            guard = {"ConditionExpression": "version = :v",
                     "ExpressionAttributeValues": {":v": destination.version - 1}}
        items = [
            {"Put": {"TableName": self._name, "Item": storable(_verification_item(verification)),
                     **write}},
            {"Put": {"TableName": self._name, "Item": storable(destination_item), **guard}},
            self._rate_update(tenant_id, rate),
        ]
        return self._transact(items, ("verification", "destination", "rate"))

    def _transact(self, items: list[dict[str, Any]], names: tuple[str, ...]) -> str | None:
        """None once written, else the name of the first part whose condition failed."""
        cancelled = transact(self._client, items)
        if cancelled is None:
            return None
        return next((name for name, part in zip(names, cancelled, strict=False) if part.failed),
                    names[0])

    def replace(self, verification: Verification, expected: Verification) -> bool:
        try:
            self._table.put_item(Item=storable(_verification_item(verification)),
                                 **_same_as(expected))
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def try_approve(self, tenant_id: str, otp_id: str, code_hash: str, now: str
                    ) -> tuple[Verification | None, Verification | None]:
        try:
            response = self._table.update_item(
                Key=_otp_key(tenant_id, otp_id),
                UpdateExpression="SET #s = :approved, approved_at = :now, updated_at = :now",
                ConditionExpression="#s = :pending AND code_hash = :h AND expires_at > :now",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":approved": OtpStatus.APPROVED.value,
                                           ":pending": OtpStatus.PENDING.value,
                                           ":h": code_hash, ":now": now},
                ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            old = exc.response.get("Item")
            return None, _verification(_from_low_level(old)) if old else None
        return _verification(response["Attributes"]), None

    # --- reverse codes ---

    def create_reverse(self, verification: Verification, rate: RateTake) -> str | None:
        index = {**_reverse_key(verification.code_hash), "tenant_id": verification.tenant_id,
                 "otp_id": verification.id,
                 "expires_at_epoch": _epoch(verification.expires_at)}
        now = int(clock.now().timestamp())
        items = [
            {"Put": {"TableName": self._name, "Item": storable(index),
                     # TTL deletes late: an entry past its time is free to take
                     "ConditionExpression": "attribute_not_exists(pk) OR expires_at_epoch < :n",
                     "ExpressionAttributeValues": {":n": now}}},
            {"Put": {"TableName": self._name, "Item": storable(_verification_item(verification)),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            self._rate_update(verification.tenant_id, rate),
        ]
        return self._transact(items, ("code", "code", "rate"))

    def reverse_owner(self, code_key: str) -> tuple[str, str] | None:
        item = self._table.get_item(Key=_reverse_key(code_key), ConsistentRead=True).get("Item")
        if not item or int(item["expires_at_epoch"]) < int(clock.now().timestamp()):
            return None
        return str(item["tenant_id"]), str(item["otp_id"])


def _from_low_level(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}
