"""Schema changes go through migrations: upgrading an empty database yields exactly what the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from engine.db import db
from tests.conftest import postgres_url
from web import create_app


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrations_build_the_schema_the_models_describe(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path))
    uri = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else postgres_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        if backend == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        upgrade()  # a second run on an up-to-date database is a no-op
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
            assert "alembic_version" in inspect(conn).get_table_names()
        db.engine.dispose()
