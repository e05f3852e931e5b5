"""Where the gateway is and which key to use: ``--url``/``--key``, else ``WAGATE_URL`` and
``WAGATE_KEY``, else ``~/.config/wagate/config.toml`` (written by ``wagate login``)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wagate" / "config.toml"


def base_url(url: str) -> str:
    """The gateway's base URL as people write it: a trailing ``/`` or ``/v1`` is dropped."""
    url = url.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


@dataclass(frozen=True)
class Config:
    url: str
    key: str | None


def resolve(url: str | None, key: str | None) -> Config:
    stored: dict[str, str] = {}
    path = config_path()
    if path.is_file():
        with path.open("rb") as file:
            stored = {k: v for k, v in tomllib.load(file).items() if isinstance(v, str)}
    return Config(
        url=base_url(url or os.environ.get("WAGATE_URL") or stored.get("url") or DEFAULT_URL),
        key=key or os.environ.get("WAGATE_KEY") or stored.get("key"))


def save(url: str, key: str) -> Path:
    """Write the config file, readable by its owner only."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(f"url = {_toml(base_url(url))}\nkey = {_toml(key)}\n")
    return path


def _toml(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
