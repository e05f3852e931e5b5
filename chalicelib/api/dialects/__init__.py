"""Other products' APIs, served drop-in under ``/compat/<name>/`` (see README, "Dialects").

Each dialect is a package ``dialects/<name>/`` whose ``routes.py`` defines ``router``
(an ``edge.Router`` around the product's ``Profile``). API Gateway sees one greedy resource
per dialect, ``/compat/<name>/{proxy+}``, so five products cost a handful of the REST API's
300 resources; the dialect's router picks the handler. Its OpenAPI document is served at
``/compat/<name>/openapi.json``. A dialect's modules load on its first request, not with the
app.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

if TYPE_CHECKING:
    from chalicelib.api.dialects.edge import Router

NAMES = ("wacloud", "wachat", "whatscloud", "cloudwa", "wwebjs")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
PREFIX = "/compat"

bp = Blueprint(__name__)


@functools.cache
def router(name: str) -> Router:
    """The dialect's router (its modules imported on first use)."""
    return importlib.import_module(f"{__name__}.{name}.routes").router  # type: ignore[no-any-return]


def _view(name: str) -> Any:
    def view(**_: str) -> Response:
        from chalicelib.api.dialects.edge import serve

        return serve(router(name), bp.current_request)

    view.__name__ = f"dialect_{name}"
    view.__doc__ = f"Every path of the {name} dialect (its own router dispatches)."
    return view


for _name in NAMES:
    bp.route(f"{PREFIX}/{_name}/{{proxy+}}", methods=METHODS, content_types=["*/*"],
             name=f"dialect_{_name}")(_view(_name))
