"""Per-tenant quotas and the account view (usage against limits)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.accounts import Tenant
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.quotas import (
    Charge,
    Limits,
    QuotaExceeded,
    day_key,
    month_key,
    seconds_to_next_day,
    seconds_to_next_month,
)
from chalicelib.services.ports import AccountRepo

LIMITS_CACHE_S = 60  # limit changes reach every API instance within a minute


def day_counter(moment: datetime) -> str:
    return f"USAGE#day#{day_key(moment)}"


def month_counter(moment: datetime) -> str:
    return f"USAGE#month#{month_key(moment)}"


class AccountService:
    def __init__(self, users: AccountRepo, defaults_json: str = "") -> None:
        self._users = users
        self._defaults = Limits.model_validate(json.loads(defaults_json)) if defaults_json \
            else Limits()
        self._cache: dict[str, tuple[float, Limits]] = {}

    def limits(self, tenant_id: str) -> Limits:
        cached = self._cache.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        tenant = self._users.get_tenant(tenant_id)
        limits = tenant.limits if tenant and tenant.limits else self._defaults
        self._cache[tenant_id] = (time.monotonic() + LIMITS_CACHE_S, limits)
        return limits

    def message_charges(self, tenant_id: str, now: datetime) -> tuple[Charge, Charge]:
        """The day and month counters one accepted message spends (refused at the limit)."""
        limits = self.limits(tenant_id)
        return (
            Charge(day_counter(now), limits.messages_per_day,
                   int((now + timedelta(days=2)).timestamp()),
                   QuotaExceeded(f"daily message limit of {limits.messages_per_day} reached",
                                 seconds_to_next_day(now))),
            Charge(month_counter(now), limits.messages_per_month,
                   int((now + timedelta(days=62)).timestamp()),
                   QuotaExceeded(f"monthly message limit of {limits.messages_per_month} "
                                 "reached", seconds_to_next_month(now))),
        )

    def session_limit(self, tenant_id: str) -> tuple[int, QuotaExceeded]:
        limit = self.limits(tenant_id).sessions
        return limit, QuotaExceeded(f"session limit of {limit} reached; delete one first",
                                    retry_after_s=3600)

    def account(self, caller: Principal) -> dict[str, Any]:
        tenant = self._users.get_tenant(caller.tenant_id)
        if tenant is None:
            raise NotFound("tenant not found")
        now = clock.now()
        limits = self.limits(caller.tenant_id)
        day, month, sessions = day_counter(now), month_counter(now), "USAGE#sessions"
        usage = self._users.usage(caller.tenant_id, [day, month, sessions])
        return {
            "tenant_id": tenant.id, "name": tenant.name,
            "limits": limits.model_dump(),
            "usage": {"messages_today": usage[day], "messages_this_month": usage[month],
                      "sessions": usage[sessions]},
            "balance": {"counter": usage[month], "limit": limits.messages_per_month},
            "resets": {"day_in_seconds": seconds_to_next_day(now),
                       "month_in_seconds": seconds_to_next_month(now)},
        }

    def set_limits(self, caller: Principal, tenant_id: str, limits: Limits) -> Tenant:
        if not caller.is_platform_admin:
            raise Forbidden("only a platform administrator may change limits")
        tenant = self._users.set_limits(tenant_id, limits.model_dump())
        if tenant is None:
            raise NotFound("tenant not found")
        self._cache.pop(tenant_id, None)
        return tenant
