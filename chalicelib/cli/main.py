"""The ``wagate`` command: global options, error handling, and the command families."""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from chalicelib.cli import config
from chalicelib.cli.client import Api, ApiError
from chalicelib.cli.commands import admin, campaigns, keys, messages, sessions, webhooks
from chalicelib.cli.output import State, err, show


class _Group(TyperGroup):
    """Any API error, from any command, ends the program with its message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApiError as exc:
            status = f", HTTP {exc.status}" if exc.status else ""
            err.print(f"[red]error:[/] {exc.message} ({exc.code}{status})")
            raise typer.Exit(1) from exc


app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=False,
                  help="Operate a wagate gateway through its HTTP API.")


@app.callback()
def main(ctx: typer.Context,
         url: Annotated[str | None, typer.Option(help="The gateway's base URL "
                                                 "[env: WAGATE_URL]")] = None,
         key: Annotated[str | None, typer.Option(help="An API key or login token "
                                                 "[env: WAGATE_KEY]")] = None,
         as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
         ) -> None:
    resolved = config.resolve(url, key)
    ctx.obj = State(api=Api(resolved.url, resolved.key), json=as_json)


@app.command()
def login(ctx: typer.Context,
          username: Annotated[str, typer.Option(prompt=True)],
          password: Annotated[str, typer.Option(prompt=True, hide_input=True)]) -> None:
    """Log in with a username and password; the token and URL go to the config file."""
    api: Api = ctx.obj.api
    answer = api.call("POST", "/auth/login", {"username": username, "password": password})
    path = config.save(api.url, answer["token"])
    show(ctx, {"logged_in": username, "url": api.url, "expires_at": answer["expires_at"],
               "config": str(path)})


@app.command()
def whoami(ctx: typer.Context) -> None:
    """Who the key or token belongs to, and its scopes."""
    show(ctx, ctx.obj.api.call("GET", "/auth/me"))


app.command("send")(messages.send)
for family in (admin.tenants, admin.users, keys.app, sessions.app, messages.app,
               messages.events, webhooks.app, campaigns.app, admin.dlq):
    app.add_typer(family)


def run() -> None:
    """The console script's entry point."""
    app(prog_name="wagate")
