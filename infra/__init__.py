"""The wagate CDK app (see ``infra/app.py`` and ``infra/wagate_stack.py``)."""
