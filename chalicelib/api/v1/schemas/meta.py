"""The gateway itself: health and the index."""

from __future__ import annotations

from typing import Literal

from chalicelib.api.v1.schemas.common import Out


class HealthOut(Out):
    status: Literal["ok"]
    service: Literal["wagate"]


class IndexOut(Out):
    service: Literal["wagate"]
    api: str
    docs: str
    openapi: str
