"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

from typing import Annotated

import typer

from chalicelib.cli.output import show, state

app = typer.Typer(name="webhooks", help="Webhooks and their deliveries.", no_args_is_help=True)
DELIVERY_COLUMNS = ("id", "event_type", "status", "origin", "attempt_count", "next_attempt_at")


@app.command("list")
def list_webhooks(ctx: typer.Context) -> None:
    """The tenant's webhook subscriptions."""
    show(ctx, list(state(ctx).api.pages("/webhooks")),
         ("id", "url", "events", "format", "enabled", "session_ids"))


@app.command("deliveries")
def deliveries(ctx: typer.Context, webhook_id: str,
               status: Annotated[str | None, typer.Option(
                   help="pending, succeeded, retrying or failed")] = None,
               limit: Annotated[int, typer.Option(min=1, max=100)] = 20) -> None:
    """A webhook's latest deliveries."""
    page = state(ctx).api.call("GET", f"/webhooks/{webhook_id}/deliveries",
                               params={"status": status, "limit": limit})
    show(ctx, page["items"], DELIVERY_COLUMNS)


@app.command("redeliver")
def redeliver(ctx: typer.Context, webhook_id: str, delivery_id: str) -> None:
    """Deliver one event again (a new delivery)."""
    show(ctx, state(ctx).api.call(
        "POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {}))


@app.command("replay")
def replay(ctx: typer.Context, webhook_id: str,
           since: Annotated[str, typer.Option(help="ISO time, e.g. 2026-12-01T00:00:00Z")],
           until: Annotated[str | None, typer.Option()] = None,
           event_type: Annotated[list[str] | None, typer.Option("--type")] = None) -> None:
    """Deliver the events of a time range again."""
    body: dict[str, object] = {"since": since}
    if until:
        body["until"] = until
    if event_type:
        body["event_types"] = event_type
    show(ctx, state(ctx).api.call("POST", f"/webhooks/{webhook_id}/replay", body))
