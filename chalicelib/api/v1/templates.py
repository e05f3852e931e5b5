"""/v1/templates: reusable message texts with {{placeholders}}."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(template: Any) -> Any:
    from chalicelib.api.v1.schemas.templates import TemplateOut

    return TemplateOut.of(template)


@bp.route("/templates", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="templates:TemplateIn", out="templates:TemplateOut",
          status=201, idempotent=True)
def create_template(request: Request, principal: Principal) -> Any:
    """Store a message text with ``{{name}}`` placeholders."""
    body = request.body()
    return _out(container().template_service.create(principal, body.name, body.body,
                                                        body.description))


@bp.route("/templates", methods=["GET"])
@endpoint(bp, scope="messages:read", out="templates:Page[TemplateOut]",
          query=("limit", "cursor"))
def list_templates(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's templates."""
    limit, cursor = request.page_args()
    return page_json(container().template_service.list(principal, limit, cursor), _out)


@bp.route("/templates/{template_id}", methods=["GET"])
@endpoint(bp, scope="messages:read", out="templates:TemplateOut")
def get_template(request: Request, principal: Principal, template_id: str) -> Any:
    """One template, with the variables it uses."""
    return _out(container().template_service.get(principal, template_id))


@bp.route("/templates/{template_id}", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="templates:TemplatePatch",
          out="templates:TemplateOut")
def update_template(request: Request, principal: Principal, template_id: str) -> Any:
    """Change a template's name or body."""
    changes = request.body().model_dump(exclude_none=True)
    return _out(container().template_service.update(principal, template_id, changes))


@bp.route("/templates/{template_id}", methods=["DELETE"])
@endpoint(bp, scope="messages:send", out="common:Deleted")
def delete_template(request: Request, principal: Principal, template_id: str) -> Any:
    """Delete a template (messages already sent with it keep their text)."""
    container().template_service.delete(principal, template_id)
    return {"deleted": True, "id": template_id}


@bp.route("/templates/{template_id}/preview", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:read", body="templates:PreviewIn", out="templates:PreviewOut")
def preview_template(request: Request, principal: Principal, template_id: str) -> Any:
    """The text a template gives with these variables."""
    from chalicelib.domain.templates import render

    template = container().template_service.get(principal, template_id)
    variables = request.body().variables
    return {"text": render(template.body, variables), "variables": template.variables}
