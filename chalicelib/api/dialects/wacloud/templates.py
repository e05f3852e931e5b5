"""Templates: texts with ``@{{variable}}`` placeholders; CRUD and preview."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import PreviewIn, TemplateIn, TemplatePatch
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.paging import MAX_LIMIT
from chalicelib.domain.templates import render


@router.route("POST", "/api/v1/templates", scope="messages:send", body=TemplateIn, status=201)
def create_template(call: Call) -> dict[str, Any]:
    """Create a template; its variables are the ``@{{name}}`` placeholders of ``content``."""
    body = call.body()
    return shapes.template(call.services.template_service.create(
        call.principal, body.name, body.content, body.description))


@router.route("GET", "/api/v1/templates", scope="messages:read", query=("limit", "cursor"))
def list_templates(call: Call) -> Said:
    """The account's templates (``meta.next_cursor`` gives the next page as ``cursor``)."""
    limit = call.query_int("limit", MAX_LIMIT, 1, MAX_LIMIT)
    page = call.services.template_service.list(call.principal, limit, call.query("cursor"))
    return Said(data=[shapes.template(t) for t in page.items],
                extra={"meta": {"next_cursor": page.next_cursor, "limit": limit}})


@router.route("GET", "/api/v1/templates/{template_id}", scope="messages:read")
def get_template(call: Call, template_id: str) -> dict[str, Any]:
    """One template."""
    return shapes.template(call.services.template_service.get(call.principal, template_id))


@router.route("PUT", "/api/v1/templates/{template_id}", scope="messages:send",
              body=TemplatePatch)
def update_template(call: Call, template_id: str) -> dict[str, Any]:
    """Change a template's name, content or description (the fields given)."""
    body = call.body()
    changes = {"name": body.name, "body": body.content, "description": body.description}
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise ValidationFailed.field("content", "give name, content and/or description")
    return shapes.template(call.services.template_service.update(call.principal, template_id,
                                                                 changes))


@router.route("DELETE", "/api/v1/templates/{template_id}", scope="messages:send")
def delete_template(call: Call, template_id: str) -> Said:
    """Delete a template (messages sent with it keep their text)."""
    call.services.template_service.delete(call.principal, template_id)
    return Said("Template deleted successfully", {"id": template_id})


@router.route("POST", "/api/v1/templates/{template_id}/preview", scope="messages:read",
              body=PreviewIn)
def preview_template(call: Call, template_id: str) -> dict[str, Any]:
    """The text the template gives with these variables (a missing one is a 422 naming
    it)."""
    template = call.services.template_service.get(call.principal, template_id)
    variables = call.body().variables
    return {"id": template.id, "content": template.body,
            "preview": render(template.body, variables), "variables": template.variables}
