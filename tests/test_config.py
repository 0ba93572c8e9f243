"""Configuration: the environment's names, safe defaults, and refusing to start unsafely."""

import pytest
from support import PASSWORD, settings_for

from app import create_app


def test_production_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("HEARTH_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="HEARTH_SECRET_KEY is required"):
        create_app(settings_for(tmp_path, ENV="production", SECRET_KEY=None))


@pytest.mark.parametrize("weak", ["dev", "changeme", "short-but-not-listed"])
def test_production_refuses_a_weak_secret(tmp_path, weak):
    with pytest.raises(RuntimeError, match="too weak"):
        create_app(settings_for(tmp_path, ENV="production", SECRET_KEY=weak))


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    settings = settings_for(tmp_path, ENV="development", SECRET_KEY=None)
    first = create_app(settings)
    instance = first.instance_path
    second = create_app(settings)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 48
    import os

    mode = os.stat(os.path.join(instance, "secret_key")).st_mode & 0o777
    assert mode == 0o600


def test_environment_variables_use_the_hearth_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_ACCESS_TTL", "42")
    monkeypatch.setenv("HEARTH_SECURE_COOKIES", "false")
    monkeypatch.setenv("HEARTH_ALLOWED_ORIGINS", "https://a.example,https://b.example/")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/hearth")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/1")
    settings = settings_for(tmp_path)
    del settings["SQLALCHEMY_DATABASE_URI"]
    app = create_app(settings)
    assert app.config["ACCESS_TTL"] == 42
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 42
    assert app.config["JWT_COOKIE_SECURE"] is False
    assert app.config["ALLOWED_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/hearth"
    assert app.config["REDIS_URL"] == "redis://cache.internal:6379/1"


def test_without_database_url_sqlite_lives_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = settings_for(tmp_path)
    del settings["SQLALCHEMY_DATABASE_URI"]
    app = create_app(settings)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/hearth.db"


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hearth.extensions import db
    from hearth.workspaces.search import in_models

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": in_models})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "Frank", "--display-name", "Frank F."], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "created user frank" in result.output
    response = app.test_client().post("/auth/login", json={"username": "frank", "password": PASSWORD})
    assert response.json["user"]["display_name"] == "Frank F."
    again = runner.invoke(args=["create-user", "frank"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code != 0 and "taken" in again.output
    weak = runner.invoke(args=["create-user", "gina", "--password", "short"])
    assert weak.exit_code != 0 and "password" in weak.output
