"""`flask backup` while people write, and `flask restore` into a fresh instance: every row and every file comes back.

On SQLite and PostgreSQL alike (the module runs once per database). The restore's refusals and its
question are tried on the test app with Click's runner.
"""

import io
import json
import subprocess
import sys
import tarfile
import threading

import pytest
from alembic.script import ScriptDirectory
from servers import ROOT, Hearth
from support import drop_database, new_database, wait_until, workspace_of
from tables import all_rows, column_names, files_under
from wsclient import Person

from hearth.extensions import db

pytestmark = pytest.mark.usefixtures("database_kind")


def flask(env, *args, input=None):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=180,
    )


def some_files(folder):
    (folder / "7" / "ab").mkdir(parents=True)
    (folder / "7" / "ab" / "plan.pdf").write_bytes(bytes(range(256)) * 40)
    (folder / "7" / "notes.txt").write_text("the files directory holds uploads")
    (folder / "thumbs").mkdir()
    (folder / "thumbs" / "1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 1000)


def a_team_at_work(url):
    """What a team leaves in the database: people, sessions, messages edited and deleted, cards moved and deleted."""
    alice, bob = Person(url, "alice"), Person(url, "bob")
    team = workspace_of(alice, bob)
    channel = team.channel["id"]
    for n in range(5):
        alice.create(f"/api/channels/{channel}/messages", {"body": f"hello {n}"})
    edited = bob.create(f"/api/channels/{channel}/messages", {"body": "tpyo"})
    assert bob.api("PATCH", f"/api/messages/{edited['id']}", {"body": "typo"}).status_code == 200
    gone = bob.create(f"/api/channels/{channel}/messages", {"body": "posted in the wrong channel"})
    assert bob.api("DELETE", f"/api/messages/{gone['id']}").status_code == 204
    card = alice.create(f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "Ship"})
    moved = alice.api("PATCH", f"/api/cards/{card['id']}", {"version": card["version"], "column_id": team.columns[1]})
    assert moved.status_code == 200
    doomed = alice.create(f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "Drop"})
    assert alice.api("DELETE", f"/api/cards/{doomed['id']}", {"version": doomed["version"]}).status_code == 204
    alice.create("/auth/tokens", {"name": "deploy-bot"})
    return alice, bob, team


class Writer(threading.Thread):
    """Bob posts messages one after another until told to stop; `acked` holds what the server stored."""

    def __init__(self, bob, channel):
        super().__init__(daemon=True)
        self.bob, self.channel, self.acked, self.done, self.failures = bob, channel, [], threading.Event(), []

    def run(self):
        n = 0
        while not self.done.is_set():
            response = self.bob.api("POST", f"/api/channels/{self.channel}/messages", {"body": f"under load {n}"})
            if response.status_code == 201:
                self.acked.append(response.json()["id"])
            else:
                self.failures.append((response.status_code, response.text))
            n += 1

    def stop(self):
        self.done.set()
        self.join(10)


def test_a_backup_taken_while_people_write_restores_every_row_and_file(database_kind, request, tmp_path):
    source_files, restored_files = tmp_path / "files", tmp_path / "restored-files"
    some_files(source_files)
    source = Hearth(env={"HEARTH_FILE_DIR": str(source_files)}, database=new_database(database_kind, request))
    fresh = Hearth(env={"HEARTH_FILE_DIR": str(restored_files)}, database=new_database(database_kind, request))
    archive = tmp_path / "hearth-backup.tar.gz"
    try:
        source.start()
        alice, bob, team = a_team_at_work(source.url)
        writer = Writer(bob, team.channel["id"])
        writer.start()
        assert wait_until(lambda: len(writer.acked) >= 20, timeout=30)
        made = flask(source.env, "backup", str(archive))
        during = len(writer.acked)
        assert wait_until(lambda: len(writer.acked) >= during + 20, timeout=30)  # still writing after it
        writer.stop()
        assert made.returncode == 0, made.stderr
        assert writer.failures == []
        before = all_rows(source.env["DATABASE_URL"])
        manifest = json.load(tarfile.open(archive).extractfile("manifest.json"))

        restored = flask(fresh.env, "restore", str(archive), "--yes")
        assert restored.returncode == 0, restored.stderr
        after = all_rows(fresh.env["DATABASE_URL"])
    finally:
        source.stop()
        drop_database(database_kind, request, source.env["DATABASE_URL"])

    try:
        assert files_under(restored_files) == files_under(source_files)
        assert (
            manifest["files"] == 3
            and manifest["schema_revision"] == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
        )
        assert {table: len(rows) for table, rows in after.items()} == manifest["row_counts"]

        # the snapshot is one moment of the source: a prefix of the messages and events written under load,
        # with the channel's head at its last message, and every other row exactly as the source has it
        messages = after.pop("messages")
        assert 20 <= len(messages) - (len(before["messages"]) - len(writer.acked)) < len(writer.acked)
        assert messages == before.pop("messages")[: len(messages)]
        events = after.pop("events")
        assert events == before.pop("events")[: len(events)]
        seq = column_names(fresh.env["DATABASE_URL"], "channels").index("seq")
        channels_after, channels_before = after.pop("channels"), before.pop("channels")
        assert [row[:seq] + row[seq + 1 :] for row in channels_after] == [
            row[:seq] + row[seq + 1 :] for row in channels_before
        ]
        assert channels_after[0][seq] == messages[-1][column_names(fresh.env["DATABASE_URL"], "messages").index("seq")]
        for derived in [table for table in after if table.startswith("search_")]:  # SQLite's index of the rows
            after.pop(derived), before.pop(derived)  # above: the restored instance's search is tried below
        assert after == before

        # and the restored instance serves it: people sign in and read the history as it was
        fresh.start()
        alice_again = Person(fresh.url, "alice", register=False).login()
        first_page = alice_again.api("GET", f"/api/channels/{team.channel['id']}/messages?after=0&limit=100").json()
        bodies = [m["body"] for m in first_page]
        assert bodies[:7] == ["hello 0", "hello 1", "hello 2", "hello 3", "hello 4", "typo", "under load 0"]
        for q, found in (("typo", ["typo"]), ("tpyo", []), ("wrong channel", [])):  # nor text before an edit or deleted
            search = alice_again.api("GET", f"/api/workspaces/{team.workspace['id']}/search?q={q}").json()
            assert [hit["message"]["body"] for hit in search["results"]] == found
    finally:
        fresh.stop()
        drop_database(database_kind, request, fresh.env["DATABASE_URL"])


@pytest.fixture
def cli_app(make_app, tmp_path):
    return make_app(FILE_DIR=str(tmp_path / "files"))


def backup_of(app, path):
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def with_manifest(archive, path, **changes):
    """A copy of a backup whose manifest says something else."""
    with tarfile.open(archive) as source, tarfile.open(path, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json":
                body = json.dumps({**json.load(data), **changes}).encode()
                member.size, data = len(body), io.BytesIO(body)
            target.addfile(member, data)
    return path


def message_count(app):
    with app.app_context():
        return db.session.execute(db.text("SELECT count(*) FROM messages")).scalar()


def test_restore_refuses_a_backup_from_a_newer_schema_and_changes_nothing(cli_app, team, auth, tmp_path):
    auth.create(f"/api/channels/{team.channel['id']}/messages", {"body": "kept"})
    archive = backup_of(cli_app, tmp_path / "backup.tar.gz")
    newer = with_manifest(archive, tmp_path / "newer.tar.gz", schema_revision="0099", hearth_version="9.0.0")

    result = cli_app.test_cli_runner().invoke(args=["restore", str(newer), "--yes"])

    assert result.exit_code != 0
    assert "schema revision 0099 (Hearth 9.0.0) is newer than this code knows" in result.output
    assert message_count(cli_app) == 1


def test_restore_says_what_it_replaces_and_asks_first(cli_app, team, auth, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "a.txt").write_text("before")
    archive = backup_of(cli_app, tmp_path / "backup.tar.gz")
    auth.create(f"/api/channels/{team.channel['id']}/messages", {"body": "written after the backup"})
    (files / "b.txt").write_text("after")

    declined = cli_app.test_cli_runner().invoke(args=["restore", str(archive)], input="n\n")

    assert declined.exit_code != 0
    with cli_app.app_context():
        where = str(db.engine.url.database)
    assert where in declined.output and str(files) in declined.output
    assert "messages: 1 rows now, 0 in the backup" in declined.output
    assert "2 files now, 1 in the backup" in declined.output
    assert "Replace them? [y/N]" in declined.output
    assert message_count(cli_app) == 1 and sorted(p.name for p in files.iterdir()) == ["a.txt", "b.txt"]

    accepted = cli_app.test_cli_runner().invoke(args=["restore", str(archive)], input="y\n")

    assert accepted.exit_code == 0, accepted.output
    assert message_count(cli_app) == 0 and files_under(files) == {"a.txt": b"before"}
