"""Forms of the green channel's business acceptance process, ``bpmn/green_order.bpmn``.

Field names are the variables the diagram reads: ``technical_preparation`` triages the order,
``feasible`` and ``engineering_needed`` route after the technical solution, ``construction_done`` and
``accepted`` close the construction loops, ``activation_date`` and ``billing_start`` fill the
customer's activation notice. The order starts with the same ``service`` and ``requirement`` fields as
a contract request, because the contract approval it calls drafts from them.
"""

from workflows.contract_approval import REQUIREMENT, SERVICE
from workflows.form_fields import choices, day, field, flag, form, required_when, text

DOCUMENTS = [("requirement", "Requirement record", "需求记录"), ("solution", "Technical solution", "技术方案"),
             ("contract", "Signed contract", "签署合同"), ("construction_plan", "Construction plan", "施工方案"),
             ("acceptance_report", "Acceptance report", "验收报告"),
             ("activation_notice", "Activation notice", "开通通知"), ("work_order", "Work order", "工单")]

FORMS: dict[str, dict] = {
    "green_order.request": form("New business order", "新业务受理", {
        "service": SERVICE,
        "requirement": REQUIREMENT,
    }, ["service", "requirement"]),
    "green_order.visit": form("Visit and requirement record", "客户走访与需求记录", {
        "visit_date": day("Visit date", "走访日期"),
        "contact_name": text("Customer contact", "客户联系人"),
        "contact_phone": text("Contact phone", "联系电话"),
        "site_address": text("Site address", "安装地址"),
        "visit_notes": text("Visit notes", "走访记录", long=True),
        "technical_preparation": flag("Needs technical preparation", "需要技术准备"),
    }, ["visit_date", "contact_name", "contact_phone", "site_address", "technical_preparation"]),
    "green_order.work_order": form("Complete the work order", "完成业务工单", {
        "work_order_no": text("Work order number", "工单编号"),
        "completed_on": day("Completed on", "完成日期"),
        "work_notes": text("Notes", "备注", long=True),
    }, ["work_order_no", "completed_on"]),
    "green_order.solution": form("Technical solution", "技术方案", {
        "resource_survey": text("Resource survey", "资源勘查", long=True),
        "investment_estimate": field("number", "Investment estimate (yuan)", "投资估算（元）", "number", minimum=0),
        "payback_months": field("integer", "Payback period (months)", "投资回收期（月）", "number", minimum=1),
        "solution": text("Solution", "方案说明", long=True),
        "feasible": flag("Feasible", "方案可行"),
        "infeasible_reason": text("Why it is not feasible", "不可行原因", long=True),
        "engineering_needed": flag("Construction needed", "需要工程施工"),
    }, ["resource_survey", "investment_estimate", "solution", "feasible"],
        [required_when("feasible", False, "infeasible_reason"),
         required_when("feasible", True, "engineering_needed", "payback_months")]),
    "green_order.start_request": form("Request the construction start", "施工开工申请", {
        "requested_start": day("Requested start", "申请开工日期"),
        "work_scope": text("Scope of work", "施工范围", long=True),
    }, ["requested_start", "work_scope"]),
    "green_order.construction_plan": form("Construction plan", "施工方案", {
        "planned_start": day("Planned start", "计划开工日期"),
        "planned_finish": day("Planned finish", "计划完工日期"),
        "plan": text("Plan", "施工计划", long=True),
        "crew": text("Crew", "施工队伍"),
    }, ["planned_start", "planned_finish", "plan"], order=[("planned_start", "planned_finish")]),
    "green_order.progress": form("Construction progress", "施工进度", {
        "progress_percent": field("integer", "Progress (%)", "完成进度（%）", "number", minimum=0, maximum=100),
        "progress_note": text("What was done", "进展说明", long=True),
        "construction_done": flag("Construction finished", "施工已完成"),
    }, ["progress_percent", "progress_note", "construction_done"]),
    "green_order.acceptance": form("Joint acceptance with the customer", "与客户联合验收", {
        "acceptance_date": day("Acceptance date", "验收日期"),
        "accepted": flag("Customer accepts the work", "客户验收通过"),
        "acceptance_issues": text("What must be fixed", "整改事项", long=True),
    }, ["acceptance_date", "accepted"], [required_when("accepted", False, "acceptance_issues")]),
    "green_order.activation": form("Activation notice", "开通通知", {
        "activation_date": day("Activation date", "开通日期"),
        "billing_start": day("Billing starts on", "起始计费日期"),
    }, ["activation_date", "billing_start"]),
    "green_order.records": form("Project records", "项目归档", {
        "archive_ref": text("Archive reference", "档案编号"),
        "documents": choices("Documents archived", "归档资料", DOCUMENTS),
        "records_notes": text("Notes", "备注", long=True),
    }, ["archive_ref", "documents"]),
}
