"""Idempotency on fakes: one run per key, replays, reuse with another request, keys still
running, 5xx and failures forgotten, tenants apart, keys kept a day."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services.idempotency import fingerprint
from tests.fakes import FakeClock, Services

CREATE = fingerprint("POST", "/v1/messages", b'{"to": "+14155552671"}')
OTHER = fingerprint("POST", "/v1/messages", b'{"to": "+447911123456"}')


class Handler:
    """A request handler that counts its runs and answers ``answers`` in turn."""

    def __init__(self, *answers: tuple[int, Any] | Exception) -> None:
        self.answers = list(answers)
        self.runs = 0

    def __call__(self) -> tuple[int, Any]:
        answer = self.answers[min(self.runs, len(self.answers) - 1)]
        self.runs += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_same_request_again_gets_the_first_answer_without_running(services: Services):
    handler = Handler((201, {"id": "M1", "tags": ("a",)}))
    first = services.idempotency.run("acme", "key-1", CREATE, handler)
    again = services.idempotency.run("acme", "key-1", CREATE, handler)
    assert first == (201, {"id": "M1", "tags": ("a",)}, False)
    assert again == (201, {"id": "M1", "tags": ["a"]}, True)  # as stored: JSON
    assert handler.runs == 1


def test_a_key_used_for_another_request_is_a_422(services: Services):
    services.idempotency.run("acme", "key-1", CREATE, Handler((201, {})))
    with pytest.raises(ValidationFailed) as reused:
        services.idempotency.run("acme", "key-1", OTHER, Handler((201, {})))
    assert reused.value.code == "idempotency_key_reused"


def test_a_request_still_running_makes_its_twin_wait_with_a_409(services: Services):
    twin_error: list[Conflict] = []

    def slow() -> tuple[int, Any]:
        try:
            services.idempotency.run("acme", "key-1", CREATE, Handler((201, {})))
        except Conflict as exc:
            twin_error.append(exc)
        return 201, {"id": "M1"}

    assert services.idempotency.run("acme", "key-1", CREATE, slow)[0] == 201
    assert [e.code for e in twin_error] == ["idempotency_key_in_progress"]


@pytest.mark.parametrize("failure", [(503, {"error": "queue"}), RuntimeError("crash")])
def test_server_errors_and_crashes_are_not_remembered(services: Services,
                                                      failure: tuple[int, Any] | Exception):
    handler = Handler(failure, (201, {"id": "M2"}))
    if isinstance(failure, Exception):
        with pytest.raises(RuntimeError):
            services.idempotency.run("acme", "key-1", CREATE, handler)
    else:
        assert services.idempotency.run("acme", "key-1", CREATE, handler)[0] == 503
    assert services.idempotency.run("acme", "key-1", CREATE, handler) == (201, {"id": "M2"},
                                                                          False)
    assert handler.runs == 2


def test_client_errors_are_remembered(services: Services):
    handler = Handler((422, {"error": "bad"}), (201, {}))
    services.idempotency.run("acme", "key-1", CREATE, handler)
    assert services.idempotency.run("acme", "key-1", CREATE, handler)[2] is True
    assert handler.runs == 1


def test_keys_belong_to_a_tenant_and_last_a_day(services: Services, clock: FakeClock):
    handler = Handler((201, {"n": 1}))
    services.idempotency.run("acme", "key-1", CREATE, handler)
    assert services.idempotency.run("globex", "key-1", OTHER, handler)[2] is False
    clock.advance(hours=23, minutes=59)
    assert services.idempotency.run("acme", "key-1", CREATE, handler)[2] is True
    clock.advance(minutes=2)
    assert services.idempotency.run("acme", "key-1", OTHER, handler)[2] is False
    assert handler.runs == 3


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there", "new\nline"])
def test_a_malformed_key_is_a_422_and_runs_nothing(services: Services, key: str):
    handler = Handler((201, {}))
    with pytest.raises(ValidationFailed) as refused:
        services.idempotency.run("acme", key, CREATE, handler)
    assert refused.value.details[0]["field"] == "Idempotency-Key"
    assert handler.runs == 0
