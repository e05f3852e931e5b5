"""What a long ``make run`` keeps in memory stays bounded: the sandbox engine remembers only
its latest sends and actions (the embedded AWS side is in ``test_embedded_aws``)."""

from __future__ import annotations

from chalicelib.domain.content import Text
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live.messages import EditMessage, StarMessage
from chalicelib.sessionhost.engines.base import EngineSession, Outbound
from chalicelib.sessionhost.engines.sandbox import KEEP, SandboxEngine
from tests.conftest import wait_for


def test_the_sandbox_remembers_only_its_latest_sends_and_actions(tmp_path):
    engine = SandboxEngine(delivery_ms=1, read_ms=2)
    seen: list[str] = []

    class Listener:
        def __getattr__(self, name: str):
            return lambda *args: seen.append(name)

    session = EngineSession("t", "s", tmp_path / "auth")
    engine.start(session, Listener())  # type: ignore[arg-type]
    wait_for(lambda: "on_qr" in seen, timeout=5)
    engine.scan(session, None)
    to = parse_jid("+14155552671")
    ids = [engine.send(session, Outbound(to, Text(text=f"n{n}"))) for n in range(KEEP + 40)]
    for engine_id in ids:
        engine.live(session, StarMessage(chat=str(to), engine_message_id=engine_id,
                                         from_me=True))

    assert len(engine.outbox) == KEEP and len(engine.actions) == KEEP
    assert [e for _, e, _ in engine.outbox] == ids[-KEEP:]  # the latest, in order
    assert engine.outbox[-1][2].content.text == f"n{KEEP + 39}"
    engine.live(session, EditMessage(chat=str(to), engine_message_id=ids[-1],
                                     text="still editable"))
    assert engine.actions[-1][1:] == ("edit", ids[-1], "still editable")
