"""Schema changes go through migrations: upgrading an empty database yields exactly what the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from engine.db import db
from engine.models import ProcessVersion
from tests.conftest import postgres_url
from web import create_app

FIRST_RELEASE = "04c41451dfa7"


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


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_database_of_the_first_release_upgrades_in_place_with_its_data(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path))
    uri = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else postgres_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        if backend == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade(revision=FIRST_RELEASE)
        db.session.execute(text(
            "INSERT INTO process_models (id, key, name, channel, created_at) VALUES (1, 'old', 'Old', 'red', :t)"
            ), {"t": "2026-01-01 00:00:00+00:00"})
        db.session.execute(text(
            "INSERT INTO process_versions (id, model_id, version, bpmn_xml, dmn_xml, forms, comment, deployed_at) "
            "VALUES (1, 1, 1, '<x/>', '[]', '{}', 'first', :t)"), {"t": "2026-01-01 00:00:00+00:00"})
        db.session.commit()
        upgrade()
        version = db.session.get(ProcessVersion, 1)
        assert (version.model.key, version.comment, version.properties, version.called_xml) == ("old", "first", {}, [])
        db.session.remove()
        db.engine.dispose()
