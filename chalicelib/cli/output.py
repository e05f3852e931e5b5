"""What a command prints: the API's answer as JSON (``--json``), or a table for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from chalicelib.cli.client import Api

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


@dataclass
class State:
    """What every command gets through ``ctx.obj``."""

    api: Api
    json: bool


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def show(ctx: typer.Context, data: Any, columns: Sequence[str] = ()) -> None:
    """``data`` (a dict, or a list of dicts shown with ``columns``) for people or scripts."""
    if state(ctx).json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if isinstance(data, list):
        out.print(table(data, columns))
    elif isinstance(data, dict):
        grid = Table(show_header=False, box=None)
        for key, value in data.items():
            grid.add_row(f"[bold]{key}[/]", _cell(value))
        out.print(grid)
    else:
        out.print(str(data))


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Table:
    grid = Table(*columns)
    for row in rows:
        grid.add_row(*(_cell(_pick(row, c)) for c in columns))
    return grid


def _pick(row: dict[str, Any], column: str) -> Any:
    """``a.b`` reads a nested field."""
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
