"""Sending, reading messages, and following events."""

from __future__ import annotations

import base64
import json
import mimetypes
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from chalicelib.cli.output import out, show, state

app = typer.Typer(name="messages", help="Messages.", no_args_is_help=True)
events = typer.Typer(name="events", help="The event stream.", no_args_is_help=True)
COLUMNS = ("id", "direction", "chat", "type", "status", "created_at", "text")
MAX_FILE_BYTES = 7 * 1024 * 1024  # inline as base64, within the API's 10 MB body
MAX_TAIL_PAGES = 50  # pages read per poll while catching up


def send(ctx: typer.Context, session_id: str,
         to: Annotated[str, typer.Argument(help="A phone number (E.164) or a JID.")],
         text: Annotated[str | None, typer.Argument(help="The text (the caption, "
                                                    "with --file).")] = None,
         file: Annotated[Path | None, typer.Option(
             exists=True, dir_okay=False, readable=True,
             help="Send this file: an image, video or audio by its type, else a document."
         )] = None) -> None:
    """Send a text, or a file, from a session."""
    body: dict[str, object] = {"session_id": session_id, "to": to}
    if file is None:
        if not text:
            raise typer.BadParameter("give a text or --file")
        body.update(type="text", text=text)
    else:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise typer.BadParameter(f"{file} is over {MAX_FILE_BYTES // 2**20} MB")
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        kind = next((k for k in ("image", "video", "audio") if mime.startswith(k + "/")),
                    "document")
        media = {"base64": base64.b64encode(file.read_bytes()).decode(), "mime_type": mime,
                 "filename": file.name}
        if text:
            media["caption"] = text
        body.update(type=kind, **{kind: media})
    show(ctx, state(ctx).api.call("POST", "/messages", body))


@app.command("get")
def get(ctx: typer.Context, message_id: str) -> None:
    """One message: its status and when each step happened."""
    show(ctx, state(ctx).api.call("GET", f"/messages/{message_id}"))


@app.command("list")
def list_messages(ctx: typer.Context,
                  session: Annotated[str | None, typer.Option(help="Session id.")] = None,
                  chat: Annotated[str | None, typer.Option(
                      help="A phone number or JID (needs --session).")] = None,
                  limit: Annotated[int, typer.Option(min=1, max=100)] = 20) -> None:
    """The latest messages (newest first)."""
    page = state(ctx).api.call("GET", "/messages", params={"session_id": session,
                                                           "chat": chat, "limit": limit})
    show(ctx, page["items"], COLUMNS)


@events.command("tail")
def tail(ctx: typer.Context,
         event_type: Annotated[list[str] | None, typer.Option(
             "--type", help="An event type or prefix like message.* (repeat it).")] = None,
         session: Annotated[str | None, typer.Option(help="Only this session's.")] = None,
         since: Annotated[float, typer.Option(help="Start this many seconds back.")] = 0,
         follow: Annotated[bool, typer.Option(help="Keep following new events.")] = True,
         interval: Annotated[float, typer.Option(min=0.2, help="Seconds between polls.")] = 2,
         count: Annotated[int | None, typer.Option(
             min=1, help="Stop after this many events.")] = None) -> None:
    """Print events as they happen (oldest first), one per line."""
    api, as_json = state(ctx).api, state(ctx).json
    after = _event_id_at(datetime.now(UTC) - timedelta(seconds=since))
    printed = 0
    while True:
        cursor = None
        for _ in range(MAX_TAIL_PAGES):
            page = api.call("GET", "/events", params={
                "after": after if cursor is None else None, "cursor": cursor,
                "types": ",".join(event_type) if event_type else None,
                "session_id": session, "limit": 100})
            for event in page["items"]:
                after = event["id"]
                if as_json:
                    typer.echo(json.dumps(event, ensure_ascii=False))
                else:
                    out.print(f"{event['timestamp']}  [bold]{event['type']}[/]  "
                              f"{event['session_id'] or '-'}  "
                              f"{json.dumps(event['data'], ensure_ascii=False)[:200]}")
                printed += 1
                if count is not None and printed >= count:
                    return
            cursor = page.get("next_cursor")
            if not cursor:
                break
        if not follow:
            return
        time.sleep(interval)


def _event_id_at(moment: datetime) -> str:
    """The smallest event id of that millisecond: events after it are the later ones."""
    from ulid import ULID

    millis = int(moment.timestamp() * 1000)
    return "evt_" + str(ULID.from_bytes(millis.to_bytes(6, "big") + bytes(10)))

