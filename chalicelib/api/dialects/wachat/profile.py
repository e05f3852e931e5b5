"""WAChat's profile: the ``APIKey`` header, its envelope, FastAPI-style errors, and the body
parser that keeps pydantic's error types (FastAPI shows them)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.api.dialects.edge import Call, Profile, Router, header_credential
from chalicelib.domain.errors import AppError, ValidationFailed, field_path

Model = TypeVar("Model", bound=BaseModel)
SUCCESS = "Success"
# Our services' field names, as WAChat's bodies name them.
FIELDS = {"to": "destination", "session_id": "queue", "ttl_seconds": "timeout",
          "text": "message", "media.url": "media_url", "media.base64": "media_base64",
          "media": "media_url", "media.caption": "caption", "media.filename": "file_name"}
_FORM_OR_JSON = ("invalid_json", "invalid_form")


def envelope(data: Any) -> dict[str, Any]:
    return {"error": False, "message": SUCCESS, "data": data}


def _loc(field: str) -> list[str | int]:
    """``"a.b[2]"`` → ``["body", "a", "b", 2]`` (with WAChat's field names)."""
    field = FIELDS.get(field, field)
    parts: list[str | int] = ["body"]
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return parts


def _detail(item: Any, fallback: str) -> dict[str, Any]:
    if not isinstance(item, dict) or "message" not in item:
        return {"loc": ["body"], "msg": fallback, "type": "value_error"}
    loc = item.get("loc") or _loc(str(item.get("field") or ""))
    return {"loc": loc, "msg": item["message"], "type": item.get("type") or "value_error"}


def error(exc: AppError) -> tuple[int, Any]:
    """422 (and unreadable bodies) as FastAPI's validation error; anything else with the
    product's envelope and FastAPI's ``detail``."""
    if exc.status == 422:
        return 422, {"detail": [_detail(d, exc.message) for d in exc.details]
                     or [_detail(None, exc.message)]}
    if exc.code in _FORM_OR_JSON:
        return 422, {"detail": [{"loc": ["body"], "msg": exc.message, "type": "json_invalid"}]}
    return exc.status, {"error": True, "message": exc.message, "data": None,
                        "detail": exc.message}


def parse(call: Call, model: type[Model]) -> Model:
    """The body as ``model``; a 422 whose details keep pydantic's ``loc`` and ``type``."""
    try:
        return model.model_validate(call.data())
    except ValidationError as exc:
        details = [{"field": field_path(e["loc"]) or "body", "message": e["msg"],
                    "type": e["type"], "loc": ["body", *e["loc"]]} for e in exc.errors()]
        raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                               details=details) from exc


PROFILE = Profile(
    name="wachat", title="WAChat", base="/wachat_api/1.0",
    credential=header_credential("APIKey"), envelope=envelope, error=error,
    security={"type": "apiKey", "in": "header", "name": "APIKey"})
router = Router(PROFILE)
