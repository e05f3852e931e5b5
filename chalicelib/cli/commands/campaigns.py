"""Campaigns: create one from a CSV (uploaded with a progress bar) and watch it run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn

from chalicelib.cli.client import ApiError
from chalicelib.cli.output import out, show, state

app = typer.Typer(name="campaigns", help="Campaigns.", no_args_is_help=True)
FINISHED = ("completed", "canceled")
CHUNK = 64 * 1024
ARRIVAL_TRIES = 10  # the upload's status is asked this many times (a second apart)


class _Counted:
    """A file whose reads move a progress bar (requests streams it with its length)."""

    def __init__(self, file: BinaryIO, size: int, progress: Progress, task: Any) -> None:
        self._file, self.len, self._progress, self._task = file, size, progress, task

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self._progress.update(self._task, advance=len(chunk))
        return chunk


@app.command("create")
def create(ctx: typer.Context, name: str,
           csv: Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True,
                                             help="Recipients: a phone column, and a column "
                                                  "per {{variable}}.")],
           session: Annotated[list[str], typer.Option(
               "--session", help="A session to send from (repeat it to rotate).")],
           text: Annotated[str, typer.Option(help="The message; {{column}} is filled in.")],
           start: Annotated[bool, typer.Option(help="Start it at once.")] = False,
           interval: Annotated[tuple[float, float] | None, typer.Option(
               help="Seconds between two sends: MIN MAX (the gateway's default: 5 15).")]
           = None) -> None:
    """Upload the CSV, create the campaign from it (and start it with --start)."""
    api, as_json = state(ctx).api, state(ctx).json
    upload = api.call("POST", "/campaigns/uploads", {})
    size = csv.stat().st_size
    if size > upload["max_bytes"]:
        raise typer.BadParameter(f"{csv} is over {upload['max_bytes']} bytes")
    with Progress(TextColumn("uploading"), BarColumn(), DownloadColumn(), TaskProgressColumn(),
                  console=out, disable=as_json) as progress, csv.open("rb") as file:
        task = progress.add_task("upload", total=size)
        api.put_file(upload["url"], _Counted(file, size, progress, task),
                     {**upload["headers"], "Content-Length": str(size)})
    preview = _arrived(api, upload["upload_id"])["preview"]
    if not as_json:
        out.print(f"{preview['valid']} recipients ({preview['invalid']} invalid rows, "
                  f"{preview['duplicates']} duplicates)")
    body: dict[str, Any] = {"name": name, "session_ids": session,
                            "upload_id": upload["upload_id"],
                            "message": {"type": "text", "text": text}}
    if interval:
        body["message_interval"] = {"min_s": interval[0], "max_s": interval[1]}
    campaign = api.call("POST", "/campaigns", body)
    if start:
        campaign = api.call("POST", f"/campaigns/{campaign['id']}/start")
    show(ctx, campaign if as_json else {k: campaign[k] for k in ("id", "name", "status")})


def _arrived(api: Any, upload_id: str) -> dict[str, Any]:
    for _ in range(ARRIVAL_TRIES):
        try:
            return api.call("GET", f"/campaigns/uploads/{upload_id}")
        except ApiError as exc:
            if exc.code != "upload_pending":
                raise
        time.sleep(1)
    raise ApiError(0, "upload_pending", "the file did not arrive; try again")


@app.command("list")
def list_campaigns(ctx: typer.Context,
                   limit: Annotated[int, typer.Option(min=1, max=100)] = 20) -> None:
    """The latest campaigns."""
    page = state(ctx).api.call("GET", "/campaigns", params={"limit": limit})
    show(ctx, page["items"], ("id", "name", "status", "progress.percent", "progress.total"))


@app.command("watch")
def watch(ctx: typer.Context, campaign_id: str,
          interval: Annotated[float, typer.Option(min=0.2)] = 2,
          timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")]
          = 24 * 3600) -> None:
    """A progress bar until the campaign completes or is canceled."""
    api, as_json = state(ctx).api, state(ctx).json
    deadline = time.monotonic() + timeout
    with Progress(TextColumn("{task.fields[status]}"), BarColumn(), TaskProgressColumn(),
                  TextColumn("{task.completed}/{task.total} done"), console=out,
                  disable=as_json) as progress:
        task = progress.add_task("campaign", total=None, status="…")
        while True:
            campaign = api.call("GET", f"/campaigns/{campaign_id}")
            counts = campaign["progress"]
            done = counts["total"] - counts["pending"] - counts["queued"]
            progress.update(task, total=counts["total"], completed=done,
                            status=campaign["status"])
            if campaign["status"] in FINISHED:
                break
            if time.monotonic() >= deadline:
                raise ApiError(0, "timeout", f"still {campaign['status']} after {timeout:g} s")
            time.sleep(interval)
    if as_json:
        typer.echo(json.dumps(campaign))
    else:
        out.print(f"{campaign['status']}: " + ", ".join(
            f"{counts[k]} {k}" for k in ("sent", "delivered", "read", "failed", "skipped",
                                         "opted_out") if counts[k]))
