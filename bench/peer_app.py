"""The peer: the same Hearth app and checks behind Flask-SocketIO instead of Hearth's socket.

Served by gunicorn's gevent worker, websocket transport only. The connect
handler runs Hearth's own upgrade check (Origin, access cookie, session), and
publish stores through the same domain function before a room emit, so the
two differ only in the socket layer being measured.
"""

from flask import request
from flask_socketio import SocketIO, join_room

from app import create_app
from hearth import workspace
from hearth.accounts.guards import authenticate, origin_allowed
from hearth.errors import DomainError
from hearth.extensions import db

app = create_app()
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins=lambda origin: True, transports=["websocket"])
users = {}  # socket.io sid -> user id


@socketio.on("connect")
def connect(auth=None):
    try:
        if not origin_allowed(request.headers.get("Origin")):
            return False
        authenticate()
        from flask import g

        users[request.sid] = g.user.id
        return True
    except DomainError:
        return False
    finally:
        db.session.remove()


@socketio.on("disconnect")
def disconnect(*args):
    users.pop(request.sid, None)


@socketio.on("subscribe")
def subscribe(topic):
    try:
        workspace.channel_for(users[request.sid], int(topic.split(":", 1)[1]))
        join_room(topic)
        return "subscribed"
    finally:
        db.session.remove()


@socketio.on("publish")
def publish(frame):
    topic = frame["topic"]
    try:
        message, _ = workspace.post_message(users[request.sid], int(topic.split(":", 1)[1]), frame["data"])
        socketio.emit(
            "event",
            {"topic": topic, "seq": message.seq, "event": "message.created", "data": message.to_dict()},
            to=topic,
        )
        return {"id": message.id, "seq": message.seq}
    finally:
        db.session.remove()
