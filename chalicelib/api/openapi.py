"""The OpenAPI 3.1 document, generated from the app's routes and their ``RouteSpec``s.

Every route registered through ``api.edge.endpoint`` carries its contract (scope, body and
response models, other statuses); this module turns them into one document. A test checks
that every route of the app is in it, and the fuzzer (schemathesis) tests the app against it.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.edge import MAX_PATH_PARAM, QUERY_LIMITS, RouteSpec, resolve_model

VERSION = "1.0.0"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
QUERY: dict[str, dict[str, Any]] = {
    "limit": {"description": "Items per page (1-100, default 20).",
              "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    "cursor": {"description": "The next_cursor of the previous page.",
               "schema": {"type": "string", "maxLength": QUERY_LIMITS["cursor"]}},
    "session_id": {"description": "Only this session's.",
                   "schema": {"type": "string", "maxLength": QUERY_LIMITS["session_id"]}},
    "chat": {"description": "Only this chat (a phone number or JID; needs session_id).",
             "schema": {"type": "string", "maxLength": QUERY_LIMITS["chat"]}},
    "status": {"description": "Only deliveries in this status.",
               "schema": {"type": "string",
                          "enum": ["pending", "succeeded", "retrying", "failed"]}},
    "event_type": {"description": "Only this event type (or prefix, like message.*).",
                   "schema": {"type": "string", "maxLength": QUERY_LIMITS["event_type"]}},
    "after": {"description": "Only events after this event id (evt_…), e.g. the last one you "
                             "handled.",
              "schema": {"type": "string", "maxLength": QUERY_LIMITS["after"]}},
    "types": {"description": "Comma-separated event types or prefixes (message.*).",
              "schema": {"type": "string", "maxLength": QUERY_LIMITS["types"]}},
    "invite": {"description": "An invite link or its code: a group's "
                              "(https://chat.whatsapp.com/…) or a channel's "
                              "(https://whatsapp.com/channel/…).",
               "required": True,
               "schema": {"type": "string", "maxLength": QUERY_LIMITS["invite"]}},
    "q": {"description": "Search (case-insensitive; part of one): contacts by name and "
                         "number, messages by text.",
          "schema": {"type": "string", "maxLength": QUERY_LIMITS["q"]}},
    "participant": {"description": "Only groups this person is in too (a number or JID).",
                    "schema": {"type": "string", "maxLength": QUERY_LIMITS["participant"]}},
    "sort": {"description": "name (default) or recent (last activity first).",
             "schema": {"type": "string", "enum": ["name", "recent"]}},
    "refresh": {"description": "true: ask WhatsApp again instead of the 24 h cache.",
                "schema": {"type": "string", "enum": ["true", "false"]}},
    "queue": {"description": "A queue's name (outbound, events, webhook-deliveries, …): its "
                             "dead letters too.",
              "schema": {"type": "string", "maxLength": QUERY_LIMITS["queue"]}},
    # The address book's filters ("contact_status" is the query parameter "status").
    "contact_status": {"name": "status", "description": "Only contacts with this status id.",
                       "schema": {"type": "string", "maxLength": QUERY_LIMITS["status"]}},
    "source": {"description": "Only contacts with this source id.",
               "schema": {"type": "string", "maxLength": QUERY_LIMITS["source"]}},
    "group_id": {"description": "Only contacts in this group.",
                 "schema": {"type": "string", "maxLength": QUERY_LIMITS["group_id"]}},
    **{name: {"description": f"Only chats that are (true) or are not (false) {name}.",
              "schema": {"type": "string", "enum": ["true", "false"]}}
       for name in ("archived", "pinned", "unread")},
}
_GENERIC = {
    400: "invalid_json: the body is not JSON, or nests too deep",
    401: "unauthorized, invalid_token, token_expired, token_revoked, invalid_api_key",
    403: "missing_scope, forbidden",
    404: "not_found: no such resource in your tenant",
    413: "payload_too_large: the body is over 10 MB",
    415: "unsupported_media_type",
    422: "validation_failed (details name each field), invalid_text",
}
_PARAM = re.compile(r"{(\w+)\+?}")
# Not operations of the API: the catch-all that answers unknown paths in our envelope, and
# the dialects (each has its own document at /compat/<name>/openapi.json).
HIDDEN_PREFIXES = ("/{proxy", "/compat/")


def _doc(fn: Any) -> tuple[str, str]:
    """The summary (the docstring's first sentence) and the description (all of it)."""
    text = " ".join((inspect.getdoc(fn) or fn.__name__.replace("_", " ").capitalize()).split())
    text = text.replace("``", "`")
    first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;")
    return first, text if text.rstrip(".") != first else ""


Refs = dict[tuple[type[BaseModel], str], dict[str, str]]


def _error_statuses(spec: RouteSpec, path: str) -> dict[int, str]:
    statuses: dict[int, str] = {}
    if spec.body:
        statuses.update({s: _GENERIC[s] for s in (400, 413, 415, 422)})
    if spec.query:
        statuses[422] = _GENERIC[422]
    if spec.auth:
        statuses[401] = _GENERIC[401]
    if spec.scope or spec.auth:
        statuses[403] = _GENERIC[403]
    if "{" in path:
        statuses[404] = _GENERIC[404]
    if spec.idempotent:
        statuses[409] = "idempotency_key_in_progress"
        statuses[422] = statuses.get(422, _GENERIC[422]) + ", idempotency_key_reused"
    for status, codes in spec.responses.items():
        statuses[status] = f"{statuses[status]}; {codes}" if status in statuses else codes
    return statuses


def _models(spec: RouteSpec) -> list[tuple[type[BaseModel], str]]:
    """The models a route takes (validation) and gives (serialization)."""
    found = [(resolve_model(spec.body), "validation")] if spec.body else []
    return found + ([(resolve_model(spec.out), "serialization")] if spec.out else [])


def _operation(path: str, view: Any, spec: RouteSpec, refs: Refs) -> dict[str, Any]:
    summary, description = _doc(view)
    operation: dict[str, Any] = {
        "operationId": view.__name__,
        "summary": summary,
        "tags": [view.__module__.rsplit(".", 1)[-1]],
    }
    if description:
        operation["description"] = description
    if spec.scope:
        operation["description"] = (description + " " if description else "") + \
            f"Needs the scope `{spec.scope}`."
    if spec.auth:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    else:
        operation["security"] = []
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM}}
        for name in _PARAM.findall(path)]
    parameters += [{"name": name, "in": "query", "required": False, **QUERY[name]}
                   for name in spec.query]
    if spec.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "Send the same request again safely: the same "
                                          "key within 24 h gives the first answer again.",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
    if parameters:
        operation["parameters"] = parameters
    if spec.body:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(resolve_model(spec.body), "validation")]}}}
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {
        "description": {201: "Created", 202: "Accepted"}.get(spec.status, "OK")}
    content: dict[str, Any] = {}
    if spec.out:
        content["application/json"] = {
            "schema": refs[(resolve_model(spec.out), "serialization")]}
    for media_type in spec.produces:
        content[media_type] = {"schema": {"type": "object"} if media_type.endswith("json")
                               else {"type": "string", "contentMediaType": media_type}}
    if content:
        success["content"] = content
    responses[str(spec.status)] = success
    for status, codes in sorted(_error_statuses(spec, path).items()):
        entry: dict[str, Any] = {"description": codes}
        if status >= 400:
            entry["content"] = {"application/json": {"schema": ERROR_REF}}
        responses[str(status)] = entry
    operation["responses"] = responses
    return operation


def generate(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The document for a Chalice app's ``routes``."""
    from chalicelib.api.v1.schemas.common import ErrorEnvelope

    operations: list[tuple[str, str, Any, RouteSpec]] = []
    for path in sorted(routes):
        if path.startswith(HIDDEN_PREFIXES):
            continue
        for method, entry in sorted(routes[path].items()):
            spec = getattr(entry.view_function, "route_spec", None)
            if spec is None:
                raise TypeError(f"{method} {path} is not an endpoint(): it has no contract")
            operations.append((path, method, entry.view_function, spec))
    models = {(ErrorEnvelope, "validation")}
    for *_, spec in operations:
        models.update(_models(spec))
    refs, top = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                   ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for path, method, view, spec in operations:
        paths.setdefault(path, {})[method.lower()] = _operation(path, view, spec, refs)
    schemas = top.get("$defs", {})
    error_name = refs[(ErrorEnvelope, "validation")]["$ref"].rsplit("/", 1)[-1]
    schemas["Error"] = schemas.pop(error_name)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wagate",
            "version": VERSION,
            "description": "A multi-tenant WhatsApp gateway. Authenticate with "
                           "`Authorization: Bearer <login token or API key>` (or `X-API-Key`). "
                           "Every error is `{\"error\": {\"code\", \"message\", \"details\"}}`. "
                           "Other products' APIs are served under `/compat/<name>/`, each with "
                           "its own document at `/compat/<name>/openapi.json`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "this gateway"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A login token (POST /v1/auth/login) or an API key."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "An API key (POST /v1/api-keys)."},
            },
        },
    }
