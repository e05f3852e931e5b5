"""Tenants and users (owners and platform administrators), and dead letters (platform
administrators)."""

from __future__ import annotations

from typing import Annotated

import typer

from chalicelib.cli.output import show, state

tenants = typer.Typer(name="tenants", help="Tenants (platform administrators).",
                      no_args_is_help=True)
users = typer.Typer(name="users", help="A tenant's users.", no_args_is_help=True)
dlq = typer.Typer(name="dlq", help="Dead letters (platform administrators).",
                  no_args_is_help=True)

Tenant = Annotated[str | None, typer.Option("--tenant", help="Tenant id (default: yours).")]
TENANT_COLUMNS = ("id", "name", "created_at")
USER_COLUMNS = ("id", "username", "role", "created_at")


@tenants.command("create")
def create_tenant(ctx: typer.Context, name: str) -> None:
    """Create a tenant."""
    show(ctx, state(ctx).api.call("POST", "/tenants", {"name": name}))


@tenants.command("list")
def list_tenants(ctx: typer.Context) -> None:
    """Every tenant, oldest first."""
    show(ctx, list(state(ctx).api.pages("/tenants")), TENANT_COLUMNS)


def _tenant(ctx: typer.Context, tenant: str | None) -> str:
    return tenant or state(ctx).api.call("GET", "/auth/me")["tenant_id"]


@users.command("create")
def create_user(ctx: typer.Context, username: str,
                password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                                      confirmation_prompt=True)],
                role: Annotated[str, typer.Option(help="member, owner or admin")] = "member",
                tenant: Tenant = None) -> None:
    """Add a user to a tenant."""
    show(ctx, state(ctx).api.call("POST", f"/tenants/{_tenant(ctx, tenant)}/users",
                                  {"username": username, "password": password,
                                   "role": role}))


@users.command("list")
def list_users(ctx: typer.Context, tenant: Tenant = None) -> None:
    """A tenant's users."""
    show(ctx, list(state(ctx).api.pages(f"/tenants/{_tenant(ctx, tenant)}/users")),
         USER_COLUMNS)


@users.command("delete")
def delete_user(ctx: typer.Context, user_id: str, tenant: Tenant = None) -> None:
    """Remove a user (their tokens and API keys stop working)."""
    show(ctx, state(ctx).api.call("DELETE", f"/tenants/{_tenant(ctx, tenant)}/users/{user_id}"))


@users.command("passwd")
def passwd(ctx: typer.Context, user_id: str,
           password: Annotated[str, typer.Option(prompt="New password", hide_input=True,
                                                 confirmation_prompt=True)],
           tenant: Tenant = None) -> None:
    """Set a user's password (their tokens stop working)."""
    show(ctx, state(ctx).api.call(
        "PUT", f"/tenants/{_tenant(ctx, tenant)}/users/{user_id}/password",
        {"new_password": password}), USER_COLUMNS)


@dlq.command("list")
def list_dead_letters(ctx: typer.Context,
                      queue: Annotated[str | None, typer.Option(
                          help="Show this queue's records too.")] = None,
                      limit: int = 20) -> None:
    """Each queue's dead letters (records stay where they are)."""
    answer = state(ctx).api.call("GET", "/admin/dead-letters",
                                 params={"queue": queue, "limit": limit})
    if state(ctx).json:
        show(ctx, answer)
        return
    show(ctx, answer["queues"], ("queue", "dead_letters"))
    if queue:
        show(ctx, answer["items"], ("id", "sent_at", "receive_count", "body"))


@dlq.command("redrive")
def redrive(ctx: typer.Context, queue: str, limit: int = 1000) -> None:
    """Send a queue's dead letters back for its worker to try again."""
    show(ctx, state(ctx).api.call("POST", f"/admin/dead-letters/{queue}/redrive",
                                  {"limit": limit}))
