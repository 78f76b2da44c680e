"""The import page on SQLite and PostgreSQL: upload, preview with problems in the user's language, commit; CSRF;
kinds by role."""

import io
import re

import pytest
from sqlalchemy import select

from engine.db import db
from engine.directory import users
from engine.models import Customer, User

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
GOOD = b"code,name,kind,tier,branch\nN0700,Page Co,group,B,SH-PD\n"
BAD = b"code,name,kind,tier,branch\nN0701,Lost Co,group,B,MOON\n"


def send(client, data: bytes, kind: str = "customers", name: str = "page.csv"):
    return client.post("/imports", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_upload_preview_and_commit(staff):
    pudong = staff("pudong")
    form = pudong.get("/imports").get_data(as_text=True)
    assert 'value="customers"' in form and 'value="users"' not in form  # users are for admins
    preview = send(pudong, GOOD)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "1 new, 0 changed, 0 unchanged" in html
    assert db.session.scalar(select(Customer).where(Customer.code == "N0700")) is None
    import_id = re.search(r'action="/imports/(\d+)/commit"', html).group(1)
    done = pudong.post(f"/imports/{import_id}/commit")
    assert 'data-testid="import-done"' in done.get_data(as_text=True)
    assert db.session.scalar(select(Customer.name).where(Customer.code == "N0700")) == "Page Co"


def test_problems_are_listed_in_the_users_language_and_nothing_can_be_committed(staff):
    agent = staff("agent")
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    html = send(agent, BAD).get_data(as_text=True)
    assert "没有分支机构 MOON" in html and "<td>归属机构</td>" in html and "import-commit" not in html
    refused = send(agent, b"\xd0\xcf\x11\xe0old excel", name="old.xls")
    assert refused.status_code == 422 and "旧版 Excel .xls 文件" in refused.get_data(as_text=True)


def test_admins_import_users_and_see_the_one_time_password_once(staff):
    admin = staff("admin")
    html = send(admin, b"username,roles\nnewbie,agent\n", kind="users").get_data(as_text=True)
    import_id = re.search(r'action="/imports/(\d+)/commit"', html).group(1)
    done = admin.post(f"/imports/{import_id}/commit").get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", done).group(1)
    assert users.authenticate("newbie", password) == db.session.scalar(select(User).where(User.username == "newbie"))
    assert send(staff("agent"), b"username,roles\nx,agent\n", kind="users").status_code == 403


def test_the_upload_needs_the_csrf_token(staff):
    agent = staff("agent")
    forged = agent.client.post("/imports", data={"kind": "customers", "file": (io.BytesIO(GOOD), "x.csv")},
                               content_type="multipart/form-data")
    assert forged.status_code == 400
    assert db.session.scalar(select(Customer).where(Customer.code == "N0700")) is None


def test_a_template_downloads_in_the_users_language(staff):
    agent = staff("agent")
    assert agent.get("/imports/customers/template.csv").data.decode("utf-8-sig").startswith("code,name")
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    assert agent.get("/imports/customers/template.csv").data.decode("utf-8-sig").startswith("客户编码,客户名称")


def test_an_expired_preview_is_refused_on_the_page_in_the_users_language(staff, fake_clock):
    pudong = staff("pudong")
    users.by_username("pudong").locale = "zh_CN"
    db.session.commit()
    import_id = re.search(r'action="/imports/(\d+)/commit"', send(pudong, GOOD).get_data(as_text=True)).group(1)
    fake_clock.advance(hours=25)
    refused = pudong.post(f"/imports/{import_id}/commit")
    assert refused.status_code == 422 and "预览已超过 24 小时" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Customer).where(Customer.code == "N0700")) is None
