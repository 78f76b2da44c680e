"""Imports over the API on SQLite (the round trip, a re-check at commit and the purge on PostgreSQL too): dry run,
problems, commit, history."""

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from engine import contracts, scheduler
from engine.db import db
from engine.directory import users
from engine.imports import batches
from engine.imports import customers as customer_rows
from engine.models import SEED_ROLES, Branch, Contact, Contract, Customer, CustomerChange, ImportBatch, ImportRow, User

HEADER = ("code,name,kind,tier,industry,branch,account_manager,credit_level,member_card,"
          "contact_name,contact_phone,contact_email")
ROWS = [
    "N0001,Pudong Steel Works,group,A,manufacturing,SH-PD,pudong,red,,Ma Ke,+8613911112222,ma.ke@steel.example",
    "N0002,Li Na,individual,B,,SH-MH,,grey,emerald,,,",
]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def upload(api, kind: str, data: bytes, username: str = "admin", name: str = "customers.csv"):
    return api("post", f"/imports/{kind}", username, data={"file": (io.BytesIO(data), name)},
               content_type="multipart/form-data")


def commit(api, preview, username: str = "admin"):
    return api("post", f"/imports/{preview.json['id']}/commit", username)


def history(code: str) -> list[tuple]:
    customer = db.session.scalar(select(Customer).where(Customer.code == code))
    return [(c.field, c.old, c.new, c.reason) for c in db.session.scalars(
        select(CustomerChange).where(CustomerChange.customer_id == customer.id).order_by(CustomerChange.id))]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_customers_round_trip_new_then_unchanged_then_changed(api):
    first = upload(api, "customers", csv_bytes(HEADER, *ROWS))
    assert first.status_code == 200, first.json
    assert first.json["summary"] == {"new": 2, "changed": 0, "unchanged": 0} and first.json["problems"] == []
    assert db.session.scalar(select(func.count()).where(Customer.code.in_(["N0001", "N0002"]))) == 0  # a dry run
    done = commit(api, first)
    assert done.status_code == 200, done.json
    steel = db.session.scalar(select(Customer).where(Customer.code == "N0001"))
    assert (steel.name, steel.tier, steel.branch.code, steel.account_manager.username) == (
        "Pudong Steel Works", "A", "SH-PD", "pudong")
    assert [(c.name, c.phone) for c in db.session.scalars(select(Contact).where(Contact.customer_id == steel.id))] == [
        ("Ma Ke", "+8613911112222")]
    assert [h[0] for h in history("N0001")] == ["customer", "contact"]

    again = upload(api, "customers", csv_bytes(HEADER, *ROWS))
    assert again.json["summary"] == {"new": 0, "changed": 0, "unchanged": 2}
    assert commit(api, again).status_code == 200
    assert len(history("N0001")) == 2  # re-importing the same file changes nothing

    changed = ROWS[0].replace(",A,", ",A+,").replace("+8613911112222", "+8613911113333")
    third = upload(api, "customers", csv_bytes(HEADER, changed, ROWS[1]), name="exports/2026/update.csv")
    assert third.json["summary"] == {"new": 0, "changed": 1, "unchanged": 1}
    assert commit(api, third).status_code == 200
    assert history("N0001")[2:] == [("tier", "A", "A+", "import update.csv"),
                                    ("phone", "+8613911112222", "+8613911113333", "import update.csv")]


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems(response) -> list[tuple]:
    return [(p["row"], p["column"], p["message"]) for p in response.json["problems"]]


def refusal(response) -> list[tuple]:
    assert response.status_code == 422, response.json
    return [(p["row"], p["column"]) for p in response.json["error"]["details"]]


def customer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Customer))


def test_chinese_headers_in_gb18030_are_read_and_committed(api):
    header = "客户编码,客户名称,客户类型,客户等级,归属机构,联系人,联系人电话"
    data = csv_bytes(header, "N0100,浦东钢铁厂,group,B,SH-PD,王伟,13800001111", encoding="gb18030")
    preview = upload(api, "customers", data)
    assert preview.json["summary"]["new"] == 1 and preview.json["problems"] == []
    assert commit(api, preview).status_code == 200
    customer = db.session.scalar(select(Customer).where(Customer.code == "N0100"))
    assert customer.name == "浦东钢铁厂" and customer.credit_level == "red"
    assert db.session.scalar(select(Contact.name).where(Contact.customer_id == customer.id)) == "王伟"


def test_utf8_with_a_bom_and_a_chinese_name(api):
    data = "\ufeff".encode() + csv_bytes("code,name,kind,tier,branch", "N0101,黄浦医院,group,C,SH")
    assert upload(api, "customers", data).json["summary"]["new"] == 1


def test_xlsx_numbers_dates_and_formulas_stay_text(api):
    data = xlsx_bytes([["code", "name", "kind", "tier", "branch", "contact_name", "contact_phone"],
                       ["N0200", "=HYPERLINK(\"http://evil.example\")", "group", "A", "SH", "Qiu", 13800002222]])
    preview = upload(api, "customers", data, name="c.xlsx")
    assert preview.json["problems"] == [], preview.json
    commit(api, preview)
    customer = db.session.scalar(select(Customer).where(Customer.code == "N0200"))
    assert customer.name == '=HYPERLINK("http://evil.example")'  # the formula's text, never its result
    assert db.session.scalar(select(Contact.phone).where(Contact.customer_id == customer.id)) == "13800002222"


def test_row_problems_name_the_row_and_column_and_block_the_commit(api):
    rows = [
        "N0300,Unknown Branch Co,group,A,,XX,,,,,,",  # row 2
        "N0301,Agent As Manager,group,A,,SH,agent,,,,,",  # row 3: agent is no manager
        "N0302,Minhang Manager,group,A,,SH-MH,pudong,,,,,",  # row 4: pudong does not see Minhang
        "N0303,Bad Tier,group,Z,,SH,,,,,,",  # row 5
        "N0304,First,group,A,,SH,,,,,,",  # row 6
        "N0304,Again,group,A,,SH,,,,,,",  # row 7: duplicate code
        "N0305,Too Many,group,A,,SH,,,,,,,extra",  # row 8: a cell beyond the header
        "N0306,Nobody,group,A,,SH,ghost,,,,,",  # row 9
    ]
    preview = upload(api, "customers", csv_bytes(HEADER, *rows))
    found = problems(preview)
    assert [(row, column) for row, column, _ in found] == [
        (2, "branch"), (3, "account_manager"), (4, "account_manager"), (5, "tier"), (7, "code"), (8, "M"),
        (9, "account_manager")]
    assert found[0][2] == "no branch XX" and "row 6" in found[4][2]
    assert all(p["message_zh"] for p in preview.json["problems"])
    before = customer_count()
    refused = commit(api, preview)
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["row"] == 2
    assert customer_count() == before


def test_staff_import_only_within_their_branches(api):
    rows = ["N0400,Pudong Own,group,A,,SH-PD,pudong,,,,,", "N0401,Minhang Other,group,A,,SH-MH,,,,,,"]
    preview = upload(api, "customers", csv_bytes(HEADER, *rows), username="pudong")
    assert problems(preview) == [(3, "branch", "branch SH-MH is outside your branches")]
    existing = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "G0004,Renamed,group,C,SH-PD"),
                      username="pudong")
    assert [(row, column) for row, column, _ in problems(existing)] == [(2, "code")]  # G0004 is Minhang's


@pytest.mark.parametrize("kind", ["users", "branches"])
def test_users_and_branches_are_for_admins(api, kind):
    refused = upload(api, kind, csv_bytes("code,name,level", "X,Y,city"), username="supervisor")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("data, name, where", [
    (b"%PDF-1.4\n\x00\x01binary", "scan.pdf", (1, None)),  # binary content
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "old.xls", (1, None)),  # the old Excel format
    (b"PK\x03\x04not really a zip", "fake.xlsx", (1, None)),
    ("code,name\nN1,Ab".encode("utf-16"), "utf16.csv", (1, None)),  # UTF-16: neither UTF-8 nor GB18030
    (b"code,name,kind,tier,branch\nN1,\x80\xff,group,A,SH\n", "latin.csv", (1, None)),  # bytes of no encoding
    (b"code,name,kind,tier\nN1,A,group,A\n", "short.csv", (1, "branch")),  # a required column is missing
    (b"code,name,kind,tier,branch,colour\n", "extra.csv", (1, "colour")),  # an unknown column
    (b"", "empty.csv", (1, None)),
])
def test_files_that_cannot_be_read_are_refused_naming_where(api, data, name, where):
    before = customer_count()
    assert where in refusal(upload(api, "customers", data, name=name))
    assert customer_count() == before


def test_a_file_over_20_mb_is_413_with_a_json_error(api):
    data = csv_bytes(HEADER) + b"x" * (20 * 1024 * 1024)
    refused = upload(api, "customers", data)
    assert refused.status_code == 413 and refused.json["error"]["code"] == "request_entity_too_large"


def test_a_file_between_the_apps_16_mb_and_the_imports_20_mb_is_read(api):
    data = csv_bytes(HEADER, "N0600," + "x" * (17 * 1024 * 1024))
    refused = upload(api, "customers", data)  # read, and refused for its content, not its size
    assert refused.status_code == 422 and refusal(refused) == [(2, None)]
    assert "field larger than field limit" in refused.json["error"]["message"]


def test_the_commit_is_refused_when_a_record_changed_since_the_preview(api):
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "G0001,Port Group,group,A+,SH-PD"))
    assert preview.json["summary"]["changed"] == 1
    port = db.session.scalar(select(Customer).where(Customer.code == "G0001"))
    api("patch", f"/customers/{port.id}", "admin", json={"tier": "B", "reason": "renegotiated"})
    refused = commit(api, preview)
    assert refused.status_code == 409 and refused.json["error"]["details"][0]["row"] == 2
    db.session.expire_all()
    assert (port.name, port.tier) == ("Shanghai Port Logistics Group", "B")


def test_a_preview_is_committed_once_and_only_by_whoever_made_it(api):
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0500,Once,group,A,SH"))
    assert commit(api, preview, "supervisor").status_code == 404
    assert commit(api, preview).status_code == 200
    assert commit(api, preview).status_code == 409


def test_branches_with_a_parent_from_an_earlier_row(api):
    data = csv_bytes("code,name,level,parent", "ZJ,Zhejiang Branch,province,HQ", "ZJ-HZ,Hangzhou,city,ZJ",
                     "ZJ-NB,Ningbo,city,NOWHERE", "ZJ-X,Wrong Level,province,ZJ")
    preview = upload(api, "branches", data)
    assert [(row, column) for row, column, _ in problems(preview)] == [(4, "parent"), (5, "parent")]
    fixed = upload(api, "branches", csv_bytes("code,name,level,parent", "ZJ,Zhejiang Branch,province,HQ",
                                              "ZJ-HZ,Hangzhou,city,ZJ", "SH,Shanghai,province,HQ"))
    assert fixed.json["summary"] == {"new": 2, "changed": 1, "unchanged": 0}
    assert commit(api, fixed).status_code == 200
    hangzhou = db.session.scalar(select(Branch).where(Branch.code == "ZJ-HZ"))
    assert hangzhou.parent.code == "ZJ"
    assert db.session.scalar(select(Branch.name).where(Branch.code == "SH")) == "Shanghai"


def test_users_get_a_one_time_password_listed_once(api):
    data = csv_bytes("username,display_name,email,branch,roles", "wang,Wang Fang,wang@desk.example,SH-PD,manager;agent",
                     "li,Li Lei,,SH,auditor")
    preview = upload(api, "users", data)
    assert problems(preview) == [(3, "roles", "unknown roles auditor: one of " + ", ".join(sorted(SEED_ROLES)))]
    good = upload(api, "users", csv_bytes("username,display_name,email,branch,roles",
                                          "wang,Wang Fang,wang@desk.example,SH-PD,manager;agent"))
    done = commit(api, good)
    [issued] = done.json["passwords"]
    assert issued["username"] == "wang" and len(issued["password"]) >= 12
    wang = db.session.scalar(select(User).where(User.username == "wang"))
    assert wang.role_names == {"manager", "agent"} and wang.branch.code == "SH-PD"
    assert issued["password"] not in wang.password_hash
    assert users.authenticate("wang", issued["password"]) == wang
    again = upload(api, "users", csv_bytes("username,display_name,email,branch,roles",
                                           "wang,Wang Fang,wang@desk.example,SH-PD,agent manager"))
    assert again.json["summary"] == {"new": 0, "changed": 0, "unchanged": 1}
    assert commit(api, again).json["passwords"] == []


def test_contracts_new_and_changed_with_history(api):
    header = "number,customer,title,start_date,end_date,amount,status"
    data = csv_bytes(header, "HT-2026-0001,G0002,Data centre links,2026-01-01,2027-12-31,250000,active",
                     "HT-2024-0107,G0001,Leased lines between the port terminals,2024-01-01,,2160000.00,ended",
                     "HT-2026-0002,NOPE,Ghost,2026-01-01,,,", "HT-2026-0003,G0002,Backwards,2026-05-01,2026-01-01,,")
    preview = upload(api, "contracts", data)
    assert [(row, column) for row, column, _ in problems(preview)] == [(4, "customer"), (5, "end_date")]
    good = upload(api, "contracts", csv_bytes(header, *data.decode().splitlines()[1:3]), name="contracts.csv")
    assert good.json["summary"] == {"new": 1, "changed": 1, "unchanged": 0}
    assert commit(api, good).status_code == 200
    ended = db.session.scalar(select(Contract).where(Contract.number == "HT-2024-0107"))
    assert (ended.status, ended.end_date) == ("ended", None)
    assert [h for h in history("G0001") if h[3] == "import contracts.csv"] == [
        ("end_date", str(contracts.today() + timedelta(days=38)), None, "import contracts.csv"),
        ("status", "active", "ended", "import contracts.csv")]
    assert [h[:3] for h in history("G0002") if h[3] == "import contracts.csv"] == [("contract", None, "HT-2026-0001")]


@pytest.mark.parametrize("fmt, lang, first", [("csv", "en", "code"), ("csv", "zh", "客户编码"),
                                               ("xlsx", "zh", "客户编码")])
def test_templates_import_back_as_an_empty_file(api, fmt, lang, first):
    template = api("get", f"/imports/customers/template?format={fmt}&lang={lang}", "agent")
    assert template.status_code == 200
    data = template.data
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(data)).active["A1"].value == first
    else:
        assert data.decode("utf-8-sig").split(",")[0] == first
    assert upload(api, "customers", data, username="agent", name=f"t.{fmt}").json["summary"] == {
        "new": 0, "changed": 0, "unchanged": 0}


def test_imports_are_in_the_openapi_description(api):
    paths = api("get", "/openapi.json").json["paths"]
    assert {"/imports/{kind}", "/imports/{import_id}/commit", "/imports/{kind}/template"} <= set(paths)


@pytest.mark.parametrize("kind, total", [("customers", 7), ("contracts", 5), ("users", 13), ("branches", 4)])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(api, kind, total, fmt):
    exported = api("get", f"/imports/{kind}/export?format={fmt}&lang=zh", "admin")
    assert exported.status_code == 200
    preview = upload(api, kind, exported.data, name=f"{kind}.{fmt}")
    assert preview.json["problems"] == [], preview.json["problems"][:3]
    assert preview.json["summary"] == {"new": 0, "changed": 0, "unchanged": total}


def test_round_trip_export_edit_import_then_reimport_changes_nothing(api):
    exported = api("get", "/imports/customers/export", "pudong").data.decode("utf-8-sig")
    lines = exported.splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["G0001", "G0003", "P0002"]  # only Pudong's
    assert "'+8613911110001" in exported  # the formula guard a spreadsheet needs
    edited = "\n".join([lines[0], lines[1].replace("Shanghai Port Logistics Group", "Shanghai Port Group"),
                        *lines[2:]]).encode()
    preview = upload(api, "customers", edited, username="pudong", name="pudong.csv")
    assert preview.json["summary"] == {"new": 0, "changed": 1, "unchanged": 2}
    assert commit(api, preview, "pudong").status_code == 200
    assert history("G0001")[-1] == ("name", "Shanghai Port Logistics Group", "Shanghai Port Group", "import pudong.csv")
    again = upload(api, "customers", edited, username="pudong", name="pudong.csv")
    assert again.json["summary"] == {"new": 0, "changed": 0, "unchanged": 3}
    before = len(history("G0001"))
    assert commit(api, again, "pudong").status_code == 200
    assert len(history("G0001")) == before


def test_a_move_keeps_the_account_manager_only_where_they_see(api):
    """Once pudong manages G0003, the customer cannot move to Minhang (which pudong does not see) without a new one."""
    moved = upload(api, "customers", csv_bytes("code,name,kind,tier,branch,account_manager",
                                               "G0003,Jiangnan Hospital Alliance,group,B,SH-PD,pudong"))
    assert commit(api, moved).status_code == 200
    away = upload(api, "customers", csv_bytes("code,name,kind,tier,branch",
                                              "G0003,Jiangnan Hospital Alliance,group,B,SH-MH"))
    assert problems(away) == [(2, "branch", "the account manager pudong: pudong does not see branch SH-MH")]


def test_an_existing_branch_keeps_its_level(api):
    preview = upload(api, "branches", csv_bytes("code,name,level,parent", "SH-PD,Pudong,province,HQ"))
    assert [(row, column) for row, column, _ in problems(preview)] == [(2, "level")]


def test_the_commit_is_all_or_nothing(api, monkeypatch):
    """Row 2 is written in the first chunk; row 3's record changed since the preview: row 2 is rolled back too."""
    monkeypatch.setattr(batches, "CHUNK", 1)
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0800,First Co,group,A,SH",
                                                 "G0002,Huadong Bank,group,A,SH"))
    assert preview.json["summary"] == {"new": 1, "changed": 1, "unchanged": 0}
    bank = db.session.scalar(select(Customer).where(Customer.code == "G0002"))
    api("patch", f"/customers/{bank.id}", "admin", json={"industry": "banking", "reason": "reclassified"})
    refused = commit(api, preview)
    assert refused.status_code == 409 and [p["row"] for p in refused.json["error"]["details"]] == [3]
    assert db.session.scalar(select(Customer).where(Customer.code == "N0800")) is None
    assert commit(api, upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0800,First Co,group,A,SH",
                                                          "G0002,Huadong Bank,group,A,SH"))).status_code == 200


def test_staff_import_contracts_only_for_customers_they_see(api):
    data = csv_bytes("number,customer,title,start_date", "HT-2026-0100,G0001,Port fibre,2026-02-01",
                     "HT-2026-0101,G0004,Textile lines,2026-02-01")
    preview = upload(api, "contracts", data, username="pudong")
    assert problems(preview) == [(3, "customer", "no customer G0004")]  # Minhang's, as if it did not exist


def test_a_second_headquarters_is_refused(api):
    """One root: neither a new hq row beside HQ, nor two hq rows in the file of an organisation being set up."""
    preview = upload(api, "branches", csv_bytes("code,name,level,parent", "HQ2,Second HQ,hq,", "NX,North,province,HQ2"))
    found = [(p["row"], p["column"], p["message"], p["message_zh"]) for p in preview.json["problems"]]
    assert found[0][:3] == (2, "parent", "the organisation has one headquarters already (HQ): give the branch a parent")
    assert "HQ" in found[0][3] and [row for row, *_ in found] == [2, 3]  # row 3's parent was refused with it
    assert db.session.scalar(select(func.count()).select_from(Branch).where(Branch.parent_id.is_(None))) == 1


# Between the preview and the commit: each row is checked again as it is written.

def deactivate_branch(api, code: str) -> None:
    assert api("patch", f"/branches/{code}", "admin", json={"active": False}).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_branch_deactivated_since_the_preview_refuses_the_commit(api):
    api("post", "/branches", "admin", json={"code": "SH-JD", "name": "Jiading", "parent": "SH"})
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0900,Early Co,group,A,SH",
                                                 "N0901,Jiading Co,group,A,SH-JD"))
    assert preview.json["problems"] == []
    deactivate_branch(api, "SH-JD")
    refused = commit(api, preview)
    assert refused.status_code == 409
    assert [(p["row"], p["column"], p["message"]) for p in refused.json["error"]["details"]] == [
        (3, "branch", "branch SH-JD is deactivated")]
    assert refused.json["error"]["details"][0]["message_zh"] == "分支机构 SH-JD 已停用"
    assert db.session.scalar(select(func.count()).where(Customer.code.in_(["N0900", "N0901"]))) == 0  # row 2 too


def test_a_manager_deactivated_since_the_preview_refuses_the_commit(api):
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch,account_manager",
                                                 "N0910,Managed Co,group,A,SH-PD,pudong"))
    assert preview.json["problems"] == []
    assert api("patch", "/users/pudong", "admin", json={"active": False}).status_code == 200
    refused = commit(api, preview)
    assert refused.status_code == 409
    assert [(p["row"], p["column"], p["value"]) for p in refused.json["error"]["details"]] == [
        (2, "account_manager", "pudong")]
    assert db.session.scalar(select(Customer).where(Customer.code == "N0910")) is None


def test_a_code_created_since_the_preview_refuses_the_commit(api):
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0920,Twice Co,group,A,SH"))
    assert preview.json["summary"]["new"] == 1
    created = api("post", "/customers", "admin", json={"code": "N0920", "name": "By Hand Co", "kind": "group",
                                                        "tier": "B", "branch": "SH", "reason": "walked in"})
    assert created.status_code == 201, created.json
    refused = commit(api, preview)
    assert refused.status_code == 409
    assert [(p["row"], p["column"], p["message"]) for p in refused.json["error"]["details"]] == [
        (2, "code", "the record changed since the preview")]
    assert db.session.scalar(select(Customer.name).where(Customer.code == "N0920")) == "By Hand Co"


def test_a_role_retired_since_the_preview_refuses_the_commit(api):
    api("post", "/roles", "admin", json={"key": "finance", "name": "finance", "name_zh": "财务"})
    preview = upload(api, "users", csv_bytes("username,branch,roles", "qian,SH,finance"))
    assert preview.json["problems"] == []
    assert api("patch", "/roles/finance", "admin", json={"active": False}).status_code == 200
    refused = commit(api, preview)
    assert refused.status_code == 409 and refused.json["error"]["details"][0]["column"] == "roles"
    assert db.session.scalar(select(User).where(User.username == "qian")) is None


def test_a_deactivated_branch_takes_nothing_new_but_its_records_reimport_unchanged(api):
    api("post", "/branches", "admin", json={"code": "SH-JD", "name": "Jiading", "parent": "SH"})
    assert commit(api, upload(api, "customers", csv_bytes("code,name,kind,tier,branch",
                                                          "N0930,Stays Co,group,A,SH-JD"))).status_code == 200
    deactivate_branch(api, "SH-JD")  # customers do not hold a branch active; open tickets and people do
    again = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0930,Stays Co,group,A,SH-JD",
                                               "N0931,Newcomer Co,group,A,SH-JD"))
    assert problems(again) == [(3, "branch", "branch SH-JD is deactivated")]
    moved_in = upload(api, "users", csv_bytes("username,branch,roles", "minhang,SH-JD,agent"))
    assert problems(moved_in) == [(2, "branch", "branch SH-JD is deactivated")]


# Previews nobody commits expire: their stored rows are dropped, never the data nor the record of the preview.

def stored_rows(preview) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportRow).where(
        ImportRow.import_id == preview.json["id"]))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_stale_preview_is_purged_at_the_next_import_and_cannot_be_committed(api, fake_clock):
    stale = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0940,Forgotten Co,group,A,SH"))
    done = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0941,Committed Co,group,A,SH"))
    assert commit(api, done).status_code == 200
    fake_clock.advance(hours=23, minutes=59)
    upload(api, "contracts", csv_bytes("number,customer,title,start_date"), name="empty.csv")
    assert stored_rows(stale) == 1  # not yet a day old
    fake_clock.advance(minutes=2)
    upload(api, "contracts", csv_bytes("number,customer,title,start_date"), name="empty.csv")
    assert stored_rows(stale) == 0 and stored_rows(done) == 1  # the committed import keeps its rows
    batch = db.session.get(ImportBatch, stale.json["id"])
    assert (batch.file_name, batch.summary, batch.purged_at) == ("customers.csv", stale.json["summary"],
                                                                fake_clock.now())
    refused = commit(api, stale)
    assert refused.status_code == 409 and "older than 24 hours" in refused.json["error"]["message"]
    assert refused.json["error"]["details"][0]["message_zh"] == "预览已超过 24 小时：请重新预览文件"
    assert db.session.scalar(select(Customer).where(Customer.code == "N0940")) is None
    assert db.session.scalar(select(Customer.name).where(Customer.code == "N0941")) == "Committed Co"


def test_the_scheduler_purges_previews_after_the_configured_hours(app, api, fake_clock):
    app.config["IMPORT_PREVIEW_HOURS"] = 2
    stale = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0950,Idle Co,group,A,SH"))
    fake_clock.advance(hours=1)
    scheduler.purge_job(app)
    assert stored_rows(stale) == 1
    fake_clock.advance(hours=1, seconds=1)
    assert commit(api, stale).status_code == 409  # expired, even before any purge ran
    scheduler.purge_job(app)
    assert stored_rows(stale) == 0 and db.session.get(ImportBatch, stale.json["id"]).purged_at == fake_clock.now()


def test_rows_purged_while_a_commit_runs_refuse_it(api, monkeypatch):
    """SQLite takes no row lock: should a purge drop a preview's rows while it is committed, nothing is written."""
    monkeypatch.setattr(batches, "CHUNK", 1)
    preview = upload(api, "customers", csv_bytes("code,name,kind,tier,branch", "N0960,First Co,group,A,SH",
                                                 "N0961,Second Co,group,A,SH"))
    write = customer_rows.write

    def write_then_purge(*args):
        db.session.execute(delete(ImportRow).where(ImportRow.import_id == preview.json["id"]))
        return write(*args)

    monkeypatch.setattr(customer_rows, "write", write_then_purge)
    refused = commit(api, preview)
    assert refused.status_code == 409 and "expired while being committed" in refused.json["error"]["message"]
    assert db.session.scalar(select(func.count()).where(Customer.code.in_(["N0960", "N0961"]))) == 0


def test_imported_users_and_branches_are_in_the_directorys_audit_trail(api):
    header = "username,display_name,branch,roles"
    assert commit(api, upload(api, "users", csv_bytes(header, "zhou,Zhou Min,SH-PD,agent"))).status_code == 200
    assert commit(api, upload(api, "users", csv_bytes(header, "zhou,Zhou Min,SH,agent manager"))).status_code == 200
    trail = api("get", "/directory/changes?kind=user&subject=zhou", "admin").json["changes"]
    assert {(c["actor"], c["field"], c["old"], c["new"]) for c in trail} == {
        ("admin", "username", None, "zhou"), ("admin", "display_name", None, "Zhou Min"),
        ("admin", "branch", None, "SH-PD"), ("admin", "roles", None, "agent"),
        ("admin", "branch", "SH-PD", "SH"), ("admin", "roles", "agent", "agent, manager")}
    assert commit(api, upload(api, "branches", csv_bytes("code,name,level,parent", "ZJ,Zhejiang,province,HQ",
                                                         "SH,Shanghai,province,HQ"))).status_code == 200
    branch_trail = api("get", "/directory/changes?kind=branch", "admin").json["changes"]
    assert {(c["subject"], c["field"], c["old"], c["new"]) for c in branch_trail} == {
        ("ZJ", "code", None, "ZJ"), ("ZJ", "name", None, "Zhejiang"), ("ZJ", "level", None, "province"),
        ("ZJ", "parent", None, "HQ"), ("SH", "name", "Shanghai Branch", "Shanghai")}
