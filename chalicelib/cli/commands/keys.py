"""API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from chalicelib.cli.output import show, state

app = typer.Typer(name="keys", help="API keys.", no_args_is_help=True)


@app.command("create")
def create(ctx: typer.Context, name: str,
           scope: Annotated[list[str], typer.Option(
               "--scope", help="A scope to grant (repeat it), e.g. messages:send.")]) -> None:
    """Create a key; its secret is shown this once."""
    show(ctx, state(ctx).api.call("POST", "/api-keys", {"name": name, "scopes": scope}))


@app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """The tenant's keys (members: their own)."""
    show(ctx, list(state(ctx).api.pages("/api-keys")),
         ("id", "name", "scopes", "last_four", "created_at"))


@app.command("revoke")
def revoke(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key at once."""
    show(ctx, state(ctx).api.call("DELETE", f"/api-keys/{key_id}"))
