"""Every shipped diagram validates, its lanes are roles, each human step has a bilingual form, demo deploys it."""

import pytest
from lxml import etree

from engine import deployments
from engine.diagrams import NS, process_properties
from engine.forms import files as form_files
from engine.models import SEED_ROLES
from tests.process_library import BPMN_DIR, diagram, layout_problems, problems

SHIPPED = sorted(path.stem for path in BPMN_DIR.glob("*.bpmn"))
SHIPPED_FORMS = form_files.shipped()


def forms_named(root) -> dict[str, str | None]:
    """Element id → the form its `form` property names, for the start events and user tasks."""
    return {element.get("id"): process_properties(element).get("form")
            for tag in ("startEvent", "userTask") for element in root.iterfind(f".//bpmn:{tag}", NS)}


def test_the_library_has_the_seven_processes_of_the_desk():
    assert set(SHIPPED) >= {"green_order", "contract_approval", "yellow_complaint", "yellow_dunning", "red_fault",
                            "member_review", "retention_plan"}


@pytest.mark.parametrize("key", SHIPPED)
def test_the_diagram_validates_and_is_laid_out_cleanly(app, key):
    assert problems(key) == []
    assert layout_problems(key) == []


@pytest.mark.parametrize("key", SHIPPED)
def test_every_lane_is_a_role_and_every_user_task_has_a_known_form(key):
    root = etree.fromstring(diagram(key)[0])
    lanes = [lane.get("name") for lane in root.iterfind(".//bpmn:lane", NS)]
    assert lanes and set(lanes) <= set(SEED_ROLES)
    user_tasks = {task.get("id") for task in root.iterfind(".//bpmn:userTask", NS)}
    named = forms_named(root)
    assert all(named[task] in SHIPPED_FORMS for task in user_tasks), {t: named[t] for t in user_tasks}


@pytest.mark.parametrize("key", SHIPPED)
def test_every_form_speaks_english_and_chinese(key):
    for form in {name for name in forms_named(etree.fromstring(diagram(key)[0])).values() if name}:
        schema = SHIPPED_FORMS[form]
        assert schema.get("title") and schema.get("x-title-zh"), form
        for field, spec in schema.get("properties", {}).items():
            assert spec.get("title") and spec.get("x-title-zh"), f"{form}.{field}"
            labels = spec.get("x-enum-labels")
            if "enum" in spec and spec.get("type") == "string":
                assert labels and len(labels["en"]) == len(labels["zh"]) == len(spec["enum"]), f"{form}.{field}"


def test_the_demo_deployed_each_shipped_process(app):
    assert sorted(model.key for model in deployments.models()) == SHIPPED
