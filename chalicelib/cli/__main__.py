"""``python -m chalicelib.cli``: the ``wagate`` command without installing it."""

from chalicelib.cli.main import run

run()
