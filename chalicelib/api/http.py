"""The HTTP edge's shared plumbing: auth, body parsing, the error envelope, request logs.

Every route is wrapped by ``endpoint``: bad input of any kind becomes a 4xx in the shape
``{"error": {"code", "message", "details"}}``, never a 500.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import (
    AppError,
    BadRequest,
    Forbidden,
    InternalError,
    ValidationFailed,
)
from chalicelib.domain.paging import Page, parse_limit
from chalicelib.services.idempotency import fingerprint

log = logging.getLogger("wagate.api")
M = TypeVar("M", bound=BaseModel)
# Accept JSON however curl labels it (curl -d sends form-urlencoded by default).
JSON_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


def error_response(error: AppError) -> Response:
    headers = {"Content-Type": "application/json", **error.headers}
    return Response(status_code=error.status, headers=headers, body=json.dumps(
        {"error": {"code": error.code, "message": error.message, "details": error.details}}))


def json_response(body: Any, status: int = 200) -> Response:
    return Response(status_code=status, headers={"Content-Type": "application/json"},
                    body=json.dumps(body))


_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type",
                  "MethodNotAllowedError": "method_not_allowed", "BadRequest": "bad_request",
                  "BadRequestError": "bad_request", "NotFoundError": "not_found"}


def chalice_errors_in_our_shape(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: errors Chalice answers itself (415, 405, …) get our error envelope."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_CODES.get(body["Code"], "bad_request")
        response.body = json.dumps({"error": {"code": code, "message": body.get("Message", ""),
                                              "details": []}})
        response.headers = {**(response.headers or {}), "Content-Type": "application/json"}
    return response


def page_json(page: Page, shape: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [shape(i) for i in page.items], "next_cursor": page.next_cursor}


def _credential(headers: Any) -> str | None:
    authorization = headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return headers.get("x-api-key") or None


def _validation_error(exc: ValidationError) -> ValidationFailed:
    details = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
               for e in exc.errors()]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return ValidationFailed(summary or "invalid input", details=details)


class Request:
    """What a view needs of the current request, already checked."""

    def __init__(self, bp: Blueprint) -> None:
        self._request = bp.current_request

    @property
    def raw(self) -> Any:
        """Chalice's request (method, context, raw body)."""
        return self._request

    @property
    def headers(self) -> Any:
        return self._request.headers

    def body(self, model: type[M]) -> M:
        raw = self._request.raw_body or b""
        try:
            data = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest("the body is not valid JSON", code="invalid_json") from exc
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object", code="invalid_json")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(exc) from exc

    def query(self, name: str) -> str | None:
        return (self._request.query_params or {}).get(name)

    def page_args(self) -> tuple[int, str | None]:
        return parse_limit(self.query("limit")), self.query("cursor")


def _idempotent(request: Request, principal: Principal,
                call: Callable[[], Response]) -> Response:
    """Run a creating POST at most once per ``Idempotency-Key`` (see services.idempotency)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return call()
    raw = request.raw
    request_fingerprint = fingerprint(raw.method, raw.context.get("path", ""),
                                      raw.raw_body or b"")

    def handle() -> tuple[int, Any]:
        response = call()
        return response.status_code, json.loads(response.body)

    status, body, replayed = container().idempotency.run(principal.tenant_id, key,
                                                         request_fingerprint, handle)
    response = json_response(body, status)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def endpoint(bp: Blueprint, scope: str | None = None, auth: bool = True,
             idempotent: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view ``fn(request, principal, **path_params)`` (no principal when ``auth`` is
    False) with authentication, the scope check, ``Idempotency-Key`` handling (creating
    POSTs), error shaping and a log line."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            started = time.perf_counter()
            request = Request(bp)
            principal: Principal | None = None
            try:
                args: list[Any] = [request]
                if auth:
                    principal = container().auth.authenticate(_credential(request.headers))
                    if scope and not principal.has(scope):
                        raise Forbidden(f"missing scope {scope}", code="missing_scope")
                    args.append(principal)
                path_params = {k: unquote(v) for k, v in params.items()}

                def call() -> Response:
                    result = fn(*args, **path_params)
                    return result if isinstance(result, Response) else json_response(result)

                response = _idempotent(request, principal, call) \
                    if idempotent and principal else call()
            except AppError as exc:
                response = error_response(exc)
            except ValidationError as exc:
                response = error_response(_validation_error(exc))
            except Exception:
                log.exception("unhandled error")
                response = error_response(InternalError("internal error"))
            raw = bp.current_request
            log.info("%s %s -> %s %.0fms%s", raw.method, raw.context.get("path", ""),
                     response.status_code, (time.perf_counter() - started) * 1000,
                     f" tenant={principal.tenant_id}" if principal else "")
            return response

        return view

    return decorate
