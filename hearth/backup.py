"""`flask backup` and `flask restore`: one archive with the database, the files directory and a manifest.

The archive is a gzipped tar holding `manifest.json`, the database (`database.sqlite3`, made with
SQLite's online backup API, or `database.dump`, pg_dump's custom format) and `files/` (the
HEARTH_FILE_DIR tree, when there is one). Both databases are copied as one consistent snapshot while
the servers keep writing; restore refuses a schema newer than this code's migrations, and says what it
will replace before it does.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from hearth import __version__
from hearth.extensions import db

FORMAT = 1  # of the archive's layout; a reader refuses a newer one
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
FILES = "files"


def file_dir():
    """Where uploaded files live: HEARTH_FILE_DIR, or instance/files."""
    return Path(current_app.config.get("FILE_DIR") or Path(current_app.instance_path) / "files")


def postgres_binary(name):
    """pg_dump or pg_restore: on PATH, else the newest of the distribution's /usr/lib/postgresql/*/bin.

    pg_dump refuses a server newer than itself, so the newest installed one is the safe choice.
    """
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parent.parent.name.split(".")[0])
    )
    if not versions:
        raise click.ClickException(f"{name} is not installed (Debian/Ubuntu: apt-get install postgresql-client)")
    return str(versions[-1])


def libpq_target(url):
    """The database URL as libpq reads it, and the environment that carries its password (not the argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def row_counts(connection):
    names = sorted(t for t in sa.inspect(connection).get_table_names() if t != "alembic_version")
    return {name: connection.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() for name in names}


def schema_revision(connection):
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def describe_database(url):
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    return f"PostgreSQL database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def known_revisions():
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return {r.revision for r in script.walk_revisions()}, script.get_current_head()


# Backing up


def snapshot_sqlite(url, folder):
    """SQLite's online backup: a consistent copy taken while the servers write (they wait on it for the copy)."""
    target = folder / SQLITE_FILE
    source = sqlite3.connect(url.database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
    try:
        engine = sa.create_engine(f"sqlite:///{target}")
        with engine.connect() as connection:
            return schema_revision(connection), row_counts(connection)
    finally:
        engine.dispose()
        copy.close()


def snapshot_postgres(url, folder):
    """pg_dump of an exported snapshot: the counts and revision in the manifest are read in the very same one."""
    target, env = libpq_target(url)
    with db.engine.connect() as connection:
        connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        revision, counts = schema_revision(connection), row_counts(connection)
        dumped = subprocess.run(
            [
                postgres_binary("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                f"--file={folder / POSTGRES_FILE}",
                f"--dbname={target}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        connection.rollback()
    if dumped.returncode != 0:
        raise click.ClickException(f"pg_dump failed: {dumped.stderr.strip()}")
    return revision, counts


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(path):
    """Write a consistent backup of the database and the files directory to PATH (a .tar.gz), while serving."""
    url = db.engine.url
    files = file_dir()
    with tempfile.TemporaryDirectory(prefix="hearth-backup-") as work:
        folder = Path(work)
        if url.get_backend_name() == "sqlite":
            revision, counts = snapshot_sqlite(url, folder)
        else:
            revision, counts = snapshot_postgres(url, folder)
        manifest = {
            "format": FORMAT,
            "hearth_version": __version__,
            "schema_revision": revision,
            "database": url.get_backend_name(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "row_counts": counts,
            "files": sum(1 for p in files.rglob("*") if p.is_file()) if files.is_dir() else None,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial = path.with_name(path.name + ".partial")  # a crash never leaves a half archive under PATH
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / MANIFEST, MANIFEST)
            for name in (SQLITE_FILE, POSTGRES_FILE):
                if (folder / name).exists():
                    archive.add(folder / name, name)
            if files.is_dir():
                archive.add(files, FILES)
        partial.replace(path)
    click.echo(
        f"backed up {describe_database(url)} at revision {revision} ({sum(counts.values())} rows)"
        + (f" and {manifest['files']} files from {files}" if manifest["files"] is not None else "")
        + f" to {path}"
    )


# Restoring


def read_manifest(archive):
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise click.ClickException("not a Hearth backup: it has no manifest.json")
    manifest = json.load(member)
    if manifest.get("format", 0) > FORMAT:
        raise click.ClickException(
            f"this backup's format ({manifest['format']}) is newer than this Hearth ({__version__}) reads"
        )
    return manifest


def check_restorable(manifest, url):
    revisions, head = known_revisions()
    revision = manifest["schema_revision"]
    if revision not in revisions:
        raise click.ClickException(
            f"the backup's schema revision {revision} (Hearth {manifest['hearth_version']}) is newer than this "
            f"code knows (its newest is {head}): restore it with the release that made it, or a later one"
        )
    if manifest["database"] != url.get_backend_name():
        raise click.ClickException(
            f"the backup holds a {manifest['database']} database and DATABASE_URL names a "
            f"{url.get_backend_name()} one: restore it into the same kind of database"
        )


def current_state(url):
    try:
        with db.engine.connect() as connection:
            return row_counts(connection)
    except sa.exc.OperationalError:
        return {}


def count_files(folder):
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def restore_sqlite(url, extracted):
    """SQLite's backup API again, from the copy into the live file: it replaces every page and leaves a valid WAL."""
    db.engine.dispose()
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(extracted / SQLITE_FILE)
    target = sqlite3.connect(url.database)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def restore_postgres(url, extracted):
    """Empty the schema first: a backup from an older release must not meet a newer release's tables."""
    with db.engine.begin() as connection:
        tables = connection.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        for table in tables.all():
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    db.engine.dispose()
    target, env = libpq_target(url)
    restored = subprocess.run(
        [
            postgres_binary("pg_restore"),
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={target}",
            str(extracted / POSTGRES_FILE),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if restored.returncode != 0:
        raise click.ClickException(f"pg_restore failed: {restored.stderr.strip()}")


def restore_files(extracted, files):
    """The backup's files take the directory's place whole; none in the backup leaves none."""
    if files.exists():
        shutil.rmtree(files)
    if (extracted / FILES).is_dir():
        files.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(extracted / FILES, files)


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace without asking (for scripts).")
def restore(path, yes):
    """Replace the database and the files directory with the backup at PATH. Stop every server first."""
    url = db.engine.url
    files = file_dir()
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory(prefix="hearth-restore-") as work:
        manifest = read_manifest(archive)
        check_restorable(manifest, url)
        now = current_state(url)
        click.echo(f"This replaces {describe_database(url)}:")
        for table in sorted(set(now) | set(manifest["row_counts"])):
            click.echo(f"  {table}: {now.get(table, 0)} rows now, {manifest['row_counts'].get(table, 0)} in the backup")
        click.echo(
            f"and the files directory {files}: {count_files(files)} files now, {manifest['files'] or 0} in the backup."
        )
        click.echo(
            f"The backup was made {manifest['created_at']} by Hearth {manifest['hearth_version']}"
            f" at schema revision {manifest['schema_revision']}."
        )
        if not yes:
            click.confirm("Replace them?", abort=True)
        extracted = Path(work)
        archive.extractall(extracted, filter="data")
        if manifest["database"] == "sqlite":
            restore_sqlite(url, extracted)
        else:
            restore_postgres(url, extracted)
        restore_files(extracted, files)
    _, head = known_revisions()
    click.echo(f"restored {path}")
    if manifest["schema_revision"] != head:
        click.echo(f"the backup's schema is at {manifest['schema_revision']}: run `flask db upgrade` to reach {head}")
