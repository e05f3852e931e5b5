"""Sessions: list, create, lifecycle, and pairing by QR code in the terminal."""

from __future__ import annotations

import io
import json
import time
from typing import Annotated, Any

import typer

from chalicelib.cli.client import Api, ApiError
from chalicelib.cli.output import out, show, state

app = typer.Typer(name="sessions", help="WhatsApp sessions.", no_args_is_help=True)
COLUMNS = ("id", "name", "status", "phone", "health.connected", "engine")
POLL_S = 1.0
GAVE_UP = ("FAILED", "STOPPED")


@app.command("list")
def list_sessions(ctx: typer.Context) -> None:
    """The tenant's sessions and their health."""
    show(ctx, list(state(ctx).api.pages("/sessions")), COLUMNS)


@app.command("create")
def create(ctx: typer.Context, name: str,
           engine: Annotated[str | None, typer.Option(help="sandbox or neonize")] = None,
           start: Annotated[bool, typer.Option(help="Start it at once.")] = True,
           webhook_url: Annotated[str | None, typer.Option()] = None) -> None:
    """Create a session (and start it, so it shows a QR code)."""
    body = {"name": name, "engine": engine, "start": start, "webhook_url": webhook_url}
    show(ctx, state(ctx).api.call("POST", "/sessions",
                                  {k: v for k, v in body.items() if v is not None}))


def _action(verb: str, help_text: str) -> None:
    def command(ctx: typer.Context, session_id: str) -> None:
        show(ctx, state(ctx).api.call("POST", f"/sessions/{session_id}/{verb}", {}))

    command.__doc__ = help_text
    app.command(verb)(command)


_action("start", "Start a session (it connects, or shows a QR code).")
_action("stop", "Stop a session (it stays linked to its phone).")
_action("restart", "Restart a session's connection.")
_action("logout", "Unlink the phone (the session shows a new QR code when started).")


@app.command("delete")
def delete(ctx: typer.Context, session_id: str) -> None:
    """Delete a session (it logs out first)."""
    show(ctx, state(ctx).api.call("DELETE", f"/sessions/{session_id}"))


@app.command("qr")
def qr(ctx: typer.Context, session_id: str,
       timeout: Annotated[float, typer.Option(help="Seconds to wait for the phone.")] = 180,
       ) -> None:
    """Print the QR code and wait, redrawing it as it rotates, until the phone links."""
    api, as_json = state(ctx).api, state(ctx).json
    deadline = time.monotonic() + timeout
    shown: str | None = None
    with out.status("Waiting for the phone to scan the code…") as spinner:
        while time.monotonic() < deadline:
            session = api.call("GET", f"/sessions/{session_id}")
            if session["status"] == "WORKING":
                spinner.stop()
                if as_json:
                    typer.echo(json.dumps(session))
                else:
                    out.print(f"[green]connected[/] as {session['phone'] or '?'}")
                return
            if session["status"] in GAVE_UP:
                raise ApiError(0, "session_" + session["status"].lower(),
                               f"the session is {session['status']}: "
                               f"{session.get('reason') or 'start it again'}")
            code = _current_code(api, session_id)
            if code and code["qr"] != shown:
                shown = code["qr"]
                spinner.stop()
                _draw(code, as_json)
                spinner.start()
            time.sleep(POLL_S)
    raise ApiError(0, "timeout", f"the phone did not link within {timeout:g} s")


def _current_code(api: Api, session_id: str) -> dict[str, Any] | None:
    try:
        return api.call("GET", f"/sessions/{session_id}/qr")
    except ApiError as exc:
        if exc.code == "qr_not_available":  # starting, or between two codes
            return None
        raise


def _draw(code: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"qr": code["qr"], "expires_at": code["expires_at"]}))
        return
    import segno

    picture = io.StringIO()
    segno.make(code["qr"], error="l").terminal(out=picture, compact=True)
    out.print(picture.getvalue(), end="")
    out.print(f"Scan it in WhatsApp > Linked devices (it rotates; next by "
              f"{code['expires_at']}).")
