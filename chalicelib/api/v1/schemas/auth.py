"""Login, tenants, users and API keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Name, Out, text, token
from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.auth import SCOPES
from chalicelib.domain.quotas import Limits

Scope = token(32)
Username = token(64)
Password = text(256)


class LoginIn(Body):
    username: Username
    password: Password


class LoginOut(Out):
    token: str
    token_type: Literal["Bearer"]
    expires_at: str


class MeOut(Out):
    user_id: str
    tenant_id: str
    role: Literal["admin", "owner", "member"]
    scopes: list[str]
    api_key_id: str | None


class LogoutIn(Body):
    from_all: bool = False


class LogoutOut(Out):
    logged_out: bool
    from_all: bool


class PasswordIn(Body):
    new_password: Password


class PasswordChangeIn(Body):
    current_password: Password
    new_password: Password


class TenantIn(Body):
    name: Name


class LimitsOut(Out):
    messages_per_day: int
    messages_per_month: int
    sessions: int


class TenantOut(Out):
    id: str
    name: str
    created_at: str
    limits: LimitsOut | None = Field(description="null: the gateway's default limits")

    @classmethod
    def of(cls, tenant: Tenant) -> TenantOut:
        return cls.model_validate(tenant.model_dump(mode="json"))


class UserIn(Body):
    username: Username
    password: Password
    role: Literal["owner", "member", "admin"] = "member"


class UserOut(Out):
    id: str
    tenant_id: str
    username: str
    role: Literal["admin", "owner", "member"]
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user.model_dump(
            mode="json", include={"id", "tenant_id", "username", "role", "created_at"}))


class ApiKeyIn(Body):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES),
                                description="Some of: " + ", ".join(sorted(SCOPES)) + ".")


class ApiKeyOut(Out):
    id: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: str
    last_four: str

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls.model_validate(key.model_dump(
            mode="json", include={"id", "name", "scopes", "created_by", "created_at",
                                  "last_four"}))


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key: shown once, store it now.")


class LimitsIn(Body):
    messages_per_day: int = Field(ge=0, le=Limits.MAX)
    messages_per_month: int = Field(ge=0, le=Limits.MAX)
    sessions: int = Field(ge=0, le=Limits.MAX)


class UsageOut(Out):
    messages_today: int
    messages_this_month: int
    sessions: int


class BalanceOut(Out):
    counter: int
    limit: int


class ResetsOut(Out):
    day_in_seconds: int
    month_in_seconds: int


class AccountOut(Out):
    tenant_id: str
    name: str
    limits: LimitsOut
    usage: UsageOut
    balance: BalanceOut
    resets: ResetsOut
