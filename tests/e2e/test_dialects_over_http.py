"""Every documented endpoint of every dialect, over real HTTP against ``make run``'s program:
each dialect's OpenAPI document is read from the running gateway and every operation in it
is called with requests that fit it, as a tenant's all-scopes key with
a WORKING sandbox session named "shop". An endpoint fails on any 5xx and on any status its
document does not list. (Each dialect's own tests walk its document's example requests; this
proves the deployed shape of all of them: the greedy resources, the local API Gateway, the
session host.)"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from chalicelib.api.dialects import NAMES, router
from chalicelib.api.dialects.spec import document
from chalicelib.devstack.launch import StackProcess
from chalicelib.domain.auth import SCOPES
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-e2e-dialects-pass"
EXAMPLES = int(os.environ.get("WAGATE_HTTP_FUZZ_EXAMPLES", "2"))  # per operation
CHECKS = [not_a_server_error, status_code_conformance]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "dialects-http", PASSWORD,
                             WAGATE_PREFIX="wagate-e2e-dlh")


@pytest.fixture(scope="module")
def key_headers(stack: StackProcess) -> dict[str, str]:
    """An all-scopes key of the stack's tenant, in every product's header; session "shop"
    WORKING."""
    http = stack.login(PASSWORD)
    stack.pair(http, "shop")
    secret = http.post(f"{stack.base}/api-keys", timeout=10,
                       json={"name": "every-route", "scopes": sorted(SCOPES)}).json()["key"]
    return {"Authorization": f"Bearer {secret}", "X-Api-Key": secret, "APIKey": secret}


def _walk(name: str) -> Any:
    """The dialect's document as the gateway serves it (built here, where the tests are
    collected; a test checks that the running gateway serves the same one)."""
    schema = schemathesis.openapi.from_dict(document(router(name)))
    # Requests that fit the document: the in-process fuzz (tests/dialects/test_fuzz.py) sends
    # the ones that do not.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=EXAMPLES,
                                    deterministic=True, with_security_parameters=False)

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def test(case: Any, stack: StackProcess, key_headers: dict[str, str]) -> None:
        root = stack.base.removesuffix("/v1")
        case.call_and_validate(base_url=f"{root}/compat/{name}", timeout=30, checks=CHECKS,
                               headers={**(case.headers or {}), **key_headers})

    return test


def test_the_gateway_serves_each_dialects_document(stack: StackProcess) -> None:
    root = stack.base.removesuffix("/v1")
    for name in NAMES:
        served = requests.get(f"{root}/compat/{name}/openapi.json", timeout=10)
        assert served.status_code == 200, (name, served.text)
        assert served.json() == json.loads(json.dumps(document(router(name)))), name


for _name in NAMES:
    globals()[f"test_every_{_name}_endpoint_over_http"] = _walk(_name)
