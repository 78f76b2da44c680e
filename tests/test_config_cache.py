"""Per-process answers (engine.config_cache): a change made by this process counts from its next request; a change
made by another process counts within the answers' lifetime. Another process is stood in for by an engine of its
own on the same database: its writes do not reach this engine's answers, as another process's would not."""

import pytest
from sqlalchemy import create_engine, select, text

from engine import config_cache, deployments
from engine.db import db
from engine.directory import branches, users
from engine.models import Branch, ProcessModel, ProcessVersion
from notifications import preferences, rota
from tests.statements import statements_sent

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)


@pytest.fixture
def monotonic(monkeypatch):
    """The cache's clock, moved by hand: ``monotonic.advance(11)``."""
    class Clock:
        at = 1000.0

        def advance(self, seconds: float) -> None:
            self.at += seconds

    moved = Clock()
    monkeypatch.setattr(config_cache, "now", lambda: moved.at)
    return moved


def branch(code: str) -> Branch:
    return db.session.scalar(select(Branch).where(Branch.code == code))


def other_process_runs(sql: str, **params) -> None:
    """``sql`` committed through an engine of its own, as another web or scheduler worker would send it."""
    other = create_engine(db.engine.url)
    try:
        with other.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        other.dispose()


@BOTH
def test_a_revoked_token_is_refused_by_the_next_request_of_the_process_that_revoked_it(client, api, token):
    bearer = {"Authorization": f"Bearer {token('agent')}"}
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    assert api("post", "/users/agent/tokens/revoke", "admin").status_code == 200
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401


@BOTH
def test_another_process_s_revocation_counts_once_the_answer_is_older_than_its_lifetime(client, token, monotonic):
    bearer = {"Authorization": f"Bearer {token('agent')}"}
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    other_process_runs("UPDATE api_tokens SET revoked_at = created_at")
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200  # within its lifetime, the kept answer
    monotonic.advance(config_cache.lifetime() + 1)
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401


@BOTH
def test_a_deactivated_user_s_page_session_ends_at_the_next_page(staff, api):
    agent = staff("agent")
    assert agent.get("/inbox").status_code == 200
    assert api("patch", "/users/agent", "admin", json={"active": False}).status_code == 200
    assert agent.get("/inbox").status_code in (302, 401)


@BOTH
def test_a_moved_branch_counts_at_once_here_and_within_the_lifetime_elsewhere(app, monotonic):
    pudong, minhang = branch("SH-PD").id, branch("SH-MH").id
    assert branches.scope(minhang) == {minhang}
    branch("SH-PD").parent_id = minhang  # this process moves Pudong under Minhang: seen at once
    db.session.commit()
    assert branches.scope(minhang) == {minhang, pudong}
    other_process_runs("UPDATE branches SET parent_id = :province WHERE id = :pudong",
                       province=branch("SH").id, pudong=pudong)
    assert branches.scope(minhang) == {minhang, pudong}
    monotonic.advance(config_cache.lifetime() + 1)
    assert branches.scope(minhang) == {minhang}


def usernames(people) -> list[str]:
    return [person.username for person in people]


@BOTH
def test_a_rota_or_a_channel_choice_counts_at_once_here_and_within_the_lifetime_elsewhere(app, monotonic):
    agent = users.by_username("agent")
    everyone = usernames(rota.on_duty("agent"))
    assert len(everyone) > 1 and preferences.channels_for(agent, "sla_breached") == ["email", "sms"]
    shift = {"username": "agent", "days": list(rota.DAYS), "from": "00:00", "until": "23:59"}
    rota.save(users.by_username("admin"), "agent", [shift])  # this process: the next alert sees it
    assert usernames(rota.on_duty("agent")) == ["agent"]
    other_process_runs("DELETE FROM duty_rotas")
    other_process_runs("INSERT INTO notification_preferences (user_id, channels) VALUES (:id, :channels)",
                       id=agent.id, channels='{"sla_breached": ["sms"]}')
    db.session.rollback()  # a new step
    assert usernames(rota.on_duty("agent")) == ["agent"]  # within the lifetime: the kept roster
    assert preferences.channels_for(agent, "sla_breached") == ["email", "sms"]
    monotonic.advance(config_cache.lifetime() + 1)
    db.session.rollback()
    assert usernames(rota.on_duty("agent")) == everyone
    assert preferences.channels_for(users.by_username("agent"), "sla_breached") == ["sms"]


@BOTH
def test_a_kept_roster_gives_its_people_with_their_roles_without_a_statement(app):
    branch_id = branch("SH-PD").id
    rota.on_duty("agent", branch_id=branch_id)
    db.session.rollback()
    db.session.expunge_all()
    with statements_sent() as sent:
        people = rota.on_duty("agent", branch_id=branch_id)
        roles = [person.role_names for person in people]
    assert people and sent == [] and all("agent" in names for names in roles)


@BOTH
def test_a_kept_user_taken_into_a_session_is_as_stored_until_changed(app):
    kept = users.copy_of(users.by_username("agent"))
    db.session.rollback()
    db.session.expunge_all()
    with statements_sent() as sent:
        user = kept.attached()
        assert kept.attached() is user and user in db.session and user.has_role("agent")
        assert not db.session.dirty and not db.session.new
        db.session.commit()
    assert sent == []
    kept.attached().locale = "zh"
    db.session.commit()
    db.session.expunge_all()
    assert users.by_username("agent").locale == "zh"


@BOTH
def test_a_kept_process_version_comes_without_a_statement_and_its_diagrams_on_first_use(app):
    stored = db.session.scalar(select(ProcessVersion).join(ProcessVersion.model).where(ProcessModel.key == "red_fault"))
    version_id, expected = stored.id, (stored.forms, stored.properties, stored.model.key, stored.bpmn_xml)
    deployments.attached_version(version_id)
    db.session.rollback()
    db.session.expunge_all()
    with statements_sent() as sent:
        version = deployments.attached_version(version_id)
        kept = (version.forms, version.properties, version.model.key)
        assert sent == [] and not db.session.dirty
        assert (*kept, version.bpmn_xml) == expected
    assert len(sent) == 1 and "bpmn_xml" in sent[0]


@BOTH
def test_a_transaction_that_wrote_a_table_keeps_nothing_it_read_from_it(app):
    """Its answers may be uncommitted: another request of this process must not take them meanwhile."""
    pudong, minhang = branch("SH-PD").id, branch("SH-MH").id
    branch("SH-PD").parent_id = minhang
    db.session.flush()  # written, not committed
    assert branches.scope(minhang) == {minhang, pudong}  # this transaction sees its own write...
    assert ("branch_scope", minhang) not in config_cache._answers.get(db.engine, {})  # ...other requests do not
    db.session.rollback()
    assert branches.scope(minhang) == {minhang}  # ...which nobody keeps once it is rolled back


def test_an_answer_read_while_another_thread_committed_a_change_is_not_kept(app):
    def read_while_a_branch_moves():
        config_cache.forget(db.engine, {"branches"})  # as another thread's commit of a branch does meanwhile
        return frozenset({1})

    assert config_cache.cached(("scope", 1), branches.TREE, read_while_a_branch_moves) == {1}
    assert ("scope", 1) not in config_cache._answers.get(db.engine, {})
    assert config_cache.cached(("scope", 1), branches.TREE, lambda: frozenset({1})) == {1}
    assert ("scope", 1) in config_cache._answers[db.engine]


@BOTH
def test_unknown_tokens_are_not_kept(client):
    for n in range(20):
        assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer kd_forged{n}"}).status_code == 401
    kept = config_cache._answers.get(db.engine, {})
    assert not [key for key in kept if key[0] == "token"]


@pytest.mark.parametrize(("statement", "written"), [
    ("SELECT * FROM branches", set()),
    ("  select users.id from users join api_tokens on true", set()),
    ("WITH RECURSIVE t AS (SELECT id FROM branches) SELECT id FROM t", set()),
    ("UPDATE branches SET parent_id = 1", {"branches"}),
    ("INSERT INTO user_roles (user_id, role) VALUES (1, 'agent')", {"user_roles"}),
    ("DELETE FROM message_templates WHERE id = 3", {"message_templates"}),
    ("WITH x AS (INSERT INTO api_tokens (user_id) VALUES (1) RETURNING id) SELECT id FROM x", {"api_tokens"}),
    ("INSERT INTO ticket_events (ticket_id, kind) VALUES (1, 'claimed')", set()),
    ("DROP TABLE sla_policies", {"sla_policies"}),
])
def test_which_watched_tables_a_statement_writes(statement, written):
    assert config_cache.written_tables(statement) == written
