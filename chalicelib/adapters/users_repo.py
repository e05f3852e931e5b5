"""Tenants, users, API keys and revoked tokens in the users table (pk = tenant id)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import TenantItems, is_condition_failure, plain
from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.auth import PLATFORM_TENANT
from chalicelib.domain.errors import Conflict
from chalicelib.domain.paging import Page


class DynamoUserRepo:
    def __init__(self, resource: Any, table_name: str) -> None:
        self._resource = resource
        self._name = table_name
        self._table = resource.Table(table_name)
        self._keys = TenantItems(self._table, "APIKEY")
        self._tenants = TenantItems(self._table, "TENANT")  # the list, under the platform
        self._users = TenantItems(self._table, "USER")

    # tenants
    def put_tenant(self, tenant: Tenant) -> None:
        """The tenant's item, and its entry in the platform's list of tenants."""
        with self._table.batch_writer() as batch:
            batch.put_item(Item={"pk": tenant.id, "sk": "TENANT", **tenant.model_dump()})
            batch.put_item(Item={"pk": PLATFORM_TENANT, "sk": f"TENANT#{tenant.created_at}#"
                                 f"{tenant.id}", "tenant_id": tenant.id})

    def list_tenants(self, limit: int, cursor: str | None) -> Page:
        """Every tenant, oldest first: a page of the list, then one batch read of the items."""
        entries, next_cursor = self._tenants.page(PLATFORM_TENANT, limit, cursor)
        if not entries:
            return Page([], next_cursor)
        response = self._resource.batch_get_item(RequestItems={self._name: {
            "Keys": [{"pk": e["tenant_id"], "sk": "TENANT"} for e in entries]}})
        found = {i["pk"]: i for i in response["Responses"].get(self._name, [])}
        return Page([Tenant.model_validate(plain(found[e["tenant_id"]])) for e in entries
                     if e["tenant_id"] in found], next_cursor)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._table.get_item(Key={"pk": tenant_id, "sk": "TENANT"}).get("Item")
        return Tenant.model_validate(plain(item)) if item else None

    def set_limits(self, tenant_id: str, limits: dict[str, Any]) -> Tenant | None:
        try:
            response = self._table.update_item(
                Key={"pk": tenant_id, "sk": "TENANT"}, UpdateExpression="SET limits = :l",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":l": limits}, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return Tenant.model_validate(plain(response["Attributes"]))

    def usage(self, tenant_id: str, counters: list[str]) -> dict[str, int]:
        """The current value of usage counters (``USAGE#...`` sort keys), 0 when unset."""
        response = self._resource.batch_get_item(RequestItems={self._name: {
            "Keys": [{"pk": tenant_id, "sk": sk} for sk in counters], "ConsistentRead": True}})
        found = {i["sk"]: int(i.get("count", 0)) for i in response["Responses"].get(self._name, [])}
        return {sk: found.get(sk, 0) for sk in counters}

    # users
    def create_user(self, user: User) -> None:
        client = self._resource.meta.client
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._name,
                         "Item": {"pk": PLATFORM_TENANT, "sk": f"LOGIN#{user.username}",
                                  "tenant_id": user.tenant_id, "user_id": user.id},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self._name,
                         "Item": {"pk": user.tenant_id, "sk": f"USER#{user.id}",
                                  **user.model_dump(mode="json")},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict("username is already taken", code="username_taken") from exc
            raise

    def get_user(self, tenant_id: str, user_id: str) -> User | None:
        item = self._table.get_item(Key={"pk": tenant_id, "sk": f"USER#{user_id}"}).get("Item")
        return User.model_validate(plain(item)) if item else None

    def list_users(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        """The tenant's users in id order (a user's revoked-token items are skipped)."""
        items, next_cursor = self._users.page(tenant_id, limit, cursor,
                                              FilterExpression=Attr("username").exists())
        return Page([User.model_validate(i) for i in items], next_cursor)

    def delete_user(self, user: User) -> None:
        """The user and their login name, together."""
        self._resource.meta.client.transact_write_items(TransactItems=[
            {"Delete": {"TableName": self._name,
                        "Key": {"pk": PLATFORM_TENANT, "sk": f"LOGIN#{user.username}"}}},
            {"Delete": {"TableName": self._name,
                        "Key": {"pk": user.tenant_id, "sk": f"USER#{user.id}"}}},
        ])

    def set_password(self, tenant_id: str, user_id: str, password_hash: str) -> User | None:
        """A new password hash; the token generation moves on, so every token of the user
        stops working. None when there is no such user."""
        try:
            response = self._table.update_item(
                Key={"pk": tenant_id, "sk": f"USER#{user_id}"},
                UpdateExpression="SET password_hash = :h ADD token_generation :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":h": password_hash, ":one": 1},
                ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return User.model_validate(plain(response["Attributes"]))

    def find_login(self, username: str) -> User | None:
        claim = self._table.get_item(
            Key={"pk": PLATFORM_TENANT, "sk": f"LOGIN#{username}"}).get("Item")
        return self.get_user(claim["tenant_id"], claim["user_id"]) if claim else None

    def user_and_revocation(self, tenant_id: str, user_id: str,
                            jti: str) -> tuple[User | None, bool]:
        user_key = {"pk": tenant_id, "sk": f"USER#{user_id}"}
        revoked_key = {"pk": tenant_id, "sk": f"USER#{user_id}#REVOKED#{jti}"}
        response = self._resource.batch_get_item(
            RequestItems={self._name: {"Keys": [user_key, revoked_key]}})
        items = response["Responses"].get(self._name, [])
        user = next((i for i in items if i["sk"] == user_key["sk"]), None)
        revoked = any(i["sk"] == revoked_key["sk"] for i in items)
        return (User.model_validate(plain(user)) if user else None), revoked

    def revoke_token(self, tenant_id: str, user_id: str, jti: str, expires_epoch: int) -> None:
        self._table.put_item(Item={"pk": tenant_id, "sk": f"USER#{user_id}#REVOKED#{jti}",
                                   "expires_at_epoch": expires_epoch})

    def bump_token_generation(self, tenant_id: str, user_id: str) -> None:
        self._table.update_item(
            Key={"pk": tenant_id, "sk": f"USER#{user_id}"},
            UpdateExpression="ADD token_generation :one",
            ExpressionAttributeValues={":one": 1},
        )

    # API keys
    def put_api_key(self, key: ApiKey) -> None:
        self._keys.put(key.tenant_id, key.id, key.model_dump())

    def get_api_key(self, tenant_id: str, key_id: str) -> ApiKey | None:
        item = self._keys.get(tenant_id, key_id)
        return ApiKey.model_validate(item) if item else None

    def list_api_keys(self, tenant_id: str, limit: int, cursor: str | None,
                      created_by: str | None = None) -> Page:
        mine = {"FilterExpression": Attr("created_by").eq(created_by)} if created_by else {}
        items, next_cursor = self._keys.page(tenant_id, limit, cursor, **mine)
        return Page([ApiKey.model_validate(i) for i in items], next_cursor)

    def delete_api_key(self, tenant_id: str, key_id: str, created_by: str | None = None) -> bool:
        mine = {"ConditionExpression": Attr("created_by").eq(created_by)} if created_by else {}
        return self._keys.delete(tenant_id, key_id, **mine) is not None
