"""CDK entry point: ``cd infra && ../.venv/bin/python app.py`` (or ``cdk synth``).

The stage comes from the ``stage`` context value (``cdk synth -c stage=prod``), else from
``$WAGATE_STAGE``, else ``dev``. The cloud assembly goes to ``$CDK_OUTDIR`` when the CDK CLI
sets it, else to ``infra/cdk.out``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# The repo root goes first, so that chalice's ``import app`` finds the Chalice app, not this file.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra import nag
from infra.wagate_stack import REPO_ROOT, build_app


def main() -> None:
    """Synthesize the stack into the cloud assembly directory and say where it went."""
    started = time.monotonic()
    app, stack = build_app(outdir=os.environ.get("CDK_OUTDIR") or REPO_ROOT / "infra" / "cdk.out")
    assembly = app.synth()
    template = Path(assembly.directory) / stack.template_file
    print(f"synthesized {stack.stack_name} in {time.monotonic() - started:.1f}s: {template}")
    print(f"cdk-nag {', '.join(nag.PACKS)}: {nag.unacknowledged(assembly.directory)} "
          f"unacknowledged findings")


if __name__ == "__main__":
    main()
