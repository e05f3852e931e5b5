"""/v1/templates: reusable message texts with {{placeholders}}."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import JSON_TYPES, Request, endpoint, json_response, page_json
from chalicelib.api.v1.schemas import PreviewIn, TemplateIn, TemplatePatch, template_out
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal
from chalicelib.domain.templates import render

bp = Blueprint(__name__)


@bp.route("/templates", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", idempotent=True)
def create_template(request: Request, principal: Principal) -> Any:
    body = request.body(TemplateIn)
    return json_response(template_out(container().template_service.create(
        principal, body.name, body.body)), 201)


@bp.route("/templates", methods=["GET"])
@endpoint(bp, scope="messages:read")
def list_templates(request: Request, principal: Principal) -> dict[str, Any]:
    limit, cursor = request.page_args()
    return page_json(container().template_service.list(principal, limit, cursor), template_out)


@bp.route("/templates/{template_id}", methods=["GET"])
@endpoint(bp, scope="messages:read")
def get_template(request: Request, principal: Principal, template_id: str) -> dict[str, Any]:
    return template_out(container().template_service.get(principal, template_id))


@bp.route("/templates/{template_id}", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def update_template(request: Request, principal: Principal, template_id: str) -> dict[str, Any]:
    changes = request.body(TemplatePatch).model_dump(exclude_none=True)
    return template_out(container().template_service.update(principal, template_id, changes))


@bp.route("/templates/{template_id}", methods=["DELETE"])
@endpoint(bp, scope="messages:send")
def delete_template(request: Request, principal: Principal, template_id: str) -> dict[str, Any]:
    container().template_service.delete(principal, template_id)
    return {"deleted": True, "id": template_id}


@bp.route("/templates/{template_id}/preview", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:read")
def preview_template(request: Request, principal: Principal, template_id: str) -> dict[str, Any]:
    template = container().template_service.get(principal, template_id)
    variables = request.body(PreviewIn).variables
    return {"text": render(template.body, variables), "variables": template.variables}
