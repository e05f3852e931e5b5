"""A small reader of the session-host Dockerfile, for tests (no Docker, no parser package).

It joins ``\\``-continued lines, drops comments (but keeps ``# hadolint`` directives out of the
instructions too) and returns ``(INSTRUCTION, arguments)`` pairs in order.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "infra" / "session_host" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / "infra" / "session_host" / "Dockerfile.dockerignore"


def instructions(text: str | None = None) -> list[tuple[str, str]]:
    """``[(instruction, arguments), ...]`` of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text() if text is None else text
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments may sit between continued lines too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, arguments = line.partition(" ")
        result.append((keyword.upper(), " ".join(arguments.split())))
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def arguments_of(keyword: str, text: str | None = None) -> list[str]:
    return [arguments for name, arguments in instructions(text) if name == keyword]


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(item, str) for item in value)
    return value


def env() -> dict[str, str]:
    """Every ``ENV key=value`` pair (the ``key=value`` form only)."""
    pairs: dict[str, str] = {}
    for arguments in arguments_of("ENV"):
        for token in shlex.split(arguments):
            key, sep, value = token.partition("=")
            assert sep, f"ENV {arguments!r}: use the key=value form"
            pairs[key] = value
    return pairs


def arg_defaults() -> dict[str, str]:
    """``ARG NAME=default`` pairs."""
    defaults: dict[str, str] = {}
    for arguments in arguments_of("ARG"):
        name, _, default = arguments.partition("=")
        defaults[name] = default
    return defaults


def expand(value: str) -> str:
    """Substitute ``${ARG}`` / ``$ARG`` with the ARG defaults."""
    defaults = arg_defaults()
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)", lambda m: defaults.get(m.group(1) or m.group(2), m.group(0)), value
    )


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
