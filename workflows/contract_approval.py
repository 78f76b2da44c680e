"""Forms of the contract approval process, ``bpmn/contract_approval.bpmn`` (run alone or called by a green order).

Field names are the variables the diagram reads: ``departments`` picks who countersigns, the
``*_decision`` fields steer its gateways, ``amount``, ``term_months`` and ``discount_percent`` feed the
decision table on the director's authority, and ``contract_end`` with ``reminder_days`` sets the expiry
reminder. Each countersigning department answers in fields of its own, because parallel branches
merge their data when they join.
"""

from workflows.form_fields import choice, choices, day, field, form, required_when, text

SERVICES = [("internet", "Internet access", "互联网接入"), ("leased_line", "Leased line", "数据专线"),
            ("voice", "Voice trunk", "语音中继"), ("mobile", "Group mobile", "集团移动"),
            ("idc", "IDC hosting", "IDC 托管")]
SERVICE = choice("Service", "业务类型", SERVICES)
REQUIREMENT = text("Customer requirement", "客户需求", long=True)
DEPARTMENTS = [("business", "Business department", "业务部门"), ("billing", "Billing department", "计费部门"),
               ("tech", "Technical department", "技术部门")]
TEMPLATES = [("standard_service", "Standard service agreement", "标准服务协议"),
             ("leased_line", "Leased-line contract", "专线合同"),
             ("idc_hosting", "IDC hosting contract", "IDC 托管合同"),
             ("framework", "Framework agreement", "框架协议")]
DECISIONS = [("approve", "Approve", "同意"), ("reject", "Reject", "驳回")]
ANSWERS = [("accepted", "Accepts the contract", "接受合同"), ("change_requested", "Asks for changes", "要求修改"),
           ("withdrawn", "Withdraws", "撤回，不再签约")]


def decision_form(who: str, en: str, zh: str) -> dict:
    """Approve or reject, with a comment that a rejection must give; fields ``<who>_decision``/``<who>_comment``."""
    decision, comment = f"{who}_decision", f"{who}_comment"
    return form(en, zh, {decision: choice("Decision", "审批意见", DECISIONS, widget="radio"),
                         comment: text("Comment", "说明", long=True)},
                [decision], [required_when(decision, "reject", comment)])


FORMS: dict[str, dict] = {
    "contract_approval.request": form("Contract request", "合同申请", {
        "service": SERVICE,
        "requirement": REQUIREMENT,
    }, ["service", "requirement"]),
    "contract_approval.draft": form("Draft the contract", "起草合同", {
        "template": choice("Contract template", "合同模板", TEMPLATES),
        "contract_no": text("Contract number", "合同编号"),
        "amount": field("number", "Contract amount (yuan)", "合同金额（元）", "number", exclusiveMinimum=0),
        "term_months": field("integer", "Term (months)", "合同期限（月）", "number", minimum=1, maximum=120),
        "discount_percent": field("number", "Discount (%)", "折扣（%）", "number", minimum=0, maximum=100),
        "departments": choices("Departments to countersign", "会签部门", DEPARTMENTS),
        "main_terms": text("Main terms", "主要条款", long=True),
    }, ["template", "contract_no", "amount", "term_months", "discount_percent", "departments"]),
    **{f"contract_approval.countersign_{key}": decision_form(key, f"Countersign: {en}", f"会签：{zh}")
       for key, en, zh in DEPARTMENTS},
    "contract_approval.customer_review": form("Record the customer's review", "记录客户审阅意见", {
        "customer_answer": choice("Customer's answer", "客户答复", ANSWERS, widget="radio"),
        "customer_comment": text("What the customer said", "客户意见", long=True),
    }, ["customer_answer"], [required_when("customer_answer", "change_requested", "customer_comment"),
                             required_when("customer_answer", "withdrawn", "customer_comment")]),
    "contract_approval.director": decision_form("director", "Director approval", "总监审批"),
    "contract_approval.vp": decision_form("vp", "Vice-president approval", "副总经理审批"),
    "contract_approval.sign": form("Sign the contract", "签署合同", {
        "signed_on": day("Signing date", "签署日期"),
        "contract_end": day("Contract end date", "合同到期日"),
        "reminder_days": field("integer", "Remind this many days before the end", "到期前提醒天数", "number",
                               minimum=1, maximum=180, description="Usually 30.",
                               **{"x-description-zh": "通常为 30 天。"}),
    }, ["signed_on", "contract_end", "reminder_days"], order=[("signed_on", "contract_end")]),
}
