"""UTC time helpers: one format on the wire."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> datetime:
    """An ISO-8601 time as the gateway writes it (``Z`` or an offset; none means UTC), in UTC.
    ``ValueError`` for anything else, including times no UTC datetime can hold."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an ISO-8601 time: {value!r}") from exc


def now_iso() -> str:
    return iso(now())


def epoch_ms() -> int:
    return int(now().timestamp() * 1000)


def laravel(value: str | None) -> str | None:
    """An ISO time as Laravel serialises one (``2025-07-14T06:53:01.000000Z``): the
    Laravel products' dialects show times so."""
    return parse(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None
