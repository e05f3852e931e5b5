"""What every dialect's request models share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ProductBody(BaseModel):
    """A product's request body as its own server reads it: fields it does not know are
    ignored, and strings come trimmed (FastAPI clients, Laravel's TrimStrings, WAHA)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
