"""`flask` commands for operators."""

import click
import sqlalchemy as sa
import structlog
from flask import current_app
from flask.cli import with_appcontext

from hearth import backup
from hearth.accounts.admin import set_admin
from hearth.accounts.personal_tokens import delete_ended_tokens
from hearth.accounts.sessions import delete_ended_sessions
from hearth.accounts.users import register_user, reset_password
from hearth.errors import ApiError, DomainError
from hearth.event_log import prune_events
from hearth.extensions import db
from hearth.models import Channel, User
from hearth.validation import display_name as check_display_name
from hearth.validation import password as check_password
from hearth.validation import username as check_username
from hearth.workspaces.files import prune_files

log = structlog.get_logger("hearth.cli")


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
@click.option("--admin", is_flag=True, help="A site admin: adds, deactivates and reactivates accounts at /admin.")
def create_user(username, display_name, password, admin):
    """Create a user who can log in at once (whatever HEARTH_REGISTRATION says)."""
    username = _checked(check_username, username, "username")
    password = _checked(check_password, password, "password")
    display_name = _checked(check_display_name, display_name or username, "display name")
    try:
        user = register_user(username, password, display_name, admin=admin)
    except ApiError as e:
        raise click.ClickException(f"the username {username!r} is taken") from e
    click.echo(f"created user {username} (id {user.id}){', a site admin' if user.admin else ''}")


@click.command("set-admin")
@with_appcontext
@click.argument("username")
@click.option("--off", is_flag=True, help="No longer a site admin (refused for the last one).")
def set_admin_command(username, off):
    """Make someone a site admin, or with --off no longer one."""
    try:
        user = set_admin(username, on=not off)
    except DomainError as e:
        raise click.ClickException(e.message) from e
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    log.info("site_admin_changed", user_id=user.id, admin=user.admin)
    click.echo(f"{user.username} is {'now' if user.admin else 'no longer'} a site admin")


@click.command("reset-password")
@with_appcontext
@click.argument("username")
@click.password_option(help="The new password; prompted for (twice) when not given.")
@click.option("--turn-off-two-step", is_flag=True, help="Also turn two-step sign-in off (a lost phone and codes).")
def reset_password_command(username, password, turn_off_two_step):
    """Set a new password for someone who forgot theirs, and sign them out everywhere (every device and token)."""
    password = _checked(check_password, password, "password")
    user, ended = reset_password(username, password, turn_off_two_step)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    log.info("password_reset", user_id=user.id, sessions_ended=ended)
    click.echo(
        f"new password set for {user.username}; signed out of {ended} device{'s' if ended != 1 else ''} and tokens"
    )


DEMO_PASSWORD = "hearth-demo"


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Two users, a workspace with a channel of messages and a board of cards, to try Hearth out."""
    from hearth.workspaces import boards, cards, members, messages

    names = {"ada": "Ada Lovelace", "grace": "Grace Hopper"}
    if db.session.scalar(sa.select(User).where(User.username.in_(names))):
        raise click.ClickException("the demo users already exist; use a fresh database to seed again")
    ada, grace = (register_user(username, DEMO_PASSWORD, display_name).id for username, display_name in names.items())

    team = members.create_workspace(ada, {"name": "Analytical Engines"})
    members.add_member(ada, team.id, {"username": "grace"})
    general = db.session.scalar(sa.select(Channel).where(Channel.workspace_id == team.id))  # made with it
    for author, body in [
        (ada, "Welcome to Hearth! This channel is live: open it in two windows."),
        (grace, "Found a moth in relay #70. Taping it into the log book."),
        (ada, "Then the board needs a card for it."),
    ]:
        messages.post_message(author, general.id, {"body": body})
    board = boards.state_of(boards.create_board(ada, team.id, {"name": "Roadmap"}))
    todo, doing, done = (column["id"] for column in board["columns"])
    for column, title in [
        (todo, "Debug relay #70"),
        (todo, "Write the notes on Bernoulli numbers"),
        (doing, "Compile the first compiler"),
        (done, "Design the difference engine"),
    ]:
        cards.create_card(ada, board["id"], {"column_id": column, "title": title})
    click.echo(f"seeded: log in as ada or grace with the password {DEMO_PASSWORD!r}")


@click.command("prune")
@with_appcontext
@click.option(
    "--keep-events",
    type=click.IntRange(min=1),
    default=None,
    help="Events kept per topic (default: HEARTH_KEEP_EVENTS, 1000).",
)
def prune(keep_events):
    """Delete events beyond the newest of each topic, sessions and tokens that ended over 30 days ago, and
    uploads never attached to a message after a day.

    Safe while serving: short transactions, and nothing a live client still needs.
    """
    keep = current_app.config["KEEP_EVENTS"] if keep_events is None else keep_events
    if keep < 1:  # the newest event of a topic is what a catching-up socket finds its place by
        raise click.BadParameter(f"HEARTH_KEEP_EVENTS must be 1 or more, not {keep}.")
    events = prune_events(keep)
    tokens = delete_ended_tokens()  # before their sessions, which they point to
    sessions = delete_ended_sessions()
    uploads = prune_files()
    log.info(
        "pruned",
        keep_events=keep,
        events_deleted=events,
        sessions_deleted=sessions,
        tokens_deleted=tokens,
        files_deleted=uploads,
    )


def init_app(app):
    app.cli.add_command(prune)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(set_admin_command)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup.backup)
    app.cli.add_command(backup.restore)
