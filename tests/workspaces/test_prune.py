"""`flask prune`: the newest events of each topic stay, older ones and long-ended sessions go, and a resume
from before what was kept is told to reload rather than handed a history with a hole in it."""

import json
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from servers import ROOT, wait_until
from support import Auth, workspace_of
from wsclient import Person

from hearth.extensions import db
from hearth.models import AuthSession, Event, PersonalToken, User, utcnow
from hearth.realtime.connection import Connection
from hearth.realtime.wire import event_frame
from hearth.workspaces import boards, cards, channels, members, messages


def seqs(topic):
    return db.session.scalars(sa.select(Event.seq).where(Event.topic == topic).order_by(Event.seq)).all()


def prune(app, *args):
    result = app.test_cli_runner().invoke(args=["prune", *args])
    assert result.exit_code == 0, result.output


def test_prune_keeps_the_newest_events_of_every_topic_and_nothing_else(make_app, auth):
    app = make_app(KEEP_EVENTS=4)
    with app.app_context():
        user = User(username="alice", display_name="Alice")
        user.set_password("long enough pw")
        db.session.add(user)
        db.session.commit()
        team = members.create_workspace(user.id, {"name": "team"})
        busy, quiet = (channels.create_channel(user.id, team.id, {"name": n}) for n in ("busy", "quiet"))
        for n in range(10):
            messages.post_message(user.id, busy.id, {"body": f"busy {n}"})
        for n in range(4):
            messages.post_message(user.id, quiet.id, {"body": f"quiet {n}"})
        board = boards.create_board(user.id, team.id, {"name": "plan"})
        column = boards.board_state(user.id, board.id)["columns"][0]["id"]
        for n in range(6):
            cards.create_card(user.id, board.id, {"column_id": column, "title": f"card {n}"})

        prune(app)  # HEARTH_KEEP_EVENTS
        assert seqs(busy.topic) == [7, 8, 9, 10]
        assert seqs(quiet.topic) == [1, 2, 3, 4]  # at the limit: untouched
        assert seqs(f"board:{board.id}") == [3, 4, 5, 6]

        prune(app, "--keep-events", "2")
        assert seqs(busy.topic) == [9, 10] and seqs(quiet.topic) == [3, 4] and seqs(f"board:{board.id}") == [5, 6]
        # the messages themselves stay: only the replay log is shortened
        assert len(messages.history(user.id, busy.id, {"limit": 100})) == 10
        # new events carry on from the head
        message, _ = messages.post_message(user.id, busy.id, {"body": "after"})
        assert message.seq == 11 and seqs(busy.topic) == [9, 10, 11]


def test_prune_deletes_sessions_that_ended_over_30_days_ago_and_keeps_the_rest(make_app):
    app = make_app()
    client = app.test_client()
    assert client.post("/auth/register", json={"username": "alice", "password": "long enough pw"}).status_code == 201
    now = utcnow()
    long_ago, lately = now - timedelta(days=31), now - timedelta(days=29)
    ended = {
        "revoked 31 days ago": {"revoked_at": long_ago},
        "past its end 31 days ago": {"expires_at": long_ago},
        "refresh token expired 31 days ago": {"refresh_expires_at": long_ago},
    }
    recent = {
        "revoked 29 days ago": {"revoked_at": lately},
        "past its end 29 days ago": {"expires_at": lately},
        "refresh token expired 29 days ago": {"refresh_expires_at": lately},
        "live": {},
    }
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id))
        ids = {}
        for label, ending in {**ended, **recent}.items():
            fields = {
                "expires_at": now + timedelta(days=20),
                "refresh_expires_at": now + timedelta(days=10),
                "created_at": now - timedelta(days=60),
                **ending,
            }
            row = AuthSession(user_id=user_id, user_agent=label, refresh_jti=label, **fields)
            db.session.add(row)
            db.session.flush()
            ids[label] = row.id
        db.session.commit()

    prune(app)
    with app.app_context():
        left = set(db.session.scalars(sa.select(AuthSession.user_agent)))
    assert left.isdisjoint(ended) and set(recent) <= left
    assert client.get("/api/me").status_code == 200  # the signed-in browser never noticed


def test_a_resume_from_before_the_pruned_range_gets_resync_required_over_a_real_socket(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    channel = workspace_of(alice).channel
    topic = f"chat:{channel['id']}"
    for n in range(12):
        assert alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": f"m{n}"}).status_code == 201

    watcher = alice.socket()  # subscribed across the prune: it keeps getting events
    watcher.expect("subscribed", ref=watcher.subscribe(topic, since=12), seq=12)

    pruned = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "prune", "--keep-events", "5"],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(pruned.stderr.strip().splitlines()[-1])  # what cron mails or ships: one JSON line
    assert (report["message"], report["keep_events"], report["events_deleted"]) == ("pruned", 5, 7)

    sock = alice.socket()
    for since in (0, 3, 6):  # each behind the kept range (seq 8–12), though well within 1,000 of the head
        ref = sock.subscribe(topic, since=since)
        sock.expect("resync_required", ref=ref, topic=topic)
    assert sock.quiet(0.3)

    ref = sock.subscribe(topic, since=7)  # the kept range exactly: replayed in full
    assert [e["seq"] for e in sock.events(5)] == [8, 9, 10, 11, 12]
    sock.expect("subscribed", ref=ref, seq=12)

    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "after the prune"})
    for client in (sock, watcher):
        event = client.expect("event", topic=topic, seq=13)
        assert event["data"]["body"] == "after the prune"


class RecordingSocket:
    """Just enough of simple-websocket's Server for a Connection: what is written is kept."""

    def __init__(self):
        self.sock = self
        self.written = []
        self.ws = SimpleNamespace(state=None, send=lambda event: b"")

    def sendall(self, data):
        self.written.append(data)

    def frames(self):
        return [json.loads(frame[2 if frame[1] & 0x7F < 126 else 4 :]) for frame in self.written]


@pytest.mark.parametrize(("keep", "resumable"), [(3, False), (20, True)])
def test_a_live_gap_reaching_before_the_kept_events_asks_the_client_to_reload(make_app, keep, resumable):
    """A socket that lost events on the way (a broker hiccup) fills the gap from the log; where the log no
    longer has them it is told to reload, never handed events with a hole between them."""
    app = make_app()
    with app.app_context():
        user = User(username="alice", display_name="Alice")
        user.set_password("long enough pw")
        db.session.add(user)
        db.session.commit()
        team = members.create_workspace(user.id, {"name": "team"})
        channel = channels.create_channel(user.id, team.id, {"name": "lobby"})
        for n in range(10):
            messages.post_message(user.id, channel.id, {"body": f"m{n}"})
        prune(app, "--keep-events", str(keep))
        topic = channel.topic

    service = app.extensions["hearth.sockets"]
    socket = RecordingSocket()
    conn = Connection(socket, user_id=user.id, session_id=1, key="k")
    service.hub.add(conn)
    sub = service.hub.subscribe(conn, topic)
    sub.last_seq = 2  # it saw seq 1 and 2, then lost 3 to 9 on the way
    sub.release()
    service.hub.deliver_event(topic, 10, event_frame(topic, 10, "message.created", '{"body":"m9"}'))

    expected = 8 if resumable else 1
    assert wait_until(lambda: len(socket.frames()) >= expected, timeout=5)
    frames = socket.frames()
    if resumable:
        assert [f["seq"] for f in frames] == list(range(3, 11))
        assert topic in conn.subscriptions
    else:
        assert frames == [{"type": "resync_required", "topic": topic, "ref": None}]
        assert topic not in conn.subscriptions
    conn.stop_writer()


def test_prune_deletes_tokens_that_ended_over_30_days_ago_and_keeps_live_ones_working(make_app):
    app = make_app()
    client = app.test_client()
    auth = Auth(client)
    assert auth.register().status_code == 201
    secrets = {}
    for name in ("deleted long ago", "deleted lately", "in use"):
        created = auth.call("POST", "/auth/tokens", {"name": name})
        assert created.status_code == 201
        secrets[name] = (created.json["id"], created.json["token"])
    for name in ("deleted long ago", "deleted lately"):
        assert auth.call("DELETE", f"/auth/tokens/{secrets[name][0]}").status_code == 204
    with app.app_context():
        for name, days in (("deleted long ago", 31), ("deleted lately", 29)):
            session_id = db.session.scalar(sa.select(PersonalToken.session_id).where(PersonalToken.name == name))
            db.session.execute(
                sa.update(AuthSession)
                .where(AuthSession.id == session_id)
                .values(revoked_at=utcnow() - timedelta(days=days))
            )
        db.session.commit()

    prune(app)

    with app.app_context():
        assert set(db.session.scalars(sa.select(PersonalToken.name))) == {"deleted lately", "in use"}
    anonymous = app.test_client()

    def me(name):
        return anonymous.get("/api/me", headers={"Authorization": f"Bearer {secrets[name][1]}"})

    assert me("in use").status_code == 200
    assert me("deleted lately").json["error"] == "token_revoked"
    assert me("deleted long ago").json["error"] == "token_invalid"  # unknown now, and still refused
