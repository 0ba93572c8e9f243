"""`flask db downgrade`, one revision at a time from head, on a database in use: every row of every table
that remains is kept. On SQLite, dropping a column rebuilds the table; with foreign keys on, dropping the
old `users` table cascaded to every workspace, message and card."""

import io

import pyotp
import sqlalchemy as sa
from flask_migrate import downgrade
from passkey_device import PasskeyDevice
from PIL import Image
from support import workspace_of

from hearth.extensions import db
from hearth.workspaces.search import in_models


def everything(connection):
    """Each table's columns, and its rows by primary key as {column: value}."""
    inspector = sa.inspect(connection)
    tables = {}
    for name in inspector.get_table_names():
        if name == "alembic_version" or not in_models(name, "table", {}):
            continue  # the full-text index's own tables hold what the messages and cards hold
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        columns = [column["name"] for column in inspector.get_columns(name)]
        rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).mappings().all()
        tables[name] = columns, {tuple(row[k] for k in key): dict(row) for row in rows}
    return tables


def in_use(auth, new_client):
    """Rows in every table: people, sessions, a workspace with messages (a reply, a reaction and a mention), a private
    channel with a member and a notification level, a board with cards (one assigned, dated, labelled, commented on
    and moved),
    read markers, a personal access token, a passkey and a challenge, two-step sign-in with its recovery codes,
    an email address with its mailed link, an avatar, an invitation link, a file on a message."""
    auth.register("alice")
    bob_client, bob = new_client()
    bob.register("bob")
    place = workspace_of(auth, bob, channels=("general", "random"))
    for i in range(30):
        auth.create(f"/api/channels/{place.channel['id']}/messages", {"body": f"message {i}", "client_id": f"m{i}"})
    message = auth.create(f"/api/channels/{place.channel['id']}/messages", {"body": "to edit", "client_id": "e"})
    auth.call("PATCH", f"/api/messages/{message['id']}", {"body": "edited"})
    body = {"body": "a reply", "parent_id": message["id"]}
    auth.create(f"/api/channels/{place.channel['id']}/messages", body)
    assert bob.call("PUT", f"/api/messages/{message['id']}/reactions/%F0%9F%91%8D").status_code == 204
    for i in range(8):
        auth.create(f"/api/boards/{place.board['id']}/cards", {"column_id": place.columns[0], "title": f"card {i}"})
    card = auth.create(f"/api/boards/{place.board['id']}/cards", {"column_id": place.columns[1], "title": "planned"})
    bob_id = bob.call("GET", "/api/me").json["id"]
    details = {
        "version": 1,
        "assignees": [bob_id],
        "due_on": "2026-12-24",
        "labels": ["bug"],
        "column_id": place.columns[2],
    }
    assert auth.call("PATCH", f"/api/cards/{card['id']}", details).status_code == 200
    auth.create(f"/api/cards/{card['id']}/comments", {"body": "**soon**"})
    auth.create(f"/api/boards/{place.board['id']}/columns", {"name": "Review"})
    bob.call("POST", f"/api/channels/{place.channel['id']}/read", {"seq": 3})
    hush = auth.create(f"/api/workspaces/{place.workspace['id']}/channels", {"name": "hush", "private": True})
    auth.create(f"/api/channels/{hush['id']}/members", {"username": "bob"})
    auth.create(f"/api/channels/{hush['id']}/messages", {"body": "a word with @bob"})
    assert bob.call("PUT", f"/api/channels/{place.channel['id']}/notify", {"level": "all"}).status_code == 204
    auth.create(f"/api/workspaces/{place.workspace['id']}/invites", {"max_uses": 3})
    auth.create("/auth/tokens", {"name": "bot"})
    creation = auth.call("POST", "/auth/passkeys/register/options").json
    auth.create("/auth/passkeys", {"credential": PasskeyDevice().create(creation), "name": "laptop"})
    auth.call("POST", "/auth/passkeys/register/options")  # a ceremony in flight
    secret = auth.call("POST", "/auth/2fa/setup").json["secret"]
    assert auth.call("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert auth.call("PATCH", "/api/me", {"email": "alice@example.com"}).status_code == 200
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 200)).save(picture, format="PNG")
    uploaded = auth.client.put(
        "/api/me/avatar",
        data={"file": (io.BytesIO(picture.getvalue()), "me.png")},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 200
    shared = auth.client.post(
        f"/api/channels/{place.channel['id']}/files",
        data={"file": (io.BytesIO(picture.getvalue()), "shared.png")},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )
    assert shared.status_code == 201
    body = {"body": "a picture", "file_ids": [shared.json["id"]]}
    auth.create(f"/api/channels/{place.channel['id']}/messages", body)


def test_each_downgrade_keeps_every_row_of_every_table_that_remains(app, auth, new_client):
    in_use(auth, new_client)
    with app.app_context():
        before = everything(db.session.connection())
        db.session.commit()
        assert all(rows for _, rows in before.values()), {name: len(rows) for name, (_, rows) in before.items()}
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.commit()
        db.session.close()
        while revision is not None:
            downgrade(revision="-1")
            after = everything(db.session.connection())
            revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            db.session.close()
            for name, (columns, rows) in after.items():
                kept = {key: {c: row[c] for c in columns} for key, row in before[name][1].items()}
                assert kept == rows, f"{name} lost rows in the downgrade to {revision}"
            before = after
