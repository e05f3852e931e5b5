"""Integer aliases on DynamoDB (moto): numbers are per tenant and kind, given once, and a lost
race to number the same id answers the winner's number."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import bootstrap
from chalicelib.domain.errors import NotFound
from chalicelib.services.aliases import AliasService


@pytest.fixture
def aliases(aws: None) -> AliasService:
    return bootstrap.container().alias_service


def test_numbers_count_up_per_tenant_and_kind_and_stay(aliases: AliasService) -> None:
    assert aliases.numbers("acme", "contact", ["c1", "c2", "c1"]) == {"c1": 1, "c2": 2}
    assert aliases.number("acme", "contact", "c2") == 2
    assert aliases.number("acme", "group", "g1") == 1
    assert aliases.number("globex", "contact", "c9") == 1
    assert aliases.resolve("acme", "contact", "2") == "c2"
    assert aliases.resolve("acme", "contact", 1) == "c1"


@pytest.mark.parametrize("number", ["1", "0", "-1", "x", "99", str(2**64), "1.5"])
def test_another_tenants_or_an_unknown_number_is_not_found(aliases: AliasService,
                                                           number: str) -> None:
    aliases.number("acme", "contact", "c1")
    with pytest.raises(NotFound):
        aliases.resolve("globex", "contact", number)
    if number != "1":
        with pytest.raises(NotFound):
            aliases.resolve("acme", "contact", number)


def test_an_id_numbered_meanwhile_keeps_the_first_number(aliases: AliasService) -> None:
    repo = bootstrap.container().aliases
    assert repo.assign("acme", "contact", "c1") == 1
    assert repo.assign("acme", "contact", "c1") is None  # the race's loser
    assert aliases.number("acme", "contact", "c1") == 1
    assert aliases.number("acme", "contact", "c2") == 3  # the loser's number stays unused


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([f"id{i}" for i in range(8)]), min_size=1, max_size=12))
def test_every_id_has_one_number_and_every_number_one_id(ids: list[str]) -> None:
    from tests.fakes import FakeAliases

    service = AliasService(FakeAliases())
    seen: dict[str, int] = {}
    for wagate_id in ids:
        number = service.number("t", "k", wagate_id)
        assert seen.setdefault(wagate_id, number) == number
        assert service.resolve("t", "k", number) == wagate_id
    assert len(set(seen.values())) == len(seen)
