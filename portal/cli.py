"""Command-line tools: ``flask --app wsgi users create``, ``seed-demo``."""

from __future__ import annotations

import secrets

import click
from flask import Flask

from portal.errors import DomainError
from portal.extensions import db
from portal.security import ROLES


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(seed_demo_command)
    from worker.mail_cli import mail_group

    app.cli.add_command(mail_group)


@click.group("users", help="Manage user accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="Repeat for several roles.",
)
@click.option(
    "--password",
    default=None,
    help="Initial password (asked for when omitted; must be changed at first sign-in).",
)
@click.option("--permanent", is_flag=True, help="Do not force a change at first sign-in.")
def create_user_command(
    email: str, name: str, roles: tuple[str, ...], password: str | None, permanent: bool
) -> None:
    """Create a user (the way to make the first admin in production)."""
    from portal.services import users

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(
            actor=None,
            email=email,
            name=name,
            roles=list(roles),
            password=password,
            must_change_password=not permanent,
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created user {user.email} with roles {', '.join(user.roles)}.")


@click.command("seed-demo")
@click.option(
    "--password", default=None, help="Password for every demo login (default: generated)."
)
@click.option("--force", is_flag=True, help="Seed even if the database already holds users.")
def seed_demo_command(password: str | None, force: bool) -> None:
    """Create the demo company with one login per role."""
    from portal.seed import SeedRefused, seed_demo

    generated = password is None
    password = password or secrets.token_urlsafe(9)
    try:
        ctx = seed_demo(password, force=force)
    except SeedRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo("")
    click.echo("Demo company created. Sign in at the portal with:")
    for role, user in ctx.users.items():
        click.echo(f"  {role:<15} {user.email}")
    click.echo(
        f"  password        {password}"
        + ("   (generated; pass --password or set DEMO_PASSWORD to choose)" if generated else "")
    )
    click.echo("")
