"""Sign-in through the operator's directory, against a real OpenLDAP server (slapd) this test starts.

Skipped, saying why, where Debian's slapd is not installed or does not start.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import ldap3
import pytest

from engine.db import db
from engine.directory import roles, signin, user_admin, users

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SUFFIX = "dc=keydesk,dc=example"
ROOT, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
suffix "{suffix}"
rootdn "{root}"
rootpw {password}
directory {folder}/data
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(url: str) -> None:
    """Two people and two groups: li.ming is in finance, zhao.yun in nothing KeyDesk maps."""
    with ldap3.Connection(ldap3.Server(url), ROOT, ROOT_PASSWORD, auto_bind=True) as conn:
        conn.add(SUFFIX, ["dcObject", "organization"], {"o": "KeyDesk", "dc": "keydesk"})
        for unit in ("people", "groups"):
            conn.add(f"ou={unit},{SUFFIX}", ["organizationalUnit"], {"ou": unit})
        people = (("li.ming", "Li Ming", "Directory2026a"), ("zhao.yun", "Zhao Yun", "Directory2026b"))
        for uid, name, password in people:
            conn.add(f"uid={uid},ou=people,{SUFFIX}", ["inetOrgPerson"],
                     {"cn": name, "sn": name.split()[-1], "uid": uid, "userPassword": password})
        for group, member in (("finance", "li.ming"), ("canteen", "zhao.yun")):
            conn.add(f"cn={group},ou=groups,{SUFFIX}", ["groupOfNames"],
                     {"cn": group, "member": f"uid={member},ou=people,{SUFFIX}"})
            assert conn.result["description"] == "success", conn.result


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    """A slapd on a free local port with the people and groups above; its URL."""
    if not Path(SLAPD).exists():
        pytest.skip("Debian's slapd is not installed (apt-get install slapd)")
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "data").mkdir()
    (folder / "slapd.conf").write_text(CONFIG.format(folder=folder, suffix=SUFFIX, root=ROOT, password=ROOT_PASSWORD))
    url = f"ldap://127.0.0.1:{free_port()}"
    server = subprocess.Popen([SLAPD, "-h", f"{url}/", "-f", str(folder / "slapd.conf"), "-d", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(50):
        try:
            seed(url)
            break
        except ldap3.core.exceptions.LDAPSocketOpenError:
            if server.poll() is not None:
                pytest.skip(f"slapd did not start: {server.stderr.read().decode(errors='replace')[-300:]}")
            time.sleep(0.1)
    else:
        server.kill()
        pytest.skip("slapd did not answer within five seconds")
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def ldap_app(app, directory):
    app.config.update(LDAP_URL=directory, LDAP_USER_DN=f"uid={{username}},ou=people,{SUFFIX}",
                      LDAP_GROUP_BASE=f"ou=groups,{SUFFIX}", LDAP_GROUP_ROLES={"finance": "finance"})
    admin = users.by_username("admin")
    roles.create(admin, {"key": "finance", "name": "finance", "name_zh": "财务"})
    for username in ("li.ming", "zhao.yun"):
        created, password = user_admin.create(admin, {"username": username, "display_name": username,
                                                      "branch": "SH", "roles": ["agent"], "sign_in_via": "ldap"})
        assert password is None and not created.must_change_password
    # zhao.yun held the finance role before; the directory says otherwise now
    user_admin.update(admin, "zhao.yun", {"roles": ["agent", "finance"]})
    return app


def test_a_directory_user_signs_in_with_the_directory_password_and_gets_the_mapped_roles(ldap_app):
    user = signin.sign_in("li.ming", "Directory2026a")
    assert user.role_names == {"agent", "finance"}
    assert signin.sign_in("zhao.yun", "Directory2026b").role_names == {"agent"}


@pytest.mark.parametrize("username, password", [("li.ming", "wrong"), ("li.ming", ""), ("zhao.yun", "Directory2026a"),
                                                ("nobody", "Directory2026a")])
def test_a_password_the_directory_refuses_does_not_sign_in(ldap_app, username, password):
    with pytest.raises(signin.WrongCredentials):
        signin.sign_in(username, password)
    assert users.by_username("zhao.yun").role_names == {"agent", "finance"}  # nothing synchronised


def test_local_users_keep_their_local_passwords(ldap_app):
    assert signin.sign_in("agent", "demo").username == "agent"


def test_a_deactivated_directory_user_cannot_sign_in(ldap_app):
    user_admin.update(users.by_username("admin"), "li.ming", {"active": False})
    with pytest.raises(signin.WrongCredentials):
        signin.sign_in("li.ming", "Directory2026a")


def test_an_unreachable_directory_refuses_the_sign_in(ldap_app):
    ldap_app.config["LDAP_URL"] = f"ldap://127.0.0.1:{free_port()}"
    with pytest.raises(signin.WrongCredentials):
        signin.sign_in("li.ming", "Directory2026a")
    db.session.rollback()
