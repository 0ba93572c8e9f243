"""Migrations that change data as well as the schema, run on a database holding rows of the release before."""

import json

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from hearth.extensions import db


def test_0004_names_each_events_subject_and_takes_out_deleted_and_edited_cards_old_text(make_app):
    """Cards' and messages' events alike, in a log longer than one page of the migration's reads."""
    app = make_app()
    with app.app_context():
        downgrade(revision="0003")
        run = db.session.execute
        run(
            sa.text(
                "INSERT INTO users (id, username, display_name, password_hash, created_at)"
                " VALUES (1, 'a', 'a', 'x', '2026-01-01')"
            )
        )
        run(sa.text("INSERT INTO workspaces (id, name, owner_id, created_at) VALUES (1, 'w', 1, '2026-01-01')"))
        run(sa.text("INSERT INTO boards (id, workspace_id, name, seq, created_at) VALUES (1, 1, 'b', 4, '2026-01-01')"))
        run(sa.text("INSERT INTO board_columns (id, board_id, name, position) VALUES (1, 1, 'c', 0)"))
        run(
            sa.text(
                "INSERT INTO cards (id, board_id, column_id, title, description, position, version, created_at)"
                " VALUES (2, 1, 1, 'current title', 'current notes', 0, 2, '2026-01-01')"
            )
        )
        card = {"board_id": 1, "column_id": 1, "position": 0, "version": 1}
        old = [
            ("board:1", 1, "card.created", {"id": 1, **card, "title": "deleted secret", "description": "pasted"}),
            ("board:1", 2, "card.created", {"id": 2, **card, "title": "old title", "description": ""}),
            ("board:1", 3, "card.deleted", {"id": 1, "board_id": 1, "column_id": 1}),
            ("board:1", 4, "card.updated", {"id": 2, **card, "title": "current title", "description": "current notes"}),
        ]
        for topic, seq, kind, data in old:
            run(
                sa.text(
                    "INSERT INTO events (topic, seq, kind, data, created_at) VALUES (:t, :s, :k, :d, '2026-01-01')"
                ),
                {"t": topic, "s": seq, "k": kind, "d": json.dumps(data)},
            )
        # a channel's log longer than one page of the migration's reads
        messages = [{"id": i, "channel_id": 1, "body": f"message {i}"} for i in range(1, 2501)]
        run(
            sa.text(
                "INSERT INTO events (topic, seq, kind, data, created_at) VALUES ('chat:1', :s, :k, :d, '2026-01-01')"
            ),
            [{"s": m["id"], "k": "message.created", "d": json.dumps(m)} for m in messages],
        )
        db.session.commit()
        upgrade()
        rows = run(sa.text("SELECT seq, kind, subject_id, data FROM events WHERE topic = 'board:1' ORDER BY seq")).all()
        chat = run(sa.text("SELECT seq, subject_id, data FROM events WHERE topic = 'chat:1' ORDER BY seq")).all()
    assert [(seq, subject, json.loads(data)) for seq, subject, data in chat] == [
        (m["id"], m["id"], m) for m in messages
    ]
    after = [(seq, kind, subject, json.loads(data)) for seq, kind, subject, data in rows]
    assert [(seq, kind, subject) for seq, kind, subject, _ in after] == [
        (1, "card.created", 1),
        (2, "card.created", 2),
        (3, "card.deleted", 1),
        (4, "card.updated", 2),
    ]
    assert after[0][3] == {"id": 1, "board_id": 1, "column_id": 1, "redacted": True}
    assert (after[1][3]["title"], after[1][3]["description"], after[1][3]["version"]) == (
        "current title",
        "current notes",
        1,
    )
    assert "deleted secret" not in str(after) and "old title" not in str(after)
