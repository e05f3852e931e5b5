"""Keyword matching (every mode, case folding, re2), order and stop, placeholder filling, and
the opt-out keywords: pure rules, with properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import ids
from chalicelib.domain.bots import Bot, BotAction, MatchMode, check_keywords, chosen, fill, matches
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.optouts import OptOutSettings, keyword_action, phone_of

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
GROUP = "120363000000000001@g.us"
PERSON = "4915112345678@s.whatsapp.net"


@given(keyword=words, before=words, after=words, case_sensitive=st.booleans())
def test_exact_implies_starts_with_implies_contains(keyword: str, before: str, after: str,
                                                    case_sensitive: bool) -> None:
    for text in (keyword, keyword + after, before + keyword + after):
        hits = [matches(mode, [keyword], text, case_sensitive)
                for mode in (MatchMode.EXACT, MatchMode.STARTS_WITH, MatchMode.CONTAINS)]
        assert hits == sorted(hits)  # False… then True…: a match in one mode holds in the next


@given(keyword=st.text(st.characters(codec="ascii", categories=("L",)), min_size=1,
                       max_size=10), mode=st.sampled_from(list(MatchMode)))
def test_case_folds_unless_case_sensitive(keyword: str, mode: MatchMode) -> None:
    shouted = keyword.upper()
    assert matches(mode, [keyword.lower()], shouted) is True
    assert matches(mode, [keyword.lower()], shouted, case_sensitive=True) is \
        (keyword.lower() == shouted)


@given(keyword=words, text=words)
def test_contains_is_substring_after_trim_and_fold(keyword: str, text: str) -> None:
    folded = keyword.strip().casefold()
    assert matches(MatchMode.CONTAINS, [keyword], text) == \
        (bool(folded) and folded in text.strip().casefold())


@pytest.mark.parametrize(("mode", "keyword", "hit", "miss"), [
    (MatchMode.EXACT, "menu", " MENU ", "menu please"),
    (MatchMode.STARTS_WITH, "price", "Price of tea", "what price"),
    (MatchMode.CONTAINS, "refund", "a REFUND now", "refunds"[:5]),
    (MatchMode.REGEX, r"^order #\d+$", "order #42", "order #4x"),
    (MatchMode.REGEX, r"\bhi\b", "oh hi there", "this"),
])
def test_each_mode(mode: MatchMode, keyword: str, hit: str, miss: str) -> None:
    assert matches(mode, [keyword], hit) and not matches(mode, [keyword], miss)
    assert not matches(mode, [keyword], None)


def test_regexes_run_in_linear_time_and_bad_ones_are_refused() -> None:
    # a pattern that backtracks for ever in Python's re answers at once in re2
    assert matches(MatchMode.REGEX, [r"^(a+)+$"], "a" * 5000 + "b") is False
    for bad, field in (("(a", "keywords[0]"), ("a" * 201, "keywords[0]"),
                       (r"(a)\1", "keywords[0]")):
        with pytest.raises(ValidationFailed) as refused:
            check_keywords(MatchMode.REGEX, [bad], False)
        assert refused.value.details[0]["field"] == field


def _bot(name: str, order: int, stop: bool = False, **fields: object) -> Bot:
    return Bot(id=f"bot_{name}", tenant_id="t", name=name, match=MatchMode.CONTAINS,
               keywords=["hi"], action=BotAction(type="subscribe"), order=order, stop=stop,
               created_at="2030-01-01T00:00:00.000Z", updated_at="2030-01-01T00:00:00.000Z",
               **fields)


@given(orders=st.lists(st.integers(-5, 5), min_size=1, max_size=8),
       stops=st.lists(st.booleans(), min_size=8, max_size=8))
def test_bots_run_in_order_up_to_the_first_stop(orders: list[int], stops: list[bool]) -> None:
    bots = [_bot(str(i), order, stops[i]) for i, order in enumerate(orders)]
    picked = chosen(bots, "s", PERSON, "hi")
    assert [b.order for b in picked] == sorted(b.order for b in picked)
    assert all(not b.stop for b in picked[:-1])
    if len(picked) < len(bots):
        assert picked[-1].stop


def test_groups_sessions_and_disabled_bots() -> None:
    bots = [_bot("a", 1), _bot("b", 2, allow_groups=True), _bot("c", 3, session_ids=["x"]),
            _bot("d", 4, enabled=False)]
    assert [b.name for b in chosen(bots, "s", PERSON, "hi")] == ["a", "b"]
    assert [b.name for b in chosen(bots, "s", GROUP, "hi")] == ["b"]
    assert [b.name for b in chosen(bots, "x", PERSON, "hi")] == ["a", "b", "c"]


@given(text=words)
def test_filling_never_reads_what_a_sender_wrote(text: str) -> None:
    filled = fill({"text": "{{text}} / {{ name }} / {{x}}", "media": {"url": "{{text}}"}},
                  {"text": text, "name": "Ann", "from": "+1"})
    assert filled == {"text": f"{text} / Ann / {{{{x}}}}", "media": {"url": "{{text}}"}}


@given(parts=st.lists(st.text(max_size=10), max_size=4), other=st.text(max_size=10))
def test_derived_ids_are_stable_sortable_ulids(parts: list[str], other: str) -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    first = ids.derived_id(moment, *parts)
    assert first == ids.derived_id(moment, *parts) and len(first) == 26
    assert ids.derived_id(moment, *parts, other) != first
    assert ids.floor_id(moment) <= first < ids.floor_id(moment + timedelta(milliseconds=1))


@pytest.mark.parametrize(("text", "action"), [
    ("STOP", "stop"), (" stop. ", "stop"), ("Unsubscribe!", "stop"), ("arrêt", "stop"),
    ("BAJA", "stop"), ("start", "start"), ("stop it", None), ("", None), (None, None),
])
def test_opt_out_keywords_are_whole_messages(text: str | None, action: str | None) -> None:
    assert keyword_action(OptOutSettings(), text) == action
    assert keyword_action(OptOutSettings(enabled=False), text) is None


def test_only_a_persons_phone_jid_has_a_number() -> None:
    assert phone_of(PERSON) == "4915112345678"
    assert phone_of(GROUP) is None and phone_of("1234@lid") is None and phone_of(None) is None
