"""A dialect's OpenAPI 3.1 document, generated from its router's declarations (served at
``/compat/<name>/openapi.json``; the fuzzer tests each dialect against its own)."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic.json_schema import models_json_schema

from chalicelib.api.dialects.edge import Route, Router
from chalicelib.api.edge import MAX_PATH_PARAM, MAX_QUERY_VALUE

# Every status a dialect route may answer besides its success: the product's error shape.
ERRORS = {400: "bad input (not JSON or form)", 401: "no key or an unknown key",
          403: "the key lacks the permission", 404: "no such resource (or route)",
          405: "method not allowed on this path", 409: "conflict with the resource's state",
          422: "a field is invalid", 429: "too many requests",
          501: "not supported by the session's engine",
          503: "the session or the service is not available now",
          504: "the phone did not answer in time"}


def _summary(route: Route) -> tuple[str, str]:
    text = " ".join((inspect.getdoc(route.handler) or route.handler.__name__).split())
    first = text.split(". ", 1)[0].rstrip(".")
    return first, text


def document(router: Router) -> dict[str, Any]:
    profile = router.profile
    models = sorted({(r.body, "validation") for r in router.routes if r.body is not None},
                    key=lambda m: m[0].__name__)
    refs, top = models_json_schema(models, ref_template="#/components/schemas/{model}") \
        if models else ({}, {})
    paths: dict[str, dict[str, Any]] = {}
    for route in router.routes:
        summary, description = _summary(route)
        operation: dict[str, Any] = {"operationId": f"{profile.name}_{route.handler.__name__}",
                                     "summary": summary, "description": description,
                                     "security": [{"key": []}] if route.auth else []}
        if route.scope:
            operation["description"] += f" Needs the permission (scope) `{route.scope}`."
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1,
                                  "maxLength": MAX_PATH_PARAM}} for name in route.params]
        parameters += [{"name": name, "in": "query", "required": False,
                        "schema": {"type": "string", "maxLength": MAX_QUERY_VALUE}}
                       for name in route.query]
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            schema = refs[(route.body, "validation")]
            content = {"application/json": {"schema": schema}}
            if route.form:
                content["application/x-www-form-urlencoded"] = {"schema": schema}
            operation["requestBody"] = {"required": True, "content": content}
        success: dict[str, Any] = {"description": "OK"}
        if route.produces:
            success["content"] = {t: {"schema": {}} for t in route.produces}
        else:
            success["content"] = {"application/json": {"schema": {}}}
        responses = {str(route.status): success}
        responses.update({str(s): {"description": d, "content": {"application/json": {
            "schema": {}}}} for s, d in ERRORS.items()})
        operation["responses"] = responses
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"wagate: the {profile.title} dialect", "version": "1.0.0",
                 "description": f"{profile.title}'s API as wagate serves it. Use this base "
                                f"URL where {profile.title} printed `{profile.base}`, and a "
                                "wagate API key where it wanted its key."},
        "servers": [{"url": f"/compat/{profile.name}"}],
        "paths": paths,
        "components": {"schemas": top.get("$defs", {}),
                       "securitySchemes": {"key": profile.security}},
    }
