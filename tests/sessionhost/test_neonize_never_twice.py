"""The neonize engine and "never twice", offline with real neonize classes: it cannot send
with an id chosen beforehand (so the host guards each message with its send token alone),
and a send whose answer never came is "outcome_unknown", never a retryable refusal."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from chalicelib.domain.content import Text
from chalicelib.domain.jids import Jid
from chalicelib.sessionhost.engines import neonize_engine as ne
from chalicelib.sessionhost.engines.base import EngineError, EngineSession, Outbound

client_module = pytest.importorskip("neonize.client")
exc = pytest.importorskip("neonize.exc")

from tests.sessionhost.test_neonize_send import (  # noqa: E402 (after the skips)
    Network,
    engine,  # noqa: F401 (fixture)
    session,  # noqa: F401 (fixture)
    wa,  # noqa: F401 (fixture)
)

TO = Jid("447911123456")


def test_neonize_cannot_carry_a_chosen_message_id():
    """The premise: neonize 0.5.2's send_message takes no id (whatsmeow's SendRequestExtra
    reaches only send_fb_message). If a later neonize takes one, the engine can record ids
    before sending, as the sandbox does, and receipts will resolve unknown outcomes."""
    parameters = inspect.signature(client_module.NewClient.send_message).parameters
    assert not {"id", "message_id", "extra", "msg_id"} & set(parameters)
    assert "extra" in inspect.signature(client_module.NewClient.send_fb_message).parameters


def test_the_engine_leaves_the_id_to_whatsmeow(wa: Network, session: EngineSession,
                                               engine: ne.NeonizeEngine):
    assert engine.message_id(session) is None
    assert engine.send(session, Outbound(TO, Text(text="hi")), None) == "3EB0C0FFEE"
    with pytest.raises(EngineError) as refused:
        engine.send(session, Outbound(TO, Text(text="again")), "3EB0CHOSEN")
    assert refused.value.code == "unsupported"
    assert len(wa.called("send_message")) == 1  # the refused one never reached neonize


@pytest.mark.parametrize(("error", "code"), [
    (exc.SendMessageError("timed out waiting for message send response"), "outcome_unknown"),
    (exc.SendMessageError("failed to send message node: write: broken pipe"), "outcome_unknown"),
    (exc.SendMessageError("failed to send message node: websocket not connected"),
     "not_connected"),
])
def test_a_send_that_may_have_left_is_outcome_unknown(wa: Network, session: EngineSession,
                                                     engine: ne.NeonizeEngine, error: Any,
                                                     code: str):
    def fail(*args: Any) -> Any:
        raise error

    wa.answer("send_message", fail)
    with pytest.raises(EngineError) as failed:
        engine.send(session, Outbound(TO, Text(text="hi")))
    assert failed.value.code == code
