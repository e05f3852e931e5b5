"""cfn-lint over the synthesized template (SAM transform included), when cfn-lint is installed.

It checks what synthesis cannot: property names and values against the CloudFormation resource
specification (ECS health checks, EFS volumes, scaling policies, SAM VpcConfig, ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import Synth


def _cfn_lint() -> str | None:
    beside_python = Path(sys.executable).parent / "cfn-lint"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("cfn-lint")


def test_template_passes_cfn_lint(synth: Synth) -> None:
    cfn_lint = _cfn_lint()
    if cfn_lint is None:
        pytest.skip("cfn-lint is not installed: `.venv/bin/pip install cfn-lint`")
    (template_file,) = synth.outdir.glob("*.template.json")
    done = subprocess.run(
        [cfn_lint, "--regions", "us-east-1", "--", str(template_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"cfn-lint findings:\n{done.stdout}{done.stderr}"
