"""The sign-in lock under parallel guessing, and equal hashing work for known and unknown user names."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine.db import db
from engine.directory import signin, users
from engine.directory.signin import SignInEvent

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)


def guess(app, password: str = "guess") -> str:
    """One sign-in attempt in a request of its own: its outcome as the page would show it."""
    with app.app_context():
        try:
            signin.sign_in("agent", password)
            return "signed in"
        except signin.AccountLocked:
            return "locked"
        except signin.WrongCredentials:
            return "wrong"
        finally:
            db.session.remove()


@BOTH
def test_sixty_parallel_wrong_passwords_lock_the_account_after_exactly_five(app, monkeypatch):
    checked = []
    real_check = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda hashed, password: checked.append(password)
                        or real_check(hashed, password))
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = Counter(pool.map(lambda _: guess(app), range(60)))
    assert answers == {"wrong": 4, "locked": 56}
    assert len(checked) == 5  # the other 55 never reached a password check
    outcomes = Counter(db.session.scalars(select(SignInEvent.outcome)))
    assert outcomes == {"failure": 5, "locked": 1, "refused": 55}
    assert guess(app, "demo") == "locked"  # the right password too, while locked


@BOTH
def test_the_lock_ends_after_the_window_and_a_success_resets_the_count(app, fake_clock):
    for _ in range(4):
        assert guess(app) == "wrong"
    assert guess(app, "demo") == "signed in"
    for _ in range(4):
        assert guess(app) == "wrong"
    assert guess(app) == "locked"
    fake_clock.advance(minutes=15, seconds=1)
    assert guess(app, "demo") == "signed in"


def test_an_unknown_user_name_costs_the_same_hashing_as_a_known_one(app, monkeypatch):
    methods = []
    real_check = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda hashed, password: methods.append(
        hashed.split("$")[0]) or real_check(hashed, password))
    assert users.authenticate("agent", "guess") is None
    assert users.authenticate("nobody-by-this-name", "guess") is None
    assert len(methods) == 2 and methods[0] == methods[1] and methods[0].startswith("scrypt:")
