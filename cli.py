"""`flask` commands for operators."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from extensions import db
from models import User
from validation import display_name as check_display_name
from validation import password as check_password
from validation import username as check_username


def _checked(check, value, label):
    value, problem = check(value)
    if problem:
        raise click.BadParameter(f"{label} {problem}")
    return value


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--display-name", help="Shown to others; defaults to the username.")
@click.password_option(help="Prompted for (twice) when not given.")
def create_user(username, display_name, password):
    """Create a user who can log in at once."""
    username = _checked(check_username, username, "username")
    password = _checked(check_password, password, "password")
    display_name = _checked(check_display_name, display_name or username, "display name")
    if db.session.scalar(sa.select(User).where(User.username == username)):
        raise click.ClickException(f"the username {username!r} is taken")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created user {username} (id {user.id})")


def init_app(app):
    app.cli.add_command(create_user)
