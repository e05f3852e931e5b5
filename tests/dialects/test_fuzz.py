"""Every dialect fuzzed against its own OpenAPI document (``/compat/<name>/openapi.json``).

As a tenant owner's API key (every scope, sent in each product's own header) with a WORKING
sandbox session: schema-valid and schema-violating requests. A dialect fails on any 5xx and
any status its document does not list. (The products' servers are lax about types, and so are
the dialects: "5" is taken for 5, so schema-violating requests may be accepted.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from chalicelib.api.dialects import NAMES, router
from chalicelib.api.dialects.spec import document
from chalicelib.domain.auth import SCOPES
from tests.api.test_fuzz import FUZZ_EXAMPLES
from tests.conftest import call
from tests.fuzzing import WSGI, fuzz_world

CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture(scope="module")
def key_headers() -> Iterator[dict[str, str]]:
    with fuzz_world() as world:
        secret = call(world.client, "POST", "/v1/api-keys", world.token,
                      {"name": "fuzz", "scopes": sorted(SCOPES)}).json["key"]
        yield {"Authorization": f"Bearer {secret}", "X-Api-Key": secret, "APIKey": secret}


def _fuzz(name: str) -> Callable[..., None]:
    schema = schemathesis.openapi.from_dict(document(router(name)))
    schema.app = WSGI
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=FUZZ_EXAMPLES, deterministic=True,
                                    with_security_parameters=False)

    @schema.parametrize()
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def test(case: Any, key_headers: dict[str, str]) -> None:
        case.call_and_validate(headers={**(case.headers or {}), **key_headers}, checks=CHECKS)

    return test  # type: ignore[no-any-return]


for _name in NAMES:
    globals()[f"test_the_{_name}_dialect_holds_to_its_document"] = _fuzz(_name)
