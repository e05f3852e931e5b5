"""The API fuzzed against its own OpenAPI document (schemathesis), in-process.

Every operation of ``/v1/openapi.json`` gets schema-valid and schema-violating requests, as a
tenant owner with a WORKING sandbox session. The suite fails on any 5xx, any undocumented
status, any answer whose body does not match its documented schema (errors included: the
envelope), and any schema-violating request the API accepts.

Bounded: ``FUZZ_EXAMPLES`` per operation and mode (env ``WAGATE_FUZZ_EXAMPLES``, default 12).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from chalicelib.api.openapi import generate
from tests.fuzzing import WSGI, fuzz_world

FUZZ_EXAMPLES = int(os.environ.get("WAGATE_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
schema = schemathesis.openapi.from_dict(generate(app.routes))
schema.app = WSGI
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=FUZZ_EXAMPLES, deterministic=True,
                                with_security_parameters=False)


@pytest.fixture(scope="module")
def auth_headers() -> Iterator[dict[str, str]]:
    """One tenant (owner token, all scopes) with a WORKING session, for the whole module."""
    with fuzz_world() as world:
        yield {"Authorization": f"Bearer {world.token}"}


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_contract(case: Any, auth_headers: dict[str, str]) -> None:
    if case.operation.path in ("/v1/auth/logout",):
        return  # would revoke the token every other case uses (logout has its own tests)
    case.call_and_validate(headers={**(case.headers or {}), **auth_headers}, checks=CHECKS)
