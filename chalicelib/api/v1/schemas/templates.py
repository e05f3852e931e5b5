"""Message templates with {{placeholders}}."""

from __future__ import annotations

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Name, Out, Variables, text
from chalicelib.domain.templates import Template

TemplateText = text(4096)
Description = text(1024, 0)


class TemplateIn(Body):
    name: Name
    body: TemplateText
    description: Description | None = None


class TemplatePatch(Body):
    name: Name | None = None
    body: TemplateText | None = None
    description: Description | None = None


class PreviewIn(Body):
    variables: Variables = Field(default_factory=dict)


class TemplateOut(Out):
    id: str
    name: str
    body: str
    description: str | None = None
    created_at: str
    updated_at: str
    variables: list[str] = Field(description="The placeholders the body uses.")

    @classmethod
    def of(cls, template: Template) -> TemplateOut:
        return cls.model_validate({**template.model_dump(exclude={"tenant_id"}),
                                   "variables": template.variables})


class PreviewOut(Out):
    text: str
    variables: list[str]
