"""Per-tenant limits: messages per day and per month (UTC), and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, Field

from chalicelib.domain.errors import AppError


class Limits(BaseModel):
    MAX: ClassVar[int] = 1_000_000_000  # far beyond any real use; keeps counters bounded

    messages_per_day: int = Field(10_000, ge=0, le=MAX)
    messages_per_month: int = Field(200_000, ge=0, le=MAX)
    sessions: int = Field(10, ge=0, le=MAX)


class QuotaExceeded(AppError):
    status, code = 429, "quota_exceeded"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, details=[{"retry_after_seconds": retry_after_s}])
        self.headers = {"Retry-After": str(retry_after_s)}


@dataclass(frozen=True)
class Charge:
    """One usage counter to bump, refused (raising ``error``) once it reached ``limit``."""

    sk: str
    limit: int
    expires_epoch: int
    error: Exception


def day_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def month_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def seconds_to_next_day(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    tomorrow = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - moment).total_seconds()))


def seconds_to_next_month(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return max(1, int((following - moment).total_seconds()))
