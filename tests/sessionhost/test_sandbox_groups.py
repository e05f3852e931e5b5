"""The sandbox's group model as a state machine: whatever admins do to participants, a group
keeps its owner, every answer says what happened, and only admins change anything."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.sessionhost.engines.base import EngineError
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.engines.sandbox.groups import ADMIN, MEMBER, OWNER

PEOPLE = [f"1415555{n:04d}@s.whatsapp.net" for n in (100, 101, 102, 103, 0)]  # 0000: not on WA
OWNER_JID = PEOPLE[0]
ENGINE = SandboxEngine()

step = st.tuples(st.sampled_from(PEOPLE[:4]), st.sampled_from(["add", "remove", "promote",
                                                               "demote"]),
                 st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))


@settings(max_examples=60)
@given(st.lists(step, max_size=12))
def test_participant_changes(steps: list[tuple[str, str, list[str]]]) -> None:
    group = ENGINE._create(OWNER_JID, "T", [])
    for actor, action, people in steps:
        before = dict(group.members)
        try:
            changed = ENGINE._change(actor, group.id, action, people)  # type: ignore[arg-type]
        except EngineError as refused:
            assert refused.code in ("not_admin", "not_participant")
            assert before.get(actor, MEMBER) == MEMBER and group.members == before
            continue
        assert before[actor] in (ADMIN, OWNER)
        assert [r.jid for r in changed.results] == list(dict.fromkeys(people))
        for result in changed.results:
            role = group.members.get(result.jid)
            if result.ok:
                assert (role is None) == (action == "remove")
                assert action != "promote" or role in (ADMIN, OWNER)
                assert action != "demote" or role == MEMBER
            else:
                assert result.reason in ("already_participant", "not_on_whatsapp",
                                         "not_participant", "is_owner")
                assert role == before.get(result.jid)
        assert group.members[OWNER_JID] == OWNER
        assert PEOPLE[4] not in group.members
    assert [j for j, role in group.members.items() if role == OWNER] == [OWNER_JID]
