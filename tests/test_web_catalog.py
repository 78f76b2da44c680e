"""Every text of the staff pages exists in Chinese: the catalog covers all strings the code marks, every named
element of a shipped diagram has a name_zh, every lane a role with a Chinese name, every value a report groups by
is named in Chinese on its page and in the API, and a task shows its Chinese name in the inbox and on its page.
(API errors: test_api_errors_bilingual; the modeller's problems: test_modeler_pages.)"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import etree

from engine import scheduler
from engine.db import db
from engine.directory import users
from engine.models import SEED_ROLES
from tests.process_walk import work
from tests.web_data import red_ticket

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_marked_text_has_a_chinese_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "web/babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "--no-location", "-o", str(template), "."],
                   cwd=ROOT, check=True, capture_output=True)
    marked = {m.id for m in read_po(template.open("rb")) if m.id}
    translated = {m.id: m.string for m in read_po(CATALOG.open("rb"), locale="zh_CN") if m.id}
    missing = sorted(text for text in marked if not translated.get(text))
    assert missing == [], f"add these to {CATALOG.relative_to(ROOT)}: {missing}"


BPMN = ROOT / "bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
# what a reader sees by name: the process, its steps, events, gateways and the labels on its flows (lanes name a role)
SHOWN = ("process", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
         "receiveTask", "task", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
         "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
         "eventBasedGateway", "sequenceFlow")
HAN = re.compile(r"[\u4e00-\u9fff]")


def shipped():
    return sorted(BPMN.glob("*.bpmn"))


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_every_named_element_of_a_shipped_diagram_has_a_chinese_name(path):
    root = etree.parse(str(path)).getroot()
    named = [node for kind in SHOWN for node in root.iter(f"{{{NS['bpmn']}}}{kind}") if node.get("name")]
    untranslated = [f"{etree.QName(node).localname} {node.get('id')} ({node.get('name')})" for node in named
                    if not HAN.search("".join(node.xpath("./bpmn:extensionElements/spiffworkflow:properties/"
                                                         "spiffworkflow:property[@name='name_zh']/@value",
                                                         namespaces=NS)))]
    assert named and untranslated == [], f"give these a name_zh in {path.name}: {untranslated}"


def test_every_lane_of_a_shipped_diagram_is_a_role_with_a_chinese_name():
    lanes = {lane.get("name"): path.name for path in shipped()
             for lane in etree.parse(str(path)).getroot().iter(f"{{{NS['bpmn']}}}lane")}
    unnamed = sorted(f"{role} ({where})" for role, where in lanes.items()
                     if not HAN.search(SEED_ROLES.get(role, ("", ""))[1]))
    assert lanes and unnamed == [], f"these lanes need a role with a Chinese name in SEED_ROLES: {unnamed}"
    assert all(HAN.search(zh) for _name, zh in SEED_ROLES.values())


def speaks_chinese(username: str) -> None:
    users.by_username(username).locale = "zh_CN"
    db.session.commit()


@pytest.fixture
def fault_figures(app, fake_clock):
    """A red fault accepted 11 minutes late and got on site (SLA and step figures), and one still open."""
    late = red_ticket(customer_code="G0004")
    fake_clock.advance(minutes=11)
    scheduler.sweep()
    work(late, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    work(late, "dispatch_on_site", "tech", {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"})
    red_ticket(title="Second fault")
    speaks_chinese("supervisor")


@pytest.mark.parametrize("name", ["dashboard", "sla", "volumes"])
def test_every_grouped_value_of_a_report_is_named_in_chinese(staff, api, fault_figures, name):
    tables = api("get", f"/reports/{name}", "supervisor").json["tables"]
    named = {(column, value): text["label_zh"] for table in tables.values()
             for column, values in table["values"].items() for value, text in values.items()}
    assert named and [cell for cell, zh in named.items() if not HAN.search(zh)] == []
    page = staff("supervisor").get(f"/reports/{'' if name == 'dashboard' else name}").get_data(as_text=True)
    cell = r"<td>(?:<span[^>]*></span>)?\s*{}</td>"
    other = {str(value) for table in tables.values() for row in table["rows"] for column, value in row.items()
             if column not in table["values"]}  # a username (member, assignee) may spell like a role key
    raw = sorted({value for _column, value in named
                  if value not in other and re.search(cell.format(re.escape(value)), page)})
    assert raw == [], f"shown untranslated on the {name} report: {raw}"
    assert all(zh in page for zh in named.values())


def test_the_sla_report_names_channel_process_step_and_role_in_chinese(api, fault_figures):
    values = api("get", "/reports/sla", "supervisor").json["tables"]
    assert values["by_channel"]["values"]["channel"]["red"]["label_zh"] == "红色"
    assert values["by_process"]["values"]["process"]["red_fault"]["label_zh"] == "红色通道 — 故障处理"
    assert values["by_step"]["values"]["step"]["accept_fault"] == {"label": "Accept the fault", "label_zh": "受理故障"}
    assert values["by_role"]["values"]["role"]["agent"]["label_zh"] == "客服坐席"


@pytest.mark.parametrize("username, element, chinese", [("agent", "accept_fault", "受理故障"),
                                                        ("tech", "dispatch_on_site", "派单到场（一级）")])
def test_a_task_of_a_shipped_process_is_named_in_chinese_in_the_inbox_and_on_its_page(staff, username, element,
                                                                                      chinese):
    ticket = red_ticket()
    if element != "accept_fault":
        work(ticket, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    task = next(t for t in ticket.tasks if t.element_id == element and t.state == "open")
    speaks_chinese(username)
    reader = staff(username)
    inbox = reader.get("/inbox?view=queues").get_data(as_text=True)
    page = reader.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "红色通道 — 故障处理" in inbox
    for shown in (inbox, page):
        assert chinese in shown and task.name not in shown
