"""The admins' directory pages on SQLite and PostgreSQL: each operation and refusal as a form post, admins only,
CSRF-protected."""

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.directory import users
from engine.models import Branch, DirectoryChange, Role, User

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
PAGES = ("/admin/branches", "/admin/roles", "/admin/users", "/admin/users/agent", "/admin/audit")


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in (Branch, Role, User, DirectoryChange))


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_are_for_admins_only(staff, path):
    assert staff("supervisor").get(path).status_code == 403
    assert staff("admin").get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/branches", "/admin/roles", "/admin/users", "/admin/users/agent",
                                  "/admin/users/agent/password", "/admin/users/agent/tokens"])
def test_a_non_admin_post_changes_nothing(staff, path):
    before = counts()
    assert staff("supervisor").post(path, {"code": "X1", "key": "x1", "name": "x", "active": "0"}).status_code == 403
    assert counts() == before


def test_a_form_without_the_csrf_token_is_refused(staff):
    admin = staff("admin")
    before = counts()
    response = admin.client.post("/admin/branches", data={"code": "NJ", "name": "Nanjing", "parent": "HQ"})
    assert response.status_code == 400
    assert counts() == before


def test_an_admin_creates_moves_and_deactivates_a_branch(staff):
    admin = staff("admin")
    assert admin.post("/admin/branches", {"code": "SZ", "name": "Suzhou", "parent": "HQ"}).status_code == 302
    assert admin.post("/admin/branches", {"code": "SZ-GY", "name": "Park", "parent": "SH"}).status_code == 302
    moved = admin.post("/admin/branches/SZ-GY", {"name": "Industrial Park", "parent": "SZ", "active": "1"})
    assert moved.status_code == 302
    page = admin.get("/admin/branches").get_data(as_text=True)
    assert 'data-branch="SZ-GY"' in page and "Industrial Park" in page
    assert admin.post("/admin/branches/SZ-GY", {"name": "Industrial Park", "parent": "SZ", "active": "0"}
                      ).status_code == 302
    assert not db.session.scalar(select(Branch.active).where(Branch.code == "SZ-GY"))


def test_a_refused_branch_names_the_field_and_changes_nothing(staff):
    admin = staff("admin")
    before = counts()
    response = admin.post("/admin/branches", {"code": "SH", "name": "Again", "parent": "HQ"})
    assert response.status_code == 422
    assert 'data-error-for="code"' in response.get_data(as_text=True)
    second_root = admin.post("/admin/branches", {"code": "HQ2", "name": "Second HQ", "parent": ""})
    assert second_root.status_code == 422 and "one headquarters already (HQ)" in second_root.get_data(as_text=True)
    assert second_root.get_data(as_text=True).count("(none: headquarters)") == 1  # in HQ's own row, not to create
    busy = admin.post("/admin/branches/SH-PD", {"name": "Pudong City Branch", "parent": "SH", "active": "0"})
    assert busy.status_code == 422 and "pudong" in busy.get_data(as_text=True)
    assert counts() == before


def test_the_refusal_is_shown_in_chinese_to_a_chinese_reader(staff):
    admin = staff("admin")
    admin.post("/profile", {"locale": "zh_CN", "timezone": "Asia/Shanghai", "email": "", "phone": ""})
    page = admin.post("/admin/branches", {"code": "SH", "name": "Again", "parent": "HQ"}).get_data(as_text=True)
    assert "分支机构 SH 已存在" in page


def test_an_admin_adds_renames_and_cannot_retire_a_role_in_use(staff):
    admin = staff("admin")
    assert admin.post("/admin/roles", {"key": "finance", "name": "finance", "name_zh": "财务"}).status_code == 302
    assert admin.post("/admin/roles/finance", {"name": "finance office", "name_zh": "财务部", "active": "1"}
                      ).status_code == 302
    assert db.session.get(Role, "finance").name == "finance office"
    refused = admin.post("/admin/roles/tech", {"name": "maintenance", "name_zh": "维护人员", "active": "0"})
    assert refused.status_code == 422 and "red_fault" in refused.get_data(as_text=True)
    assert db.session.get(Role, "tech").active


def test_an_admin_creates_a_user_and_sees_the_one_time_password_once(staff):
    admin = staff("admin")
    page = admin.post("/admin/users", {"username": "wang.li", "display_name": "Wang Li", "branch": "SH-PD",
                                       "roles": ["agent", "manager"], "locale": "zh_CN", "email": "", "phone": ""})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="one-time-password"' in text
    user = users.by_username("wang.li")
    assert user.role_names == {"agent", "manager"} and user.branch.code == "SH-PD" and user.must_change_password
    assert 'data-testid="one-time-password"' not in admin.get("/admin/users").get_data(as_text=True)


def test_a_user_who_signs_in_through_the_directory_gets_no_one_time_password(staff):
    admin = staff("admin")
    response = admin.post("/admin/users", {"username": "li.ming", "display_name": "Li Ming", "branch": "SH",
                                           "roles": ["agent"], "locale": "en", "sign_in_via": "ldap"})
    assert response.status_code == 302
    user = users.by_username("li.ming")
    assert (user.sign_in_via, user.must_change_password) == ("ldap", False)
    assert 'data-testid="one-time-password"' not in admin.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("change, field", [({"username": "agent"}, "username"), ({"branch": "NOWHERE"}, "branch"),
                                           ({"roles": ["astronaut"]}, "roles")])
def test_a_refused_user_names_the_field_and_changes_nothing(staff, change, field):
    admin = staff("admin")
    before = counts()
    body = {"username": "wang.li", "display_name": "Wang Li", "locale": "en", "roles": ["agent"], **change}
    response = admin.post("/admin/users", body)
    assert response.status_code == 422 and f'data-error-for="{field}"' in response.get_data(as_text=True)
    assert counts() == before


def test_an_admin_deactivates_a_user_and_the_audit_page_shows_it(staff):
    admin = staff("admin")
    form = {"display_name": "Feng Yan", "email": "", "phone": "", "branch": "SH-MH", "locale": "en",
            "roles": ["agent"], "active": "0"}
    assert admin.post("/admin/users/minhang", form).status_code == 302
    assert not users.by_username("minhang").active
    audit = admin.get("/admin/audit?kind=user&subject=minhang").get_data(as_text=True)
    assert "active" in audit and "True" in audit and "False" in audit


def test_an_admin_resets_a_password_and_revokes_tokens(staff):
    admin = staff("admin")
    users.issue_token(users.by_username("tech"))
    page = admin.post("/admin/users/tech/password").get_data(as_text=True)
    assert 'data-testid="one-time-password"' in page and users.by_username("tech").must_change_password
    assert admin.post("/admin/users/tech/tokens").status_code == 302
    assert "1 API token(s) revoked" in admin.get("/admin/users/tech").get_data(as_text=True)


def test_pages_name_roles_as_the_roles_table_says(staff):
    staff("admin").post("/admin/roles/agent", {"name": "front desk", "name_zh": "前台", "active": "1"})
    assert "front desk" in staff("agent").get("/profile").get_data(as_text=True)
