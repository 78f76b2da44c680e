"""The modeller with a process's whole bundle in Debian's Chromium: the diagram, its decision tables (dmn-js) and its
forms (KeyDesk's form editor) in tabs; validate and deploy send them all; a new field and a changed table row reach
the desk; every shipped process goes through the page unchanged, and changed."""

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from engine import deployments, versions
from engine.db import db
from engine.directory import users
from tests import test_browser
from tests.test_browser import CHROMIUM, sign_in
from tests.web_data import open_task, red_ticket

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
HERE = Path(__file__).resolve().parent
BUNDLE = HERE.parent / "web" / "static" / "build" / "modeler.js"
SHIPPED = sorted(p.stem for p in (HERE.parent / "bpmn").glob("*.bpmn"))
# The staff pages' fixtures: one Chromium for the module, a served app, a page that fails on any script error.
browser, server, page = test_browser.browser, test_browser.server, test_browser.page
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test does)"),
    pytest.mark.skipif(not BUNDLE.exists(), reason=f"the modeller bundle is not built ({BUNDLE}): run make install"),
]


def open_modeller(page, key: str) -> None:
    page.goto(f"/modeler?key={key}")
    page.wait_for_selector("[data-testid=modeler][data-ready='1']")
    expect(page.locator("[data-testid=opened]")).to_contain_text(key)


def validate_and_deploy(page, comment: str) -> None:
    page.fill("[data-testid=comment]", comment)  # moves the focus: an edit still in a cell or field is committed
    page.click("[data-testid=validate]")
    # the answer of this validation, not the "Deployed" of the step before (also green)
    expect(page.locator("[data-testid=status]")).to_contain_text(re.compile("is valid|problem"))
    assert page.locator("[data-testid=problems] li").all_inner_texts() == []
    page.fill("[data-testid=comment]", comment)
    page.click("[data-testid=deploy]")
    # a process with a call activity and tables takes a while to check and deploy on a busy machine
    expect(page.locator("[data-testid=status]")).to_contain_text("Deployed", timeout=30_000)


def first(xml: str, tag: str, namespace: str) -> str:
    """The id of the first element of that tag in a diagram or table."""
    return etree.fromstring(xml.encode()).find(f".//{{{namespace}}}{tag}").get("id")


def rightmost_user_task(xml: str) -> str:
    """The user task drawn furthest right: clear of the palette on the canvas's left edge."""
    root = etree.fromstring(xml.encode())
    tasks = {t.get("id") for t in root.iterfind(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask")}
    shapes = [(float(s.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds").get("x")), s.get("bpmnElement"))
              for s in root.iterfind(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")]
    return max(shape for shape in shapes if shape[1] in tasks)[1]


@pytest.mark.parametrize("key", SHIPPED)
def test_each_shipped_process_round_trips_and_takes_a_change_from_the_page(page, key):
    """Deployed as opened, the new version's bundle equals the old one. Then a task's label on the diagram, a form
    field's label and a table row's note change, and nothing else does."""
    shipped = deployments.latest_version(key)
    sign_in(page, "supervisor")
    open_modeller(page, key)
    expect(page.locator("[data-testid=dmn-tab]")).to_have_count(len(shipped.dmn_xml))
    named = set(re.findall(r'name="form" value="([^"]+)"', shipped.bpmn_xml))  # called processes' forms are theirs
    expect(page.locator("[data-testid=form-tab]")).to_have_count(len(named & shipped.forms.keys()))
    validate_and_deploy(page, "unchanged, through the page")
    db.session.expire_all()
    before = deployments.latest_version(key)
    assert before.version == shipped.version + 1
    assert (before.bpmn_xml, before.dmn_xml, before.forms) == (shipped.bpmn_xml, shipped.dmn_xml, shipped.forms)

    expect(page.locator("[data-testid=opened]")).to_contain_text(f"Version {before.version}")  # reopened
    if "userTask" not in before.bpmn_xml:
        return  # a process only timers run (churn_watch, revisit_plan, revisit_query): no step or form to change
    task = rightmost_user_task(before.bpmn_xml)
    page.locator(f'#kd-canvas [data-element-id="{task}"]').first.click()
    header = page.locator('[data-group-id="group-general"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    page.fill("#bio-properties-panel-name", "Renamed step")
    expect(page.locator(f'#kd-canvas [data-element-id="{task}"]').first).to_contain_text("Renamed step")
    form_key = sorted(named & before.forms.keys())[0]
    page.click(f"[data-tab='form-{form_key}']")
    field_name = next(iter(before.forms[form_key]["properties"]))
    enter(page.locator(f"[data-pane='form-{form_key}'] [data-field={field_name}] [data-testid=field-label-en]"),
          "Renamed field")
    rules = [first(table, "rule", "https://www.omg.org/spec/DMN/20191111/MODEL/") for table in before.dmn_xml]
    for n, rule in enumerate(rules):
        page.click(f"[data-tab=dmn-{n}]")
        set_cell(page, rule, ".annotation", "Tuned from the page")
    validate_and_deploy(page, "a label, a field, a row")

    db.session.expire_all()
    after = deployments.latest_version(key)
    changes = versions.diff(users.by_username("supervisor"), key, before.version, after.version)
    assert (changes["added"], changes["removed"]) == ([], [])
    assert [(c["id"], c["changes"]) for c in changes["changed"]] == [
        (task, [{"field": "name", "from": changes["changed"][0]["changes"][0]["from"], "to": "Renamed step"}])]
    expected = {**before.forms, form_key: {**before.forms[form_key], "properties": {
        **before.forms[form_key]["properties"],
        field_name: {**before.forms[form_key]["properties"][field_name], "title": "Renamed field"}}}}
    assert after.forms == expected
    assert len(after.dmn_xml) == len(before.dmn_xml)
    for table in after.dmn_xml:
        assert "Tuned from the page" in table


def enter(field, value: str) -> None:
    """Type into one of the editor's inputs and leave it, as a person does (the editor reads it on change)."""
    field.fill(value)
    field.dispatch_event("change")


def add_required_choice_field(form) -> None:
    """In a form's tab: a required 'Call back within' choice with two bilingual choices."""
    form.locator("[data-testid=form-add-field]").click()
    enter(form.locator("[data-testid=form-field]").last.locator("[data-testid=field-name]"), "callback_window")
    field = form.locator("[data-field=callback_window]")
    field.locator("[data-testid=field-type]").select_option("choice")
    field.locator("[data-testid=field-required]").check()
    enter(field.locator("[data-testid=field-label-en]"), "Call back within")
    enter(field.locator("[data-testid=field-label-zh]"), "回电时限")
    for n, (value, english, chinese) in enumerate([("today", "Today", "今天"), ("tomorrow", "Tomorrow", "明天")]):
        field.locator("[data-testid=choice-add]").click()
        choice = field.locator("[data-testid=choice]").nth(n)
        enter(choice.locator("[data-testid=choice-value]"), value)
        enter(choice.locator("[data-testid=choice-en]"), english)
        enter(choice.locator("[data-testid=choice-zh]"), chinese)


def set_cell(page, row: str, column: str, text: str) -> None:
    """Edit one cell of the open decision table (dmn-js cells are content-editable); column is a CSS selector
    part: the column's id as [data-col-id=...], or .annotation for the row's note."""
    cell = page.locator(f'td[data-row-id="{row}"]{column} [contenteditable]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator("[data-testid=opened]").click()  # leave the cell
    expect(page.locator("[data-tab].active")).to_have_attribute("data-changed", "1")  # the table took it


def test_a_new_required_field_and_a_changed_table_row_reach_the_desk(page):
    sign_in(page, "supervisor")
    open_modeller(page, "red_fault")
    page.locator('#kd-canvas [data-element-id="accept_fault"]').first.click()
    page.click("[data-testid=element-form] [data-testid=open-form]")  # the task offers its form
    form = page.locator("[data-pane='form-red_fault.accept']")
    expect(form).to_be_visible()
    add_required_choice_field(form)
    preview = {lang: form.locator(f"[data-testid=form-preview-{lang}] [data-field=callback_window]")
               for lang in ("en", "zh")}
    expect(preview["en"]).to_contain_text("Call back within")
    expect(preview["zh"]).to_contain_text("回电时限")
    expect(form.locator("[data-testid=form-preview-zh] #f-callback_window")).to_contain_text("明天")

    page.click("[data-testid=dmn-tab]")
    set_cell(page, "any_other", "[data-col-id=output_fault_level]", "1")  # everything else becomes a level-1 fault
    validate_and_deploy(page, "a call-back window; every fault is level 1 for now")

    db.session.expire_all()
    version = deployments.latest_version("red_fault")
    assert version.version == 2
    schema = version.forms["red_fault.accept"]
    assert "callback_window" in schema["required"] and list(schema["properties"])[-1] == "callback_window"
    labels = schema["properties"]["callback_window"]["x-enum-labels"]
    assert labels == {"en": ["Today", "Tomorrow"], "zh": ["今天", "明天"]}

    ticket = red_ticket()  # leased line, degraded: the old table said level 2
    task = open_task(ticket)
    page.context.clear_cookies()
    sign_in(page, "agent")
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("[data-field=callback_window]")).to_contain_text("Call back within")
    expect(page.locator("[data-field=callback_window] .text-danger")).to_have_text("*")  # required
    page.check("#f-impact-3")  # service degraded, but no call-back window: refused, naming the new field
    page.check("#f-customer_answered")
    page.click("button[value=complete]")
    expect(page.locator("[data-error-for=callback_window]")).to_contain_text("Call back within")
    db.session.expire_all()
    assert [t.element_id for t in ticket.tasks if t.state == "open"] == ["accept_fault"]
    page.locator("[data-testid=language-form] button[value=zh_CN]").click()
    page.goto(f"/tasks/{task.id}")
    expect(page.locator("[data-field=callback_window]")).to_contain_text("回电时限")
    page.select_option("#f-callback_window", "today")
    expect(page.locator("#f-callback_window option:checked")).to_have_text("今天")
    page.check("#f-impact-3")
    page.check("#f-customer_answered")
    page.click("button[value=complete]")
    page.wait_for_url("**/inbox**")

    db.session.expire_all()
    assert ticket.data["callback_window"] == "today" and ticket.data["fault_level"] == 1
    assert [t.element_id for t in ticket.tasks if t.state == "open"] == ["dispatch_on_site"]


def test_problems_show_in_the_tab_of_their_table_or_form(page):
    """The server names the file and the element (a rule, a field); the page shows each in its own tab."""
    found = [{"file": "red_fault_decisions.dmn", "element_id": "top_tier_partial", "message": "never matches",
              "message_zh": "永远不会命中", "hint": "", "hint_zh": "", "line": None},
             {"file": "red_fault.accept.form.json", "element_id": "impact_details", "message": "too long",
              "message_zh": "太长", "hint": "", "hint_zh": "", "line": None},
             {"file": "red_fault.accept.form.json", "element_id": None, "message": "not a valid JSON Schema",
              "message_zh": "不是有效的 JSON Schema", "hint": "", "hint_zh": "", "line": None}]
    sign_in(page, "supervisor")
    open_modeller(page, "red_fault")
    page.route("**/modeler/validate", lambda route: route.fulfill(json={"valid": False, "problems": found}))
    page.click("[data-testid=validate]")
    expect(page.locator("[data-testid=dmn-tab] .badge")).to_have_text("1")
    expect(page.locator("[data-tab='form-red_fault.accept'] .badge")).to_have_text("2")
    expect(page.locator("[data-tab='form-red_fault.report'] .badge")).to_have_text("")
    page.locator("[data-testid=problems] li").first.click()  # opens the table's tab
    expect(page.locator('td.kd-has-problem[data-row-id="top_tier_partial"]').first).to_be_visible()
    assert page.locator('td.kd-has-problem[data-row-id="any_other"]').count() == 0
    page.click("[data-tab='form-red_fault.accept']")
    field = page.locator("[data-pane='form-red_fault.accept'] [data-field=impact_details].kd-field-problem")
    expect(field.locator("[data-testid=field-problem]")).to_have_text("too long")
    expect(page.locator("[data-pane='form-red_fault.accept'] [data-testid=form-problem]")).to_have_text(
        "not a valid JSON Schema")


def test_a_task_without_a_form_gets_a_new_one_named_after_it(page):
    deployments.deploy(users.by_username("supervisor"), (HERE / "modeler_sample.bpmn").read_text(), comment="draft")
    sign_in(page, "supervisor")
    open_modeller(page, "modeler_demo")
    page.locator('#kd-canvas [data-element-id="accept"]').first.click()
    expect(page.locator("[data-testid=element-form]")).to_contain_text("(no form)")
    page.click("[data-testid=element-form] [data-testid=new-form]")
    form = page.locator("[data-pane='form-modeler_demo.accept']")
    expect(form).to_be_visible()
    expect(form.locator("[data-testid=form-title-en]")).to_have_value("Accept the request")
    for name in ("reference", "priority_note"):
        form.locator("[data-testid=form-add-field]").click()
        enter(form.locator("[data-testid=form-field]").last.locator("[data-testid=field-name]"), name)
    note = form.locator("[data-field=priority_note]")
    note.locator("[data-testid=field-type]").select_option("textarea")
    enter(note.locator("[data-testid=field-maxLength]"), "200")
    note.locator("[data-testid=field-up]").click()  # the note comes first now
    expect(form.locator("[data-testid=form-field]").first).to_have_attribute("data-field", "priority_note")
    form.locator("[data-field=reference] [data-testid=field-remove]").click()
    expect(form.locator("[data-testid=form-field]")).to_have_count(1)
    expect(form.locator("[data-testid=form-preview-en] textarea#f-priority_note")).to_be_visible()
    validate_and_deploy(page, "the accept step has a form")

    db.session.expire_all()
    version = deployments.latest_version("modeler_demo")
    assert 'name="form" value="modeler_demo.accept"' in version.bpmn_xml
    assert version.forms["modeler_demo.accept"]["properties"] == {"priority_note": {
        "type": "string", "x-widget": "textarea", "title": "Field 2", "x-title-zh": "字段 2", "maxLength": 200}}


def test_tables_and_forms_speak_chinese(page):
    sign_in(page, "supervisor")
    page.locator("[data-testid=language-form] button[value=zh_CN]").click()
    page.goto("/modeler?key=red_fault")
    page.wait_for_selector("[data-testid=modeler][data-ready='1']")
    page.click("[data-testid=dmn-tab]")
    expect(page.locator("[data-testid=dmn-tab]")).to_contain_text("决策表")
    expect(page.locator("[data-pane=dmn-0]")).to_contain_text("命中策略")
    page.click("[data-tab='form-red_fault.accept']")
    form = page.locator("[data-pane='form-red_fault.accept']")
    expect(form.locator("[data-testid=form-add-field]")).to_contain_text("添加字段")
    expect(form.locator("[data-field=impact] [data-testid=field-type] option:checked")).to_have_text("单选")
    expect(form.locator("[data-testid=form-preview-zh]")).to_contain_text("业务全阻")
    expect(form.locator("[data-testid=form-preview-en]")).to_contain_text("Service down")


def test_the_versions_diff_shows_form_fields_and_table_rows_in_both_languages(page):
    """Version 2 of red_fault adds a field to the accept form, relabels another and sends every other fault to
    level 1: comparing it with version 1 names each, in English and in Chinese."""
    shipped = deployments.latest_version("red_fault")
    accept = json.loads(json.dumps(shipped.forms["red_fault.accept"]))
    accept["properties"]["impact_details"]["title"] = "What the customer sees"
    accept["properties"]["callback_window"] = {"type": "string", "title": "Call back within", "x-title-zh": "回电时限"}
    table = shipped.dmn_xml[0].replace('<outputEntry id="any_other_level"><text>2</text>',
                                       '<outputEntry id="any_other_level"><text>1</text>')
    deployments.deploy(users.by_username("supervisor"), shipped.bpmn_xml, [table], "tuned",
                       {**shipped.forms, "red_fault.accept": accept})
    number = deployments.latest_version("red_fault").version
    for lang, words in (("en", ("Form red_fault.accept", "fields added callback_window",
                                'fields changed impact_details (title', '→ "What the customer sees"',
                                "Table red_fault_level", "rows changed any_other: - | - | - ⇒ 2 → - | - | - ⇒ 1")),
                        ("zh", ("表单 red_fault.accept", "新增字段 callback_window", "修改字段 impact_details",
                                "决策表 red_fault_level", "修改规则行 any_other"))):
        if lang == "zh":
            page.locator("[data-testid=language-form] button[value=zh_CN]").click()
        else:
            sign_in(page, "supervisor")
        open_modeller(page, "red_fault")
        page.locator(f"[data-testid=versions] tr[data-version='{number}'] [data-testid=compare-version]").click()
        expect(page.locator("[data-testid=diff-form]")).to_have_count(1)
        form_line = page.locator("[data-testid=diff-form]").inner_text()
        table_line = page.locator("[data-testid=diff-decision]").inner_text()
        for word in words:
            assert word in form_line + "\n" + table_line, (lang, word)
        assert page.locator("[data-testid=diff-element]").count() == 0  # the diagram did not change


def rename_field(form, old: str, new: str) -> None:
    enter(form.locator(f"[data-field={old}] [data-testid=field-name]"), new)
    expect(form.locator(f"[data-field={new}]")).to_have_count(1)


def test_renaming_a_field_renames_it_in_the_rules_that_name_it(page):
    """The director's comment is required when the director rejects (allOf); a construction starts before it
    finishes (x-order): renamed in the editor, both rules follow, and each bundle deploys. (The signing form's
    dates are read by the filing step too, so renaming them there is refused by the data-flow check.)"""
    sign_in(page, "supervisor")
    open_modeller(page, "contract_approval")
    page.click("[data-tab='form-contract_approval.director']")
    rename_field(page.locator("[data-pane='form-contract_approval.director']"), "director_comment", "director_reason")
    validate_and_deploy(page, "a clearer field name")
    open_modeller(page, "green_order")
    page.click("[data-tab='form-green_order.construction_plan']")
    rename_field(page.locator("[data-pane='form-green_order.construction_plan']"), "planned_start", "start_planned")
    validate_and_deploy(page, "a clearer field name")

    db.session.expire_all()
    director = deployments.latest_version("contract_approval").forms["contract_approval.director"]
    plan = deployments.latest_version("green_order").forms["green_order.construction_plan"]
    assert list(director["properties"]) == ["director_decision", "director_reason"]
    assert director["allOf"][0]["then"]["required"] == ["director_reason"]
    assert plan["x-order"] == [["start_planned", "planned_finish"]]
    assert plan["required"][0] == "start_planned"


def sent_form(body: bytes, key: str) -> str:
    """The text of one form file in a multipart bundle the page sent."""
    body = body.decode()
    part = body[body.index(f'filename="{key}.form.json"'):]
    return part[part.index("\r\n\r\n") + 4:part.index("\r\n--")]


def test_a_bundle_with_a_broken_form_is_refused_at_its_line_and_deploys_nothing(page):
    """Removing the decision field leaves the condition that tests it (reject -> comment required) naming nothing:
    validation shows the file, the field and the line of the text sent, in the form's tab too; a deploy of that
    bundle is refused by the server with the same located problem, and nothing is deployed."""
    before = deployments.latest_version("contract_approval")
    sign_in(page, "supervisor")
    open_modeller(page, "contract_approval")
    page.click("[data-tab='form-contract_approval.director']")
    form = page.locator("[data-pane='form-contract_approval.director']")
    form.locator("[data-field=director_decision] [data-testid=field-remove]").click()
    page.fill("[data-testid=comment]", "no decision field")
    sent = []
    page.route("**/modeler/validate", lambda route: (sent.append(route.request.post_data_buffer), route.continue_()))
    page.click("[data-testid=validate]")
    expect(page.locator("[data-testid=status]")).to_contain_text("1 problem")
    page.unroute("**/modeler/validate")
    text = sent_form(sent[0], "contract_approval.director")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"director_decision": {' in row)
    located = f"contract_approval.director.form.json, director_decision, line {line}:"
    problem = page.locator("[data-testid=problems] li")
    expect(problem).to_contain_text(located)
    expect(problem).to_contain_text("a condition (if/then/else, allOf, ...) names director_decision")
    expect(form.locator("[data-testid=form-problem]")).to_contain_text("director_decision")
    expect(page.locator("[data-tab='form-contract_approval.director'] .badge")).to_have_text("1")

    # were the page to send it anyway, the server refuses it, located the same way
    page.route("**/modeler/validate", lambda route: route.fulfill(json={"valid": True, "problems": []}))
    page.click("[data-testid=validate]")
    expect(problem).to_have_count(0)
    page.click("[data-testid=deploy]")
    expect(page.locator("[data-testid=status]")).to_contain_text("nothing was deployed")
    expect(problem).to_contain_text(located)
    db.session.expire_all()
    assert deployments.latest_version("contract_approval").version == before.version


@pytest.mark.parametrize("key", ["yellow_complaint", "yellow_dunning"])
def test_docs_picture_of_a_yellow_diagram_shows_every_element(page, key):
    """docs/<key>.png, linked from the README, is this canvas: every shape and flow of the diagram drawn by bpmn-js.
    With KEYDESK_SCREENSHOTS set (`make screenshots`) the picture is saved there again."""
    page.set_viewport_size({"width": 3440, "height": 900})
    sign_in(page, "supervisor")
    open_modeller(page, key)
    root = etree.fromstring((HERE.parent / "bpmn" / f"{key}.bpmn").read_bytes())
    laid_out = {el.get("bpmnElement") for el in root.iter("{*}BPMNShape", "{*}BPMNEdge")}
    drawn = set(page.eval_on_selector_all("#kd-canvas [data-element-id]", "els => els.map(e => e.dataset.elementId)"))
    assert laid_out - drawn == set()
    if test_browser.SHOTS:
        page.eval_on_selector(".djs-palette", "palette => { palette.style.display = 'none'; }")  # the diagram alone
        page.locator("#kd-canvas").screenshot(path=str(HERE.parent / "docs" / f"{key}.png"))
