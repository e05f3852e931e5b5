"""Message templates: CRUD, preview, and filling them in for a send."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.paging import Page, collect
from chalicelib.domain.templates import Template, render
from chalicelib.services.ports import TemplateRepo

MAX_NAMED = 10_000  # a lookup by name reads at most this many templates


class TemplateService:
    def __init__(self, templates: TemplateRepo) -> None:
        self._templates = templates

    def create(self, caller: Principal, name: str, body: str,
               description: str | None = None) -> Template:
        now = clock.now_iso()
        template = Template(id=ids.new_id(), tenant_id=caller.tenant_id, name=name, body=body,
                            description=description, created_at=now, updated_at=now)
        self._templates.put(template)
        return template

    def get(self, caller: Principal, template_id: str) -> Template:
        template = self._templates.get(caller.tenant_id, template_id)
        if template is None:
            raise NotFound("template not found")
        return template

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._templates.list(caller.tenant_id, limit, cursor)

    def named(self, caller: Principal, name: str) -> Template | None:
        """The oldest of the tenant's templates called ``name`` (None when it has none)."""
        found = [t for t in collect(lambda cursor: self._templates.list(
            caller.tenant_id, 100, cursor), MAX_NAMED) if t.name == name]
        return min(found, key=lambda t: (t.created_at, t.id)) if found else None

    def update(self, caller: Principal, template_id: str, changes: dict[str, Any]) -> Template:
        current = self.get(caller, template_id)
        updated = current.model_copy(update={**changes, "updated_at": clock.now_iso()})
        if not self._templates.put(updated, must_exist=True):
            raise NotFound("template not found")
        return updated

    def delete(self, caller: Principal, template_id: str) -> None:
        if not self._templates.delete(caller.tenant_id, template_id):
            raise NotFound("template not found")

    def body(self, caller: Principal, template_id: str,
             field: str = "message.template_id") -> str:
        """A template's text, unfilled; an unknown template is a 422 on ``field``."""
        template = self._templates.get(caller.tenant_id, template_id)
        if template is None:
            raise ValidationFailed.field(field, "no such template")
        return template.body

    def render(self, caller: Principal, template_id: str, variables: dict[str, str],
               field: str = "template_id") -> str:
        """The template's text with ``variables`` filled in; an unknown template is a 422 on
        ``field`` (it is input), a missing variable a 422 naming it."""
        template = self._templates.get(caller.tenant_id, template_id)
        if template is None:
            raise ValidationFailed.field(field, "no such template")
        return render(template.body, variables)
