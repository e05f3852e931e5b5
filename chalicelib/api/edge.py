"""The HTTP edge every route shares: parsing, the error envelope, auth, idempotency, request
ids, security headers and the one log line per request.

Routes declare what they take and give with ``endpoint(...)``; the same declaration drives
request parsing here and the OpenAPI document (``api/openapi.py``). Bad input of any kind
becomes a 4xx in the shape ``{"error": {"code", "message", "details"}}``, never a 500.

This module is imported when the app is, so it imports nothing heavy (pydantic, boto3,
services): those load on the first request that needs them (see README, "cold start").
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib import observability
from chalicelib.domain.errors import (
    AppError,
    BadRequest,
    Forbidden,
    InternalError,
    NotFound,
    ValidationFailed,
    field_path,
)

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from chalicelib.bootstrap import Container
    from chalicelib.domain.auth import Principal

log = logging.getLogger("wagate.api")
# Accept JSON however curl labels it (curl -d sends form-urlencoded by default).
JSON_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
MAX_JSON_DEPTH = 32
MAX_PATH_PARAM = 128  # no id is longer; longer ones cannot exist (and DynamoDB keys are bounded)
MAX_QUERY_VALUE = 2048
# The longest value each query parameter takes (the OpenAPI document says the same).
QUERY_LIMITS = {"cursor": MAX_QUERY_VALUE, "session_id": 64, "chat": 64, "status": 64,
                "event_type": 64, "after": 30, "types": 1024, "invite": 256, "q": 64,
                "sort": 16, "refresh": 8, "archived": 5, "pinned": 5, "unread": 5,
                "source": 64, "group_id": 64, "participant": 64,
                "queue": 64}
SCHEMAS = "chalicelib.api.v1.schemas"
REQUEST_ID_HEADER = "X-Request-Id"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
# API answers carry tenant data and sometimes secrets (keys, webhook secrets, tokens, QR codes):
# nothing is cached unless a route says otherwise (the docs page's static assets).
DEFAULT_CACHE_CONTROL = "no-store"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


# --- the request in flight ---------------------------------------------------------------------

@dataclass
class RequestState:
    """What the one log line of a request reports."""

    request_id: str
    started: float = field(default_factory=time.perf_counter)
    tenant_id: str | None = None
    error_code: str | None = None


_STATE: contextvars.ContextVar[RequestState | None] = contextvars.ContextVar("wagate_request",
                                                                            default=None)


def current_request_id() -> str | None:
    state = _STATE.get()
    return state.request_id if state else None


def container() -> Container:
    """The built adapters and services (imported on first use, not with the app)."""
    from chalicelib.bootstrap import container as built

    return built()


# --- responses -------------------------------------------------------------------------------

def error_body(error: AppError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


def error_response(error: AppError) -> Response:
    state = _STATE.get()
    if state is not None:
        state.error_code = error.code
    return Response(status_code=error.status,
                    headers={"Content-Type": "application/json", **error.headers},
                    body=json.dumps(error_body(error)))


def json_response(body: Any, status: int = 200) -> Response:
    return Response(status_code=status, headers={"Content-Type": "application/json"},
                    body=json.dumps(body))


def _plain(result: Any) -> Any:
    """A view's result as JSON-ready data (pydantic models dumped by alias)."""
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json", by_alias=True)
    if isinstance(result, dict):
        return {k: _plain(v) for k, v in result.items()}
    if isinstance(result, list | tuple):
        return [_plain(v) for v in result]
    return result


def page_json(page: Any, shape: Callable[[Any], Any]) -> dict[str, Any]:
    """A domain ``Page`` as the API shows it: ``{"items": [...], "next_cursor"}``."""
    return {"items": [_plain(shape(i)) for i in page.items], "next_cursor": page.next_cursor}


_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type",
                  "MethodNotAllowedError": "method_not_allowed", "BadRequest": "bad_request",
                  "BadRequestError": "bad_request", "NotFoundError": "not_found"}


def _in_our_shape(response: Response) -> Response:
    """Errors Chalice answers itself (415, 405, …) get our envelope."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_CODES.get(body["Code"], "bad_request")
        response.body = json.dumps({"error": {"code": code, "message": body.get("Message", ""),
                                              "details": []}})
        response.headers = {**(response.headers or {}), "Content-Type": "application/json"}
        state = _STATE.get()
        if state is not None:
            state.error_code = code
    return response


def _finish_headers(response: Response, request_id: str) -> None:
    headers = dict(response.headers or {})
    lower = {k.lower() for k in headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in lower:
            headers[name] = value
    if "cache-control" not in lower:
        headers["Cache-Control"] = DEFAULT_CACHE_CONTROL
    headers[REQUEST_ID_HEADER] = request_id
    response.headers = headers


def http_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice HTTP middleware around every route: request id, body cap, Chalice's own errors
    in our envelope, security headers, and one log line per request."""
    context = getattr(event, "context", None) or {}
    request_id = str(context.get("requestId") or "") or secrets.token_hex(12)
    state = RequestState(request_id=request_id)
    with observability.scope(request_id=request_id):
        token = _STATE.set(state)
        try:
            raw = getattr(event, "raw_body", None) or b""
            if len(raw) > MAX_BODY_BYTES:
                response = error_response(PayloadTooLarge(
                    f"the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; send large "
                    "media by URL", details=[{"field": "body", "message": "too large"}]))
            else:
                response = _in_our_shape(get_response(event))
            _finish_headers(response, request_id)
            log.info("%s %s -> %s %.0fms%s%s", getattr(event, "method", "?"),
                     context.get("path", ""), response.status_code,
                     (time.perf_counter() - state.started) * 1000,
                     f" tenant={state.tenant_id}" if state.tenant_id else "",
                     f" error={state.error_code}" if state.error_code else "")
            return response
        finally:
            _STATE.reset(token)


# --- what a route declares -------------------------------------------------------------------

@dataclass(frozen=True)
class RouteSpec:
    """A route's contract: the OpenAPI document is generated from these."""

    scope: str | None = None
    auth: bool = True
    body: str | None = None  # "module:Model" under api/v1/schemas
    out: str | None = None  # the response model, same notation
    status: int = 200
    responses: dict[int, str] = field(default_factory=dict)  # other statuses: their codes
    query: tuple[str, ...] = ()  # names from openapi.QUERY
    produces: tuple[str, ...] = ()  # non-JSON response types (e.g. image/png)
    idempotent: bool = False


@functools.cache
def resolve_model(ref: str) -> type[BaseModel]:
    """``"sessions:SessionIn"`` → the model class, ``"sessions:Page[SessionOut]"`` → a page of
    them (imported on first use)."""
    module, _, name = ref.partition(":")
    if name.startswith("Page[") and name.endswith("]"):
        from chalicelib.api.v1.schemas.common import Page

        return Page[resolve_model(f"{module}:{name[5:-1]}")]  # type: ignore[misc,return-value]
    return getattr(importlib.import_module(f"{SCHEMAS}.{module}"), name)


# --- parsing ---------------------------------------------------------------------------------

def _walk(data: Any) -> Iterator[tuple[str, Any, int]]:
    """Every (path, value, depth) in parsed JSON, without recursion."""
    stack: list[tuple[str, Any, int]] = [("", data, 1)]
    while stack:
        path, value, depth = stack.pop()
        yield path, value, depth
        if isinstance(value, dict):
            for key, item in value.items():
                yield (f"{path}.{key}" if path else str(key)), key, depth
                stack.append(((f"{path}.{key}" if path else str(key)), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))


def parse_json(raw: bytes | str) -> Any:
    """JSON from a request body; 400 ``invalid_json`` when it is not JSON or nests deeper than
    ``MAX_JSON_DEPTH``, 422 ``invalid_text`` for strings no storage can hold (lone
    surrogates)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("the body is not valid JSON", code="invalid_json") from exc
    for path, value, depth in _walk(data):
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels",
                             code="invalid_json")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValidationFailed(
                    f"{path or 'body'}: contains a lone surrogate (not valid Unicode text)",
                    code="invalid_text",
                    details=[{"field": path or "body", "message": "not valid Unicode text"}],
                ) from exc
    return data


def validation_failed(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    details = [{"field": prefix + (field_path(e["loc"]) or "body"), "message": e["msg"]}
               for e in exc.errors()]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return ValidationFailed(summary or "invalid input", details=details)


class Request:
    """What a view needs of the current request, already checked."""

    def __init__(self, raw: Any, spec: RouteSpec) -> None:
        self._raw = raw
        self._spec = spec

    @property
    def raw(self) -> Any:
        """Chalice's request (method, context, raw body)."""
        return self._raw

    @property
    def headers(self) -> Any:
        return self._raw.headers

    @property
    def client_address(self) -> str:
        """The caller's IP address as API Gateway saw it ("unknown" when not told)."""
        from chalicelib.services.auth import UNKNOWN_ADDRESS

        identity = (self._raw.context or {}).get("identity") or {}
        return str(identity.get("sourceIp") or UNKNOWN_ADDRESS)

    def json(self) -> Any:
        raw = self._raw.raw_body or b""
        return parse_json(raw) if raw.strip() else {}

    def body(self) -> Any:
        """The body, validated strictly against the route's declared model (JSON types as
        declared: ``false`` is not a number, ``"1"`` is not an integer)."""
        if self._spec.body is None:
            raise TypeError("this route declares no body")
        data = self.json()
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object", code="invalid_json")
        from pydantic import ValidationError

        model = resolve_model(self._spec.body)
        precheck = getattr(model, "precheck", None)
        if precheck is not None:  # checks that read the raw body (strict JSON needs no hooks)
            precheck(data)
        try:
            return model.model_validate_json(json.dumps(data), strict=True)
        except ValidationError as exc:
            raise validation_failed(exc) from exc

    def query(self, name: str) -> str | None:
        value = (self._raw.query_params or {}).get(name)
        limit = QUERY_LIMITS.get(name, MAX_QUERY_VALUE)
        if value is not None and len(value) > limit:
            raise ValidationFailed.field(name, f"is longer than {limit} characters")
        return value

    def page_args(self) -> tuple[int, str | None]:
        from chalicelib.domain.paging import parse_limit

        return parse_limit(self.query("limit")), self.query("cursor")


def _path_params(params: dict[str, str]) -> dict[str, str]:
    decoded = {k: unquote(v) for k, v in params.items()}  # API Gateway does not decode them
    for value in decoded.values():
        if len(value) > MAX_PATH_PARAM or not value.isprintable():
            raise NotFound("not found")
    return decoded


def _credential(headers: Any) -> str | None:
    authorization = headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return headers.get("x-api-key") or None


def _idempotent(request: Request, principal: Principal,
                call: Callable[[], Response]) -> Response:
    """Run a creating POST at most once per ``Idempotency-Key`` (see services.idempotency)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return call()
    from chalicelib.services.idempotency import fingerprint

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


def endpoint(bp: Blueprint, scope: str | None = None, *, auth: bool = True,
             body: str | None = None, out: str | None = None, status: int = 200,
             responses: dict[int, str] | None = None, query: tuple[str, ...] = (),
             produces: tuple[str, ...] = (),
             idempotent: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view ``fn(request, principal, **path_params)`` (no principal when ``auth`` is
    False) with authentication, the scope check, ``Idempotency-Key`` handling (creating
    POSTs) and error shaping. The view returns a model, a dict, or a ``Response``."""
    spec = RouteSpec(scope=scope, auth=auth, body=body, out=out, status=status,
                     responses=dict(responses or {}), query=query, produces=produces,
                     idempotent=idempotent)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            request = Request(bp.current_request, spec)
            principal: Principal | None = None
            try:
                args: list[Any] = [request]
                if auth:
                    principal = container().auth.authenticate(_credential(request.headers))
                    state = _STATE.get()
                    if state is not None:
                        state.tenant_id = principal.tenant_id
                    observability.bind(tenant_id=principal.tenant_id)
                    if scope and not principal.has(scope):
                        raise Forbidden(f"missing scope {scope}", code="missing_scope")
                    args.append(principal)
                path_params = _path_params(params)
                observability.bind(session_id=path_params.get("session_id"),
                                   message_id=path_params.get("message_id"))

                def call() -> Response:
                    result = fn(*args, **path_params)
                    if isinstance(result, Response):
                        return result
                    return json_response(_plain(result), status)

                return _idempotent(request, principal, call) \
                    if idempotent and principal else call()
            except AppError as exc:
                return error_response(exc)
            except Exception as exc:
                from pydantic import ValidationError

                if isinstance(exc, ValidationError):
                    return error_response(validation_failed(exc))
                log.exception("unhandled error")
                return error_response(InternalError("internal error"))

        view.route_spec = spec  # type: ignore[attr-defined]
        return view

    return decorate
