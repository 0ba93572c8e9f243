"""The peer: the same Hearth app and checks behind Flask-SocketIO instead of Hearth's socket.

Served by gunicorn's gevent worker, websocket transport only. The connect
handler runs Hearth's own upgrade check (Origin, access cookie, session), and
publish stores through the same domain function before a room emit, so the
two differ only in the socket layer being measured. For the reconnect storm, a
subscribe may carry `since` (answered from the same event log, after joining
the room), messages may be posted over HTTP, and SIGTERM closes every
connection (as Hearth's 1001) so that clients reconnect at once.
"""

from flask import g, request
from flask_socketio import SocketIO, join_room

from app import create_app
from blueprints.guards import auth_required, authenticate, origin_allowed
from hearth.errors import ApiError
from hearth.event_log import events_since
from hearth.extensions import db
from hearth.workspaces import access, messages
from hearth.workspaces.topics import Topic

app = create_app()
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins=lambda origin: True, transports=["websocket"])
users = {}  # socket.io sid -> user id


@socketio.on("connect")
def connect(auth=None):
    try:
        if not origin_allowed(request.headers.get("Origin")):
            return False
        authenticate()

        users[request.sid] = g.user.id
        return True
    except ApiError:
        return False
    finally:
        db.session.remove()


@socketio.on("disconnect")
def disconnect(*args):
    users.pop(request.sid, None)


@socketio.on("subscribe")
def subscribe(frame):
    topic, since = (frame, None) if isinstance(frame, str) else (frame["topic"], frame.get("since"))
    try:
        head = access.channel_for(users[request.sid], Topic.parse(topic).id).seq
        join_room(topic)
        for e in events_since(topic, since) if since is not None else ():
            socketio.emit("event", {"topic": topic, "seq": e.seq, "event": e.kind, "data": e.data}, to=request.sid)
            head = max(head, e.seq)
        return {"seq": head}
    finally:
        db.session.remove()


def post_and_emit(user_id, topic, data):
    message, created = messages.post_message(user_id, Topic.parse(topic).id, data)
    if created:
        socketio.emit(
            "event",
            {"topic": topic, "seq": message.seq, "event": "message.created", "data": message.to_dict()},
            to=topic,
        )
    return {"id": message.id, "seq": message.seq}


@socketio.on("publish")
def publish(frame):
    try:
        return post_and_emit(users[request.sid], frame["topic"], frame["data"])
    finally:
        db.session.remove()


@app.post("/bench/publish/<int:channel_id>")
@auth_required
def publish_over_http(channel_id):
    return post_and_emit(g.user.id, f"chat:{channel_id}", request.get_json()), 201


def close_every_connection(*args, **kwargs):
    """gunicorn.conf.py calls this on SIGTERM: each Engine.IO connection is closed, and its client reconnects."""
    for eio_sid in list(socketio.server.eio.sockets):
        socketio.server.eio.disconnect(eio_sid)


app.extensions["hearth.sockets"].go_away = close_every_connection
