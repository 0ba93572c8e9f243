"""Flask extensions, created once here and bound to the app in create_app."""

import sqlalchemy as sa
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Rows keep their values after commit: events are built from them without a second SELECT.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
sock = Sock()  # the /ws route's WebSocket layer (blueprints/ws.py); options in hearth.realtime.upgrade


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys (cascading deletes) and lets readers run beside a writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def delete_in_batches(model, *conditions, batch=5000):
    """Delete the rows matching the conditions, `batch` at a time, each batch its own short transaction;
    returns how many went. `flask prune` runs beside live servers: no writer waits on it for long."""
    deleted = 0
    while ids := db.session.scalars(sa.select(model.id).where(*conditions).limit(batch)).all():
        deleted += db.session.execute(sa.delete(model).where(model.id.in_(ids))).rowcount
        db.session.commit()
    return deleted
