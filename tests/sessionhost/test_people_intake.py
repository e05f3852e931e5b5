"""A host records people cheaply: one contacts write for what it learns, none for what it
already recorded."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningHost, Tenant


class Counting:
    """The contacts store, counting the host's writes."""

    def __init__(self, store: Any) -> None:
        self.store, self.learned = store, []

    def learn(self, *args: Any, **kwargs: Any) -> None:
        self.learned.append((args[2], kwargs))
        self.store.learn(*args, **kwargs)


def test_only_news_about_a_person_is_written(acme: Tenant, host: RunningHost, working: str):
    counting = Counting(host.host._contacts)
    host.host._contacts = counting

    def write(sender: str, push_name: str) -> None:
        acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
                  {"from": sender, "text": "hi", "push_name": push_name})

    write("+4915112345678", "Max")
    write("+4915112345678", "Max")  # nothing new
    write("+4915112345678", "Maxi")  # a new push name
    write("+14155552671", "Ana")  # its LID comes first (an update), then the message
    write("+14155552671", "Ana")
    assert [(jid, kwargs.get("push_name"), kwargs.get("lid")) for jid, kwargs in
            counting.learned] == [
        ("4915112345678@s.whatsapp.net", "Max", None),
        ("4915112345678@s.whatsapp.net", "Maxi", None),
        ("14155552671@s.whatsapp.net", None, f"{10**15 + 7 * 14155552671}@lid"),
        ("14155552671@s.whatsapp.net", "Ana", f"{10**15 + 7 * 14155552671}@lid")]
