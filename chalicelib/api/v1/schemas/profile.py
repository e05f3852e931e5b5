"""The account's own profile and presence."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from chalicelib.api.v1.schemas.common import Body, HttpUrl, Out, text, token
from chalicelib.domain.live.contacts import ABOUT_MAX, NAME_MAX
from chalicelib.domain.live.profile import PICTURE_MAX_BYTES


class ProfileOut(Out):
    name: str | None
    about: str | None
    picture_url: str | None


class ProfilePatch(Body):
    name: token(NAME_MAX) | None = None
    about: text(ABOUT_MAX, 0) | None = None

    @model_validator(mode="before")
    @classmethod
    def _something(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is None and data.get("about") is None:
            raise ValueError("give name and/or about")
        return data


class PictureIn(Body):
    """A JPEG or PNG, by ``url`` or ``base64`` (one of them)."""

    url: HttpUrl | None = None
    base64: text((PICTURE_MAX_BYTES * 4) // 3 + 4) | None = None
    mime_type: token(64) | None = None


class PresenceIn(Body):
    presence: Literal["available", "unavailable"]
