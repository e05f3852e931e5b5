"""The bots table on moto: a match mark and its counter change together, so a cooldown is
passed by one event only, and an event that comes again is recognised and never counted twice."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import bootstrap
from chalicelib.domain import clock, ids
from chalicelib.domain.bots import Bot, BotAction, MatchMode

COOLDOWN_MS = 1000
steps = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1500), st.booleans()),
                 min_size=1, max_size=12)


def _bot(tenant_id: str) -> Bot:
    now = clock.now_iso()
    bot = Bot(id=f"bot_{ids.new_id()}", tenant_id=tenant_id, name="b", match=MatchMode.EXACT,
              keywords=["hi"], action=BotAction(type="subscribe"), cooldown_seconds=1,
              created_at=now, updated_at=now)
    bootstrap.container().bots.create(bot)
    return bot


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps)
def test_a_cooldown_passes_one_event_per_chat_and_window(aws: None,
                                                         script: list[tuple[int, int, bool]]):
    """Each step: a message in chat ``c`` some ms after the last, or the last event again."""
    repo = bootstrap.container().bots
    tenant = f"t{ids.new_id()}"
    bot = _bot(tenant)
    marks: dict[int, tuple[str, int]] = {}  # the model: chat -> (event holding it, until)
    now, last_event, counted = 10_000, None, 0
    for chat, wait_ms, again in script:
        now += wait_ms
        event = last_event if again and last_event else f"evt_{ids.new_id()}"
        held = marks.get(chat)
        if held and held[1] > now:
            expected = "again" if held[0] == event else "cooling"
        else:
            expected, counted = "new", counted + 1
            marks[chat] = (event, now + COOLDOWN_MS)
        got = repo.claim(tenant, bot.id, f"COOL#{bot.id}#{chat}", event, now + COOLDOWN_MS, now)
        assert got == expected
        last_event = event
    assert repo.get(tenant, bot.id).matches == counted


def test_racing_events_pass_a_cooldown_once(aws: None):
    repo = bootstrap.container().bots
    bot = _bot("acme")
    outcomes: list[str] = []

    def claim(event: str) -> None:
        outcomes.append(repo.claim("acme", bot.id, f"COOL#{bot.id}#c", event, 5000, 1000))

    racers = [threading.Thread(target=claim, args=(f"evt_{i}",)) for i in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(outcomes) == ["cooling", "cooling", "cooling", "new"]
    assert repo.get("acme", bot.id).matches == 1


def test_a_deleted_bot_claims_nothing(aws: None):
    repo = bootstrap.container().bots
    bot = _bot("acme")
    repo.delete("acme", bot.id)
    assert repo.claim("acme", bot.id, f"SEEN#{bot.id}#e", "e", 5000, 1000) == "gone"
    assert repo.claim("acme", bot.id, f"SEEN#{bot.id}#e", "e", 5000, 1000) == "gone"
