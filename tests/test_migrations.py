"""Schema changes go through migrations: upgrading an empty database yields exactly what the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from engine.db import db
from engine.models import Branch, Customer, ProcessVersion, User
from tests.conftest import postgres_url
from web import create_app

FIRST_RELEASE = "04c41451dfa7"


BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def empty_database(tmp_path, backend, monkeypatch):
    """An app context on a database with no tables at all, as a new installation has."""
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path))
    uri = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else postgres_url()
    with create_app({"SQLALCHEMY_DATABASE_URI": uri}).app_context():
        if backend == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        yield
        db.session.remove()
        db.engine.dispose()


@BOTH
def test_migrations_build_the_schema_the_models_describe(empty_database):
    upgrade()
    upgrade()  # a second run on an up-to-date database is a no-op
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        assert "alembic_version" in inspect(conn).get_table_names()


@BOTH
def test_a_database_of_the_first_release_upgrades_in_place_with_its_data(empty_database):
    upgrade(revision=FIRST_RELEASE)
    when = {"t": "2026-01-01 00:00:00+00:00"}
    db.session.execute(text(
        "INSERT INTO process_models (id, key, name, channel, created_at) VALUES (1, 'old', 'Old', 'red', :t)"), when)
    db.session.execute(text(
        "INSERT INTO process_versions (id, model_id, version, bpmn_xml, dmn_xml, forms, comment, deployed_at) "
        "VALUES (1, 1, 1, '<x/>', '[]', '{}', 'first', :t)"), when)
    db.session.commit()
    upgrade()
    version = db.session.get(ProcessVersion, 1)
    assert (version.model.key, version.comment, version.properties, version.called_xml) == ("old", "first", {}, [])


@BOTH
def test_an_upgrade_places_existing_users_customers_and_tickets_at_headquarters(empty_database):
    """Until an admin places them, everyone keeps seeing what they saw before branches existed."""
    upgrade(revision="a6_web_0001")
    when = {"t": "2026-01-01 00:00:00+00:00"}
    db.session.execute(text("INSERT INTO users (id, username, display_name, password_hash, active, created_at) "
                            "VALUES (1, 'old', 'Old', 'x', true, :t)"), when)
    db.session.execute(text("INSERT INTO customers (id, code, name, kind, tier, credit_level, status, points, "
                            "created_at) VALUES (1, 'C1', 'Old Co.', 'group', 'A', 'red', 'active', 0, :t)"), when)
    db.session.commit()
    upgrade()
    hq = db.session.scalar(select(Branch).where(Branch.code == "HQ"))
    assert (hq.level, hq.parent_id) == ("hq", None)
    assert db.session.get(User, 1).branch_id == hq.id and db.session.get(Customer, 1).branch_id == hq.id
