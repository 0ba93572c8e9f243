"""The bare peer: flask-sock's echo example under the same gunicorn gevent worker, no size limit, no checks."""

from flask import Flask
from flask_sock import Sock

app = Flask(__name__)
sock = Sock(app)


@app.get("/healthz")
def healthz():
    return "ok"


@sock.route("/ws")
def echo(ws):
    while True:
        ws.send(ws.receive())
