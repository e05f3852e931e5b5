"""A session's send limits (the send governor) and its current budgets."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Out
from chalicelib.domain.governor import (
    MAX_NEW_CONTACTS,
    MAX_PER_MINUTE,
    MAX_WARMUP_DAYS,
)


class LaneRatesIn(Body):
    """Messages per minute in each lane (a lane left out takes the platform default)."""

    high: int | None = Field(default=None, ge=1, le=MAX_PER_MINUTE,
                             description="OTPs and other high-priority messages.")
    normal: int | None = Field(default=None, ge=1, le=MAX_PER_MINUTE)
    bulk: int | None = Field(default=None, ge=1, le=MAX_PER_MINUTE,
                             description="Campaigns and other bulk sends.")


class WarmupIn(Body):
    enabled: bool | None = Field(default=None, description="Lower limits for the first days "
                                                           "after the number was paired.")
    days: int | None = Field(default=None, ge=1, le=MAX_WARMUP_DAYS,
                             description="25 % of the limits on the first day, rising "
                                         "linearly to 100 % after this many days.")


class LimitsIn(Body):
    """The session's own limits; a field left out (or null) takes the platform default, so
    ``{}`` restores them all."""

    messages_per_minute: LaneRatesIn | None = None
    new_contacts_per_day: int | None = Field(
        default=None, ge=0, le=MAX_NEW_CONTACTS,
        description="Marketing messages to numbers the session never reached, per UTC day.")
    warmup: WarmupIn | None = None

    def overrides(self) -> dict[str, Any]:
        """What was set, as a partial Limits."""
        return self.model_dump(exclude_none=True)


class LaneRatesOut(Out):
    high: int
    normal: int
    bulk: int


class WarmupOut(Out):
    enabled: bool
    days: int


class LimitsOut(Out):
    messages_per_minute: LaneRatesOut
    new_contacts_per_day: int
    warmup: WarmupOut


class BudgetsOut(Out):
    messages_per_minute: LaneRatesOut = Field(description="In force now (warm-up applied).")
    new_contacts_per_day: int = Field(description="In force now (warm-up applied).")
    tokens: LaneRatesOut = Field(description="Sends each lane would let go at once, now.")
    new_contacts_today: int = Field(description="New contacts reached this UTC day.")
    new_contacts_left: int
    warmup_day: int | None = Field(description="Day of the warm-up (0: the first); null: "
                                               "none in progress.")
    warmup_factor: float = Field(description="Share of the limits in force (1: all).")
    throttled_until: str | None = Field(description="Marketing traffic waits until then "
                                                    "(WhatsApp pushed back, or failures "
                                                    "spiked); null: not throttled.")
    throttle_reason: str | None = Field(description="rate_limited, timelock or failure_rate.")


class SessionLimitsOut(Out):
    session_id: str
    limits: LimitsOut = Field(description="The platform defaults with the session's own laid "
                                          "over them (before warm-up).")
    overrides: dict[str, Any] = Field(description="The session's own limits, as last PUT.")
    current: BudgetsOut

    @classmethod
    def of(cls, view: Any) -> SessionLimitsOut:
        return cls.model_validate(view.model_dump(mode="json"))
