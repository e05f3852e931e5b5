"""TemplateService on fakes: create, read, change, delete, fill in; pages; tenants apart."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import NotFound, ValidationFailed
from tests.fakes import FakeClock, Services


def test_a_template_is_kept_and_lists_its_variables(services: Services):
    made = services.template_service.create(services.acme, "otp",
                                            "Your code is {{code}}, {{ name }}. @{{code}}")
    got = services.template_service.get(services.acme, made.id)
    assert got == made and got.variables == ["code", "name"]


def test_filling_in_replaces_every_placeholder_and_names_what_is_missing(services: Services):
    made = services.template_service.create(services.acme, "t", "Hi {{name}}, {{name}}! {{x}}")
    assert services.template_service.render(services.acme, made.id,
                                            {"name": "Ann", "x": "1"}) == "Hi Ann, Ann! 1"
    with pytest.raises(ValidationFailed) as missing:
        services.template_service.render(services.acme, made.id, {"name": "Ann"})
    assert [d["field"] for d in missing.value.details] == ["variables.x"]
    with pytest.raises(ValidationFailed) as unknown:
        services.template_service.render(services.acme, "nope", {})
    assert unknown.value.details[0]["field"] == "template_id"


def test_an_update_changes_the_body_and_the_time_it_changed(services: Services,
                                                            clock: FakeClock):
    made = services.template_service.create(services.acme, "t", "old {{a}}")
    clock.advance(60)
    changed = services.template_service.update(services.acme, made.id, {"body": "new {{b}}"})
    assert changed.variables == ["b"] and changed.updated_at > made.updated_at
    assert changed.created_at == made.created_at
    assert services.template_service.get(services.acme, made.id).body == "new {{b}}"


def test_another_tenants_templates_do_not_exist_for_you(services: Services):
    theirs = services.template_service.create(services.globex, "t", "secret {{x}}")
    for act in (lambda: services.template_service.get(services.acme, theirs.id),
                lambda: services.template_service.update(services.acme, theirs.id, {"body": "x"}),
                lambda: services.template_service.delete(services.acme, theirs.id)):
        with pytest.raises(NotFound):
            act()
    assert services.template_service.get(services.globex, theirs.id).body == "secret {{x}}"


def test_a_deleted_template_is_gone(services: Services):
    made = services.template_service.create(services.acme, "t", "x")
    services.template_service.delete(services.acme, made.id)
    with pytest.raises(NotFound):
        services.template_service.get(services.acme, made.id)
    with pytest.raises(NotFound):
        services.template_service.delete(services.acme, made.id)


def test_templates_come_in_bounded_pages(services: Services):
    made = {services.template_service.create(services.acme, f"t{i}", "x").id for i in range(7)}
    services.template_service.create(services.globex, "theirs", "x")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = services.template_service.list(services.acme, 3, cursor)
        assert len(page.items) <= 3
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    with pytest.raises(ValidationFailed):
        services.template_service.list(services.acme, 3, "garbage!")
