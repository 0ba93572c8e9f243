"""Bare upgrades, the floor the checked ones are measured against: no Origin, cookie, JWT or session check.

`sock_app` is flask-sock as it comes (its own reader thread per socket); `socketio_app` is
Flask-SocketIO with a connect handler that accepts everyone. Served like the others:
gunicorn, one gevent worker, websocket transport only.
"""

from flask import Flask
from flask_sock import Sock
from flask_socketio import SocketIO

sock_app = Flask("bare_sock")
sock = Sock(sock_app)


@sock_app.get("/healthz")
def sock_health():
    return {"status": "ok"}


@sock.route("/ws")
def serve(ws):
    while ws.receive() is not None:
        pass


socketio_app = Flask("bare_socketio")
socketio = SocketIO(socketio_app, async_mode="gevent", cors_allowed_origins="*", transports=["websocket"])


@socketio_app.get("/healthz")
def socketio_health():
    return {"status": "ok"}


@socketio.on("connect")
def connect(auth=None):
    return True
