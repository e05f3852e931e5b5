"""The layers hold (ARCHITECTURE.md): arrows point down only, the domain is pure, and importing
the app stays cheap (the cold start of every Lambda)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def _imports(folder: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import in a layer, lazy ones included."""
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.append((str(path.relative_to(ROOT)), node.module))
            elif isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("domain", ("chalicelib.services", "chalicelib.adapters", "chalicelib.api",
                "chalicelib.workers", "chalicelib.settings", "chalicelib.bootstrap", "boto3",
                "botocore", "chalice", "requests")),
    ("services", ("chalicelib.adapters", "chalicelib.api", "chalicelib.workers",
                  "chalicelib.bootstrap", "boto3", "botocore", "chalice", "requests")),
    ("adapters", ("chalicelib.services", "chalicelib.api", "chalicelib.workers",
                  "chalicelib.bootstrap")),
    ("workers", ("chalicelib.api", "boto3", "botocore")),
    # The edges (native /v1 and the dialects) call services; they build no adapter.
    ("api", ("chalicelib.adapters", "chalicelib.workers", "boto3", "botocore", "requests")),
    # The operator CLI is a client of the public HTTP API, nothing more.
    ("cli", ("chalicelib.api", "chalicelib.services", "chalicelib.adapters",
             "chalicelib.domain", "chalicelib.workers", "chalicelib.bootstrap",
             "chalicelib.settings", "boto3", "botocore")),
])
def test_arrows_point_down_only(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = [(file, module) for file, module in _imports(layer)
             if any(module == f or module.startswith(f + ".") for f in forbidden)]
    assert wrong == []


def test_the_session_host_takes_only_ports_from_the_services() -> None:
    """Its events come from the domain's catalogue, its collaborators through the ports."""
    wrong = [(file, module) for file, module in _imports("sessionhost")
             if module.startswith("chalicelib.services")
             and module != "chalicelib.services.ports"]
    assert wrong == []


def test_the_session_host_uses_no_adapter_but_in_its_bootstrap() -> None:
    """Only ``sessionhost/__main__.py`` (the host's one bootstrap) builds adapters; the host's
    parts, engines and previews take them as ports."""
    wrong = [(file, module) for file, module in _imports("sessionhost")
             if module.startswith("chalicelib.adapters")
             and not file.endswith("sessionhost/__main__.py")]
    assert wrong == []


def test_the_host_is_split_by_job() -> None:
    """Leases, commands and the intake of engine events each have their module, and none of
    them knows the others but through the shared core (the intake's listener aside)."""
    siblings = {f"chalicelib.sessionhost.{p}" for p in ("lease", "commands", "intake")}
    for file, module in _imports("sessionhost"):
        if Path(file).stem in ("lease", "commands", "intake") and module in siblings:
            assert (Path(file).stem, module) == ("lease", "chalicelib.sessionhost.intake")


def test_every_port_lives_in_ports() -> None:
    stray = []
    for path in sorted((PACKAGE / "services").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and path.name != "ports.py" and any(
                    getattr(base, "id", None) == "Protocol" for base in node.bases):
                stray.append(f"{path.name}:{node.name}")
    assert stray == []


def test_importing_the_app_loads_no_models_services_or_aws_sdk() -> None:
    """What a route needs is imported when it is first used, not with the app."""
    probe = ("import sys, json, app; print(json.dumps(sorted(m for m in sys.modules if "
             "m.split('.')[0] in ('pydantic', 'boto3', 'botocore', 'jwt', 'requests', "
             "'segno', 'argon2', 'phonenumbers', 'aws_lambda_powertools') or "
             "m.startswith(('chalicelib.services', 'chalicelib.adapters', "
             "'chalicelib.api.v1.schemas', 'chalicelib.bootstrap')))))")
    output = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert json.loads(output.stdout.strip().splitlines()[-1]) == []
