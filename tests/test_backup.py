"""`run.py backup` and `run.py restore`: a restored installation has every ticket, history line, attachment and
customer change of the one backed up; a restore never writes over data."""

import json
import shutil
import tarfile
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

import run
from engine import attachments, customers, demo, tickets
from engine.backup import archive
from engine.db import db
from engine.directory import users
from engine.models import Customer, CustomerChange, Ticket, TicketEvent
from tests.conftest import _admin_engine, postgres_url
from tests.test_tickets import REPORT
from web import create_app

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
PDF = b"%PDF-1.4\n% a signed work order \xe5\xb7\xa5\xe5\x8d\x95\n" + bytes(range(256)) * 40


@pytest.fixture
def places(tmp_path, backend):
    """Two installations' (database URL, instance folder): the one backed up and a new, empty one."""
    if backend == "sqlite":
        yield [(f"sqlite:///{tmp_path / f'{name}.db'}", tmp_path / name) for name in ("source", "target")]
        return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (postgresql-client): the PostgreSQL backup needs them")
    source = postgres_url()
    target = make_url(source).set(database=f"{make_url(source).database}_restored")
    with _admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    with installation(source, tmp_path / "source"):
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    yield [(source, tmp_path / "source"), (target.render_as_string(hide_password=False), tmp_path / "target")]
    with _admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))


@contextmanager
def installation(url: str, instance):
    """An app context on `url` with `instance` as its folder, as `run.py` would build it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    app.instance_path = str(instance)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def cli(command: str, url: str, instance, file, monkeypatch) -> int:
    """`python run.py COMMAND FILE` with DATABASE_URL and KEYDESK_INSTANCE set for that installation."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KEYDESK_INSTANCE", str(instance))
    return run.main([command, str(file)])


def fill() -> dict:
    """A ticket with a comment, an attachment and a customer changed: what a restore must bring back."""
    upgrade()
    demo.load()
    agent = users.by_username("agent")
    customer = db.session.scalar(select(Customer).where(Customer.code == "G0001"))
    ticket = tickets.start_ticket(agent, "red_fault", "Leased line down 专线中断", data=REPORT,
                                  customer_id=customer.id)
    tickets.comment(agent, ticket.id, "Customer called again — 客户再次来电")
    attachments.add(agent, ticket, "work-order.pdf", PDF)
    customers.update(users.by_username("supervisor"), customer.id, {"credit_level": "grey"}, "two bills late")
    return snapshot()


def snapshot() -> dict:
    """Every ticket, history line, attachment (with its bytes) and customer change, as plain values."""
    rows = {
        "tickets": db.session.execute(select(Ticket.id, Ticket.number, Ticket.title, Ticket.status,
                                             Ticket.workflow_state)).all(),
        "history": db.session.execute(select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.at,
                                             TicketEvent.actor_id, TicketEvent.kind, TicketEvent.data)).all(),
        "attachments": [(a.id, a.ticket_id, a.filename, a.sha256, attachments.path_of(a).read_bytes())
                        for a in db.session.scalars(select(attachments.Attachment))],
        "customer_changes": db.session.execute(select(CustomerChange.id, CustomerChange.customer_id,
                                                      CustomerChange.at, CustomerChange.field,
                                                      CustomerChange.old, CustomerChange.new,
                                                      CustomerChange.reason)).all(),
    }
    return {kind: sorted(map(tuple, found)) for kind, found in rows.items()}


@BOTH
def test_a_restore_into_a_new_database_has_every_ticket_history_line_attachment_and_customer_change(
        places, tmp_path, monkeypatch, capsys):
    (source, source_folder), (target, target_folder) = places
    with installation(source, source_folder):
        before = fill()
    assert before["attachments"][0][-1] == PDF and before["customer_changes"] and len(before["history"]) >= 3

    file = tmp_path / "keydesk.backup.tar"
    assert cli("backup", source, source_folder, file, monkeypatch) == 0
    assert cli("restore", target, target_folder, file, monkeypatch) == 0
    assert "restored 1 tickets and 1 attachment files" in capsys.readouterr().out

    with installation(target, target_folder):
        assert snapshot() == before
        tickets.comment(users.by_username("agent"), before["tickets"][0][0], "the restored desk goes on working")


@BOTH
def test_a_restore_refuses_a_database_that_has_tables_and_changes_nothing(places, tmp_path, monkeypatch, capsys):
    (source, source_folder), (target, target_folder) = places
    with installation(source, source_folder):
        fill()
    file = tmp_path / "keydesk.backup.tar"
    assert cli("backup", source, source_folder, file, monkeypatch) == 0
    with installation(source, source_folder):
        before = snapshot()

    assert cli("restore", source, source_folder, file, monkeypatch) == 1
    err = capsys.readouterr().err
    assert "the target database is not empty" in err and "目标数据库不是空的" in err
    with installation(source, source_folder):
        assert snapshot() == before


def test_a_backup_never_writes_over_an_existing_file(tmp_path, monkeypatch, capsys):
    url, folder = f"sqlite:///{tmp_path / 'k.db'}", tmp_path / "k"
    with installation(url, folder):
        upgrade()
    file = tmp_path / "precious.tar"
    file.write_bytes(b"an earlier backup")
    assert cli("backup", url, folder, file, monkeypatch) == 1
    assert "exists already" in capsys.readouterr().err
    assert file.read_bytes() == b"an earlier backup"


def test_a_backup_into_a_folder_that_does_not_exist_says_so(tmp_path, monkeypatch, capsys):
    url, folder = f"sqlite:///{tmp_path / 'k.db'}", tmp_path / "k"
    with installation(url, folder):
        upgrade()
    assert cli("backup", url, folder, tmp_path / "nowhere" / "k.tar", monkeypatch) == 1
    err = capsys.readouterr().err
    assert "there is no folder" in err and "不存在" in err


def rewrite_manifest(file, **changes) -> None:
    """The same archive with its manifest changed, as another KeyDesk release would have written it."""
    with tarfile.open(file) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = {**json.loads(members.pop(archive.MANIFEST)), **changes}
    file.unlink()
    dump = file.parent / "dump"
    dump.write_bytes(members.pop("database.sqlite3"))
    archive.write(file, manifest, dump, "database.sqlite3", [])


@pytest.mark.parametrize(("changes", "english", "chinese"), [
    ({"revision": "a_future_release"}, "the backup has schema revision 'a_future_release', this KeyDesk has",
     "备份的架构版本为 'a_future_release'"),
    ({"database": "postgresql"}, "this backup is of a postgresql database, the target is sqlite",
     "此备份来自 postgresql 数据库"),
    ({"format": "something else"}, "is not a KeyDesk backup", "不是 KeyDesk 备份文件"),
])
def test_a_restore_refuses_an_archive_this_code_cannot_load_in_both_languages(
        tmp_path, monkeypatch, capsys, changes, english, chinese):
    url, folder = f"sqlite:///{tmp_path / 'k.db'}", tmp_path / "k"
    with installation(url, folder):
        upgrade()
    file = tmp_path / "k.tar"
    assert cli("backup", url, folder, file, monkeypatch) == 0
    rewrite_manifest(file, **changes)
    target = tmp_path / "new.db"
    assert cli("restore", f"sqlite:///{target}", tmp_path / "new", file, monkeypatch) == 1
    err = capsys.readouterr().err
    assert english in err and chinese in err
    with installation(f"sqlite:///{target}", tmp_path / "new"):
        assert inspect(db.engine).get_table_names() == []


def test_a_restore_never_writes_over_an_attachment_file_with_other_bytes(tmp_path, monkeypatch, capsys):
    url, folder = f"sqlite:///{tmp_path / 'k.db'}", tmp_path / "k"
    with installation(url, folder):
        stored = fill()["attachments"][0]
        name = db.session.scalar(select(attachments.Attachment.stored_name).where(
            attachments.Attachment.id == stored[0]))
    file = tmp_path / "k.tar"
    assert cli("backup", url, folder, file, monkeypatch) == 0
    clash = tmp_path / "new" / "attachments" / name
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"someone else's file")
    target = tmp_path / "new.db"
    assert cli("restore", f"sqlite:///{target}", tmp_path / "new", file, monkeypatch) == 1
    assert "exists with other content" in capsys.readouterr().err
    assert clash.read_bytes() == b"someone else's file"
    with installation(f"sqlite:///{target}", tmp_path / "new"):
        assert inspect(db.engine).get_table_names() == []
