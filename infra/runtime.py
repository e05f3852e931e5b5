"""The Lambda runtime: its Python, its architecture and the layer of the app's dependencies.

The Python version is declared once, in ``.python-version`` at the repository root: make builds
the virtualenv (which runs the tests and packages the app) with it, the session-host image takes
it as a build argument, and every function runs ``python<version>``. Synthesis refuses to run on
another interpreter, so what is deployed is what was tested.

The dependencies (``requirements.txt``) are not packaged by chalice (its packager only fetches
x86_64 wheels): pip installs them for the declared Python and the Lambda architecture, binary
wheels only, into a layer cached by the hash of its inputs. The architecture is arm64 when every
dependency has an aarch64 wheel, else x86_64, and synthesis says why.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION_FILE = REPO_ROOT / ".python-version"
LAYER_CACHE = REPO_ROOT / "infra" / ".cache" / "layers"
# pip's platform tag and the Lambda architecture name, in order of preference (arm64: about 20 %
# cheaper per GB-second for the same work).
PLATFORMS = (("arm64", "manylinux2014_aarch64"), ("x86_64", "manylinux2014_x86_64"))

Pip = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


def python_version() -> str:
    """The declared Python, ``"3.11"``."""
    return PYTHON_VERSION_FILE.read_text().strip()


def lambda_runtime() -> str:
    """The Lambda runtime identifier of the declared Python, ``"python3.11"``."""
    return f"python{python_version()}"


def check_interpreter(version: str | None = None) -> None:
    """Refuse to package with another Python than the declared one."""
    declared = version or python_version()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != declared:
        raise RuntimeError(
            f".python-version declares {declared} but synthesis runs on Python {running}: "
            f"rebuild the virtualenv (make clean install)"
        )


@dataclass(frozen=True)
class Layer:
    """A built dependency layer: ``directory`` holds ``python/``; ``why`` explains a fallback."""

    directory: Path
    architecture: str
    why: str = ""


def _run_pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args],  # noqa: S603 (our own pip)
                          capture_output=True, text=True, timeout=600, check=False)


def _pip_install(requirements: Path, version: str, platform: str, target: Path) -> list[str]:
    return ["install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", version,
            "--platform", platform, "--target", str(target), "-r", str(requirements)]


def build_layer(requirements: Path, *, version: str | None = None, cache: Path = LAYER_CACHE,
                pip: Pip = _run_pip) -> Layer:
    """The dependency layer for the first architecture every requirement has wheels for.

    A layer is built once per (requirements, Python, platform) and kept in ``cache``; it is
    written to a temporary directory and renamed into place, so a failed build leaves nothing.
    """
    version = version or python_version()
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    refusals: list[str] = []
    for architecture, platform in PLATFORMS:
        final = cache / f"{digest}-py{version}-{architecture}"
        if (final / "python").is_dir():
            return Layer(final, architecture, "; ".join(refusals))
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=cache))
        done = pip(_pip_install(requirements, version, platform, staging / "python"))
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            refusals.append(f"{architecture}: {last}")
            continue
        try:
            staging.rename(final)
        except OSError:  # built meanwhile by another synthesis: keep theirs
            shutil.rmtree(staging, ignore_errors=True)
        return Layer(final, architecture, "; ".join(refusals))
    raise RuntimeError("no architecture has wheels for every requirement: " + "; ".join(refusals))
