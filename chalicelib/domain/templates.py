"""Message templates: ``{{name}}`` placeholders (and the seeds' ``@{{name}}``)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from chalicelib.domain.errors import ValidationFailed

_PLACEHOLDER = re.compile(r"@?\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")


class Template(BaseModel):
    id: str
    tenant_id: str
    name: str
    body: str
    description: str | None = None
    created_at: str
    updated_at: str

    @property
    def variables(self) -> list[str]:
        return placeholders(self.body)


def placeholders(body: str) -> list[str]:
    """The variable names a body uses, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(body)))


def render(body: str, variables: dict[str, str], field: str = "variables") -> str:
    """Fill every placeholder; a missing variable is a 422 naming it, never a hole."""
    missing = [name for name in placeholders(body) if name not in variables]
    if missing:
        raise ValidationFailed(
            f"{field}: missing {', '.join(missing)}",
            details=[{"field": f"{field}.{name}", "message": "is required by the template"}
                     for name in missing])
    return _PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), body)
