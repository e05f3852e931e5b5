"""The account and its quota."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud.profile import router


def _quota(account: dict[str, Any]) -> dict[str, Any]:
    limits, usage = account["limits"], account["usage"]

    def counter(limit: int, used: int) -> dict[str, int]:
        return {"limit": limit, "used": used, "remaining": max(0, limit - used)}

    return {"messages_daily": counter(limits["messages_per_day"], usage["messages_today"]),
            "messages_monthly": counter(limits["messages_per_month"],
                                        usage["messages_this_month"]),
            "devices": counter(limits["sessions"], usage["sessions"]),
            "resets_in_seconds": {"daily": account["resets"]["day_in_seconds"],
                                  "monthly": account["resets"]["month_in_seconds"]}}


@router.route("GET", "/api/v1/account")
def get_account(call: Call) -> dict[str, Any]:
    """The account and its quota: messages today and this month, and devices, each with its
    limit, use and what remains."""
    account = call.services.account.account(call.principal)
    return {"id": account["tenant_id"], "name": account["name"], "quota": _quota(account)}


@router.route("GET", "/api/v1/account/quota")
def get_quota(call: Call) -> dict[str, Any]:
    """The quota alone."""
    return _quota(call.services.account.account(call.principal))
