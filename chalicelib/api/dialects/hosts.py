"""A host per dialect: ``https://cloudwa.<domain>/api/v1/...`` is ``/compat/cloudwa/api/v1/...``.

With a custom domain (CDK context ``domainName``), each product's customers keep the product's
exact paths from the root of their own host. API Gateway sends those hosts to one small REST API
(``/`` and ``/{proxy+}``) whose function rewrites the proxy event into the one the main API
would have sent for ``/compat/<name>/<path>`` and hands it to the app, so the dialect answers
exactly as under ``/compat``. A host that is not ``<dialect>.<domain>`` gets our 404.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from chalicelib.api.dialects import NAMES, PREFIX


def dialect_of(host: str, domain: str) -> str | None:
    """``"cloudwa.wa.example.com"`` under ``"wa.example.com"`` -> ``"cloudwa"``."""
    name, _, rest = host.lower().rstrip(".").partition(".")
    return name if name in NAMES and domain and rest == domain.lower().rstrip(".") else None


def rewrite(event: dict[str, Any], domain: str) -> dict[str, Any] | None:
    """The main API's proxy event for this dialect-host request, or None for an unknown host."""
    context = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    name = dialect_of(context.get("domainName") or headers.get("host") or "", domain)
    if name is None:
        return None
    rest = (event.get("pathParameters") or {}).get("proxy") or ""
    resource = f"{PREFIX}/{name}/{{proxy+}}"
    path = f"{PREFIX}/{name}/{rest}"
    routed = copy.copy(event)
    routed["resource"] = resource
    routed["path"] = path
    routed["pathParameters"] = {"proxy": rest}
    routed["requestContext"] = {**context, "resourcePath": resource, "path": path}
    return routed


def unknown_host() -> dict[str, Any]:
    """Our 404 for a request to a host that names no dialect (a Lambda proxy response)."""
    body = {"error": {"code": "route_not_found", "message": "no dialect is served on this host",
                      "details": []}}
    return {"statusCode": 404, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}
