"""End to end: ``wagate`` as an operator runs it (a process of its own, real HTTP) against the
local stack: log in, pair a session from the QR code in the terminal, send, run a campaign
from a CSV and watch it finish, tail the events, look at the dead letters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.devstack.launch import StackProcess, wait_until
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-e2e-cli-pass"
ROOT = Path(__file__).resolve().parents[2]
RUN_S = 60  # the bound on each command


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "cli", PASSWORD,
                             WAGATE_PREFIX="wagate-e2e-cli", WAGATE_SEND_INTERVAL_MS="0")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A home of its own (the config file goes there); no WAGATE_URL or WAGATE_KEY."""
    home = tmp_path_factory.mktemp("cli-home")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WAGATE_")}
    return {**clean, "XDG_CONFIG_HOME": str(home), "PYTHONPATH": str(ROOT)}


def command() -> list[str]:
    """The installed console script when make installed it, else the module."""
    script = Path(sys.executable).with_name("wagate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chalicelib.cli"]


def wagate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=RUN_S, check=False)


def answer(env: dict[str, str], *args: str) -> dict:
    done = wagate(env, "--json", *args)
    assert done.returncode == 0, (args, done.stderr)
    return json.loads(done.stdout)


def test_an_operator_runs_the_gateway_from_the_terminal(stack: StackProcess,
                                                        env: dict[str, str], tmp_path: Path):
    url = stack.base  # ".../v1": accepted as the base URL too
    logged = wagate(env, "--url", url, "login", "--username", "admin", "--password", PASSWORD)
    assert logged.returncode == 0, logged.stderr
    assert answer(env, "whoami")["role"] == "admin"

    sid = answer(env, "sessions", "create", "shop")["id"]
    shown = tmp_path / "qr.txt"
    with shown.open("w") as out:
        pairing = subprocess.Popen([*command(), "sessions", "qr", sid, "--timeout", "60"],
                                   env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   text=True)
        try:
            wait_until(lambda: "Linked devices" in shown.read_text(), 30, "the QR code")
            http = stack.login(PASSWORD)
            http.post(f"{stack.base}/sandbox/sessions/{sid}/scan",
                      json={"phone": "+14155550100"}, timeout=10).raise_for_status()
            assert pairing.wait(timeout=RUN_S) == 0, shown.read_text()
        finally:
            pairing.kill()
    assert "connected as +14155550100" in shown.read_text()

    sent = answer(env, "send", sid, "+14155552671", "hello from the terminal")
    wait_until(lambda: answer(env, "messages", "get", sent["id"])["status"] == "read", 30,
               "the message to be read", interval=0.5)

    csv = tmp_path / "people.csv"
    csv.write_text("phone,name\n+14155550201,Ada\n+14155550202,Grace\n+14155550203,Linus\n")
    campaign = answer(env, "campaigns", "create", "launch", "--csv", str(csv), "--session", sid,
                      "--text", "Hi {{name}}", "--interval", "0", "0", "--start")
    watched = wagate(env, "campaigns", "watch", campaign["id"], "--interval", "0.5",
                     "--timeout", "50")
    assert watched.returncode == 0, watched.stderr
    assert "completed" in watched.stdout
    assert answer(env, "campaigns", "list")[0]["progress"]["total"] == 3

    tail = wagate(env, "--json", "events", "tail", "--since", "600", "--no-follow", "--type",
                  "campaign.*")
    assert "campaign.completed" in {json.loads(line)["type"] for line in tail.stdout.splitlines()}
    queues = answer(env, "dlq", "list")["queues"]
    assert {q["queue"] for q in queues} >= {"outbound", "events", "webhook-deliveries"}


def test_the_console_script_is_installed_by_make() -> None:
    """``make`` installs the project, so ``wagate`` is on the venv's PATH (the module runs
    where it is not installed, e.g. in a bare checkout)."""
    script = Path(sys.executable).with_name("wagate")
    if not script.exists():
        pytest.skip("not installed by make in this virtualenv")
    assert shutil.which(str(script))
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                            timeout=RUN_S, check=False)
    assert helped.returncode == 0 and "Usage: wagate" in helped.stdout
