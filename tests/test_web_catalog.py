"""Every text of the staff pages exists in Chinese: the catalog covers all strings the code marks, every named
element of a shipped diagram has a name_zh, every lane a role with a Chinese name."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import etree

from engine.models import SEED_ROLES

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
