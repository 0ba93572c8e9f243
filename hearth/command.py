"""The `hearth` command: `flask --app app` under the project's name, whose `--version` names Hearth's release.

Flask's own `--version` is fixed before any app loads and prints Flask's and Werkzeug's versions only;
this one prints Hearth's first. Every `flask` command (db upgrade, backup, restore, prune…) works the same.
"""

import importlib.metadata
import os
import platform

import click
from flask.cli import FlaskGroup

from hearth import __version__


def version_text():
    return (
        f"Hearth {__version__}\n"
        f"Flask {importlib.metadata.version('flask')}\n"
        f"Werkzeug {importlib.metadata.version('werkzeug')}\n"
        f"Python {platform.python_version()}"
    )


def _print_version(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


version_option = click.Option(
    ["--version"],
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show Hearth's version and those of Flask, Werkzeug and Python.",
)


def main():
    os.environ.setdefault("FLASK_APP", "app")
    FlaskGroup(add_version_option=False, params=[version_option], help=__doc__).main(prog_name="hearth")
