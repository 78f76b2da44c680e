"""Schemathesis over the whole OpenAPI, as an admin and as an agent: no answer is a 5xx, and every status an
operation answers is one the OpenAPI documents. Bounded and repeatable: a few derandomized examples per operation."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from engine.db import db
from engine.directory import users
from tests.conftest import make_app

EXAMPLES = 6  # per operation and user; the whole run stays within a few minutes on two cores
BOUNDED = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed_app(tmp_path_factory, request):
    """One app per database for the whole run (each operation on a fresh database would cost more than its
    examples); PostgreSQL refuses what SQLite stores (NUL characters, ids beyond 64 bits), so both are fuzzed."""
    app = make_app(tmp_path_factory.mktemp("fuzz"), request.param)
    app.config["LIVE_STREAM_SECONDS"] = 0  # GET /events reads once and ends (25 s in production)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def fuzz(operation, headers: dict) -> str | None:
    """Run the operation's examples; the first failure found, as text, or None."""
    @given(case=operation.as_strategy())
    @BOUNDED
    def examples(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

    try:
        examples()
    except (Exception, BaseExceptionGroup) as failure:  # a check's failure, named with its operation
        found = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
        return f"{operation.label}: {'; '.join(' '.join(str(f).split()) for f in found)}"
    return None


@pytest.mark.parametrize("username", ["admin", "agent"])
def test_no_5xx_and_only_documented_statuses(fuzzed_app, username):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    headers = {"Authorization": f"Bearer {users.issue_token(users.by_username(username))}"}
    failures = [failure for result in schema.get_all_operations() if (failure := fuzz(result.ok(), headers))]
    assert not failures, "\n".join(failures)
