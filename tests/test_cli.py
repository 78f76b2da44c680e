"""run.py: the sub-commands a new user and an operator meet."""

from pathlib import Path

import pytest
from sqlalchemy import select

import run
from engine.db import db
from engine.directory import users
from engine.models import User
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from web import create_app, production


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_help_lists_the_sub_commands(capsys):
    with pytest.raises(SystemExit) as done:
        run.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "init-db", "deploy", "token", "demo", "backup", "restore"):
        assert command in out


def test_demo_then_token_then_deploy(env, capsys):
    assert run.main(["demo"]) == 0
    assert "added user supervisor" in capsys.readouterr().out
    assert run.main(["demo"]) == 0
    assert "added" not in capsys.readouterr().out  # loading twice adds nothing

    assert run.main(["token", "manager"]) == 0
    token = capsys.readouterr().out.strip()
    with create_app().app_context():
        assert users.user_for_token(token).username == "manager"
        db.engine.dispose()
    assert run.main(["token", "nobody"]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err

    good, decisions, bad = env / "red_fault.bpmn", env / "red_fault.dmn", env / "broken.bpmn"
    good.write_bytes(RED_FAULT)
    decisions.write_bytes(RED_FAULT_DMN)
    bad.write_bytes(simple(role="Helpdesk"))
    assert run.main(["deploy", str(good)]) == 1  # its decision table is missing
    assert "red_fault_level" in capsys.readouterr().err
    assert run.main(["deploy", str(good), str(decisions)]) == 0
    assert "deployed red_fault version 2" in capsys.readouterr().out
    assert run.main(["deploy", str(bad)]) == 1
    err = capsys.readouterr().err
    lane_line = next(n for n, line in enumerate(bad.read_text().splitlines(), 1) if 'id="lane_1"' in line)
    assert f"line {lane_line}, lane_1: lane name 'Helpdesk' is not a KeyDesk role" in err


def test_deploy_takes_the_decision_tables_given_with_a_diagram(env, capsys):
    assert run.main(["demo"]) == 0
    shipped = Path(run.__file__).resolve().parent / "bpmn"
    diagram, table = shipped / "contract_approval.bpmn", shipped / "contract_approval.authority.dmn"
    assert run.main(["deploy", str(diagram)]) == 1  # its businessRuleTask needs the table
    assert "director_authority" in capsys.readouterr().err
    assert run.main(["deploy", str(diagram), str(table)]) == 0
    assert "deployed contract_approval version 2" in capsys.readouterr().out


@pytest.mark.parametrize("argv, called", [
    ([], ("serve", True, False)),
    (["serve", "--port", "5001"], ("serve", True, False)),
    (["serve", "--no-scheduler"], ("serve", False, False)),
    (["serve", "--demo"], ("serve", True, True)),
    (["worker"], ("worker", None)),
    (["serve", "--workers", "3"], ("production", (3, 4))),
    (["serve", "--workers", "2", "--threads", "8", "--port", "5002"], ("production", (2, 8))),
])
def test_serve_and_worker_choose_what_runs(env, monkeypatch, argv, called):
    seen = []
    monkeypatch.setattr(run, "serve", lambda app, host, port, with_scheduler, demo: seen.append(
        ("serve", with_scheduler, demo)))
    monkeypatch.setattr(run, "worker", lambda app: seen.append(("worker", None)))
    monkeypatch.setattr(run, "serve_production",
                        lambda host, port, workers, threads: seen.append(("production", (workers, threads))) or 0)
    assert run.main(argv) == 0
    assert seen == [called]


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_serve_refuses_a_number_of_workers_below_one(env, capsys, workers):
    with pytest.raises(SystemExit) as done:
        run.main(["serve", "--workers", workers])
    assert done.value.code == 2
    assert f"--workers: must be a whole number of 1 or more, not '{workers}'" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "many"])
def test_serve_refuses_a_wrong_number_of_page_requests_before_it_starts(env, monkeypatch, capsys, value):
    monkeypatch.setenv("KEYDESK_PAGE_REQUESTS", value)
    started = []
    monkeypatch.setattr(production, "prepare_metrics_dir", lambda instance: started.append("metrics"))
    monkeypatch.setattr(production, "Server", lambda *args: started.append("gunicorn"))
    assert run.main(["serve", "--workers", "2"]) == 2
    refusal = capsys.readouterr().err
    assert f"KEYDESK_PAGE_REQUESTS must be a whole number of at least 1, not '{value}'" in refusal
    assert "须为不小于 1 的整数" in refusal and started == []


def test_import_dry_run_then_commit(env, capsys):
    assert run.main(["demo"]) == 0
    capsys.readouterr()
    good, bad = env / "customers.csv", env / "bad.csv"
    good.write_text("code,name,kind,tier,branch,contact_name\nN0900,Cli Co,group,B,SH,Fan Li\n")
    bad.write_text("code,name,kind,tier,branch\nN0901,Lost Co,group,B,MOON\n")
    assert run.main(["import", "customers", str(good)]) == 0
    assert f"customers from {good}: 1 new, 0 changed, 0 unchanged" in capsys.readouterr().out
    assert run.main(["import", "customers", str(bad), "--commit"]) == 1
    assert "row 2, branch: no branch MOON" in capsys.readouterr().err
    assert run.main(["import", "customers", str(good), "--commit"]) == 0
    assert "committed import" in capsys.readouterr().out
    assert run.main(["import", "customers", str(good)]) == 0
    assert "0 new, 0 changed, 1 unchanged" in capsys.readouterr().out
    users_file = env / "users.csv"
    users_file.write_text("username,roles\nfan,agent\n")
    assert run.main(["import", "users", str(users_file), "--commit", "--user", "agent"]) == 1
    assert "importing users needs the role admin" in capsys.readouterr().err
    assert run.main(["import", "users", str(users_file), "--commit"]) == 0
    assert "one-time password for fan:" in capsys.readouterr().out


@pytest.mark.parametrize("demo", [False, True])
def test_serve_loads_the_demo_only_when_asked(env, monkeypatch, capsys, demo):
    app = create_app()
    monkeypatch.setattr(app, "run", lambda **kwargs: None)
    run.serve(app, "127.0.0.1", 5000, with_scheduler=False, demo=demo)
    with app.app_context():
        people = set(db.session.scalars(select(User.username)))
        db.engine.dispose()
    out = capsys.readouterr().out
    if demo:
        assert {"agent", "admin", "supervisor"} <= people and "password demo" in out
    else:
        assert people == set() and "create-admin" in out and "demo" not in out


def test_create_admin_makes_the_first_admin_with_a_one_time_password(env, capsys):
    assert run.main(["create-admin", "chen.admin"]) == 0
    out = capsys.readouterr().out
    password = out.rsplit(": ", 1)[1].strip()
    assert "branch HQ" in out and len(password) >= users.MIN_LENGTH
    with create_app().app_context():
        admin = users.authenticate("chen.admin", password)
        assert admin.has_role("admin") and admin.must_change_password and admin.branch.parent is None
        db.engine.dispose()
    assert run.main(["create-admin", "chen.admin"]) == 1
    assert "exists already" in capsys.readouterr().err
    diagram = env / "simple.bpmn"
    diagram.write_bytes(simple())
    assert run.main(["deploy", "--as", "chen.admin", str(diagram)]) == 0  # the shipped flows, by the first admin
    assert "deployed simple version 1" in capsys.readouterr().out
