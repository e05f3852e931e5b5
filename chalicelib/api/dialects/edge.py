"""The edge every dialect shares: its profile, its router, and one request's handling.

A dialect is served behind one greedy API Gateway resource (``/compat/<name>/{proxy+}``); its
own ``Router`` picks the handler from the rest of the path. ``serve`` then does what
``api.edge.endpoint`` does for ``/v1``: read the credential (from the product's own header),
check the scope, parse the body, call the handler, and put the answer, or the error, in the
product's shape. Handlers translate only: they call the same services the native API calls.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from chalice import Response

from chalicelib.api.edge import (
    _STATE,
    MAX_PATH_PARAM,
    MAX_QUERY_VALUE,
    _plain,
    container,
    json_response,
    parse_json,
    validation_failed,
)
from chalicelib.domain.errors import (
    AppError,
    BadRequest,
    Forbidden,
    InternalError,
    NotFound,
    ValidationFailed,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.bootstrap import Container
    from chalicelib.domain.auth import Principal

log = logging.getLogger("wagate.api")
FORM_TYPES = ("application/x-www-form-urlencoded",)
MAX_FORM_FIELDS = 200


class MethodNotAllowed(AppError):
    status, code = 405, "method_not_allowed"


class NoSuchRoute(NotFound):
    code = "route_not_found"


@dataclass(frozen=True)
class Profile:
    """What makes a product's API look like itself.

    - ``credential``: the key from the product's own header (None when absent).
    - ``envelope``: a handler's result → the body of a success answer.
    - ``error``: one of our errors → the product's status and body.
    """

    name: str
    title: str  # the product, as its customers know it
    base: str  # the product's own base path, as its document prints it
    credential: Callable[[Mapping[str, str]], str | None]
    envelope: Callable[[Any], Any]
    error: Callable[[AppError], tuple[int, Any]]
    security: dict[str, Any] = field(default_factory=dict)  # its OpenAPI security scheme


def header_credential(name: str) -> Callable[[Mapping[str, str]], str | None]:
    """A reader for a key sent in header ``name`` (``Bearer `` stripped if present)."""
    lower = name.lower()

    def read(headers: Mapping[str, str]) -> str | None:
        value = (headers.get(lower) or "").strip()
        if value.lower().startswith("bearer "):
            value = value[7:].strip()
        return value or None

    return read


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the product's path after /compat/<name>, e.g. /api/v1/devices/{device_id}
    handler: Callable[..., Any]
    scope: str | None
    auth: bool
    body: type[BaseModel] | None
    status: int
    query: tuple[str, ...]
    form: bool  # the body may come form-encoded (the product's clients send forms)
    produces: tuple[str, ...]
    pattern: re.Pattern[str]

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def _pattern(path: str) -> re.Pattern[str]:
    parts = [f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
             for part in path.strip("/").split("/")]
    return re.compile("^" + "/".join(parts) + "$")


class Router:
    """A dialect's routes: ``@router.route("GET", "/api/v1/devices/{device_id}", ...)``."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.routes: list[Route] = []
        self.route("GET", "/openapi.json", auth=False, produces=("application/json",))(
            self._document)

    def _document(self, call: Call) -> Response:
        """This dialect's OpenAPI document."""
        from chalicelib.api.dialects.spec import document

        return json_response(document(self))

    def route(self, method: str, path: str, *, scope: str | None = None, auth: bool = True,
              body: type[BaseModel] | None = None, status: int = 200,
              query: tuple[str, ...] = (), form: bool = False,
              produces: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]],
                                                          Callable[..., Any]]:
        """Declare a handler ``fn(call, **path_params)``; it returns what the envelope wraps,
        or a ``Response``. The declaration also writes the dialect's OpenAPI document."""
        def add(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(Route(method.upper(), path, fn, scope, auth, body, status,
                                     query, form, produces, _pattern(path)))
            return fn
        return add

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method path``: a fixed segment beats a parameter (so
        ``/contacts/check-exists`` wins over ``/contacts/{id}``); 405 when only the method is
        wrong, 404 when nothing fits."""
        found: list[tuple[Route, dict[str, str]]] = []
        for route in self.routes:
            matched = route.pattern.match(path.strip("/"))
            if matched:
                found.append((route, matched.groupdict()))
        if not found:
            raise NoSuchRoute(f"no such route: {method} {self.profile.base}/{path.strip('/')}")
        same = [f for f in found if f[0].method == method]
        if not same:
            raise MethodNotAllowed(f"{method} is not allowed here; allowed: "
                                   + ", ".join(sorted({f[0].method for f in found})))
        return min(same, key=lambda f: len(f[1]))


class Call:
    """One request to a dialect route, as its handler sees it."""

    def __init__(self, raw: Any, route: Route, principal: Principal | None,
                 profile: Profile) -> None:
        self.raw = raw
        self.route = route
        self.principal = principal
        self.profile = profile
        self._data: dict[str, Any] | None = None

    @property
    def services(self) -> Container:
        return container()

    @property
    def tenant_id(self) -> str:
        assert self.principal is not None, "this route is not authenticated"
        return self.principal.tenant_id

    @property
    def headers(self) -> Any:
        return self.raw.headers

    def respond(self, data: Any, status: int) -> Response:
        """An answer in the product's envelope with a status other than the route's."""
        return json_response(_plain(self.profile.envelope(_plain(data))), status)

    def query(self, name: str, default: str | None = None) -> str | None:
        value = (self.raw.query_params or {}).get(name)
        if value is not None and len(value) > MAX_QUERY_VALUE:
            raise ValidationFailed.field(name, f"is longer than {MAX_QUERY_VALUE} characters")
        return default if value is None else value

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        """An integer query parameter within [low, high] (422 otherwise)."""
        value = self.query(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ValidationFailed.field(name, "must be an integer") from None
        if not low <= number <= high:
            raise ValidationFailed.field(name, f"must be between {low} and {high}")
        return number

    def data(self) -> dict[str, Any]:
        """The body as a mapping: JSON, or (on routes that take forms) form fields."""
        if self._data is None:
            raw = self.raw.raw_body or b""
            content_type = (self.headers.get("content-type") or "").split(";")[0].strip()
            if self.route.form and content_type.lower() in FORM_TYPES:
                self._data = _form(raw)
            else:
                parsed = parse_json(raw) if raw.strip() else {}
                if not isinstance(parsed, dict):
                    raise BadRequest("the body must be a JSON object", code="invalid_json")
                self._data = parsed
        return self._data

    def body(self) -> Any:
        """The body validated against the route's model (lax, as the products' own servers
        are: ``"5"`` is taken for 5)."""
        assert self.route.body is not None, "this route declares no body"
        from pydantic import ValidationError

        try:
            return self.route.body.model_validate(self.data())
        except ValidationError as exc:
            raise validation_failed(exc) from exc


def _form(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS,
                          strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("the form body cannot be read", code="invalid_form") from exc
    return {k: v[-1] for k, v in fields.items()}


def _rest(request: Any, name: str) -> str:
    """The path after ``/compat/<name>``, segments decoded (API Gateway does not decode)."""
    rest = (request.uri_params or {}).get("proxy")
    if rest is None:
        path = (request.context or {}).get("path", "")
        rest = path.split(f"/compat/{name}", 1)[-1]
    return "/".join(unquote(part) for part in rest.strip("/").split("/"))


def _answer(profile: Profile, error: AppError) -> Response:
    state = _STATE.get()
    if state is not None:
        state.error_code = error.code
    status, body = profile.error(error)
    return Response(status_code=status,
                    headers={"Content-Type": "application/json", **error.headers},
                    body=json.dumps(body))


def serve(router: Router, request: Any) -> Response:
    """Answer one request to the dialect: route, authenticate, check the scope, call the
    handler, shape the answer; every error in the product's shape, never a 500 body of
    ours."""
    profile = router.profile
    try:
        path = _rest(request, profile.name)
        route, params = router.match(request.method.upper(), path)
        if any(len(v) > MAX_PATH_PARAM or not v.isprintable() for v in params.values()):
            raise NotFound("not found")
        principal = None
        if route.auth:
            principal = container().auth.authenticate(profile.credential(request.headers))
            state = _STATE.get()
            if state is not None:
                state.tenant_id = principal.tenant_id
            if route.scope and not principal.has(route.scope):
                raise Forbidden(f"this key lacks the permission {route.scope}",
                                code="missing_scope")
        result = route.handler(Call(request, route, principal, profile), **params)
        if isinstance(result, Response):
            return result
        return json_response(_plain(profile.envelope(_plain(result))), route.status)
    except AppError as exc:
        return _answer(profile, exc)
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            return _answer(profile, validation_failed(exc))
        log.exception("unhandled error in dialect %s", profile.name)
        return _answer(profile, InternalError("internal error"))
