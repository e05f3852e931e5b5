"""Inbound messages a host could not store are never acknowledged and dropped: the sandbox
refuses them, a real engine's oversized fields are clipped (and logged), and a failed write
is logged with the message's ids."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from chalicelib.bootstrap import container
from chalicelib.domain.jids import Jid
from chalicelib.sessionhost.engines.base import Inbound
from tests.conftest import Tenant, assert_error

EMOJI = "\U0001F600"  # four bytes


def _inbound(tenant: Tenant, sid: str, **body) -> object:
    return tenant.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                       {"from": "+4915112345678", "text": "hi", **body})


def _engine_delivers(host, tenant: Tenant, sid: str, inbound: Inbound) -> None:
    """What a real engine would do: hand the host an inbound message (through the sandbox's
    listener for the session), then let the host's worker handle it."""
    host.engine._connections[(tenant.id, sid)].listener.on_message(inbound)
    host.host.flush()


def test_the_sandbox_refuses_what_a_host_could_not_store(acme: Tenant, working: str):
    error = assert_error(_inbound(acme, working, push_name="x" * 1000), 422, "too_large")
    assert error["message"].startswith("push_name: may be at most")
    # 20,000 characters but 80,000 bytes: the API's own bound (the same as the host's) says no
    error = assert_error(_inbound(acme, working, text=EMOJI * 20_000), 422)
    assert error["details"][0]["field"] == "text"
    assert acme.call("GET", "/v1/messages").json["items"] == []
    assert _inbound(acme, working, push_name="Ana").status_code == 200


def test_a_real_engine_s_oversized_fields_are_clipped_and_said_so(acme: Tenant, working: str,
                                                                  host, caplog):
    sender = Jid("4915112345678")
    with caplog.at_level(logging.WARNING, logger="wagate.host"):
        _engine_delivers(host, acme, working, Inbound(
            engine_message_id="3EB0BIG", chat=sender, sender=sender,
            text=EMOJI * 20_000, timestamp=datetime.now(UTC), push_name="é" * 1000))
    (stored,) = acme.call("GET", "/v1/messages").json["items"]
    assert stored["engine_message_id"] == "3EB0BIG"
    assert stored["push_name"] == "é" * 128  # 256 bytes
    assert stored["text"] == EMOJI * 16_384  # 65,536 bytes
    warning = next(r.getMessage() for r in caplog.records if "clipped" in r.getMessage())
    assert stored["id"] in warning and "3EB0BIG" in warning
    assert "push_name, text" in warning


def test_a_failed_write_of_an_inbound_message_is_logged_with_its_ids(acme: Tenant, working: str,
                                                                     host, caplog, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(container().messages, "store_inbound", refuse)
    sender = Jid("4915112345678")
    with caplog.at_level(logging.ERROR, logger="wagate.host"):
        _engine_delivers(host, acme, working, Inbound(
            engine_message_id="3EB0LOST", chat=sender, sender=sender, text="hello",
            timestamp=datetime.now(UTC)))
    logged = [r.getMessage() for r in caplog.records
              if r.getMessage().startswith("could not store inbound message")]
    assert len(logged) == 1 and "3EB0LOST" in logged[0] and working in logged[0]
