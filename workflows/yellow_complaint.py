"""Form schemas for the yellow channel complaint process, ``bpmn/yellow_complaint.bpmn``.

The field names are the variables the diagram's gateways read: ``category`` picks the department,
``verdict`` is the supervisor's, ``branch_solved`` the branch technical department's, ``satisfaction``
(1–5) and ``reopened`` decide whether a dissatisfied customer's complaint is taken up again (once).
``satisfaction`` and ``reopened`` are report keys. Plain data only.
"""



def _text(en: str, zh: str, long: bool = False, required: bool = True) -> dict:
    field = {"type": "string", "title": en, "x-title-zh": zh, "x-widget": "textarea" if long else "text"}
    return {**field, "minLength": 1} if required else field


def _yes_no(en: str, zh: str) -> dict:
    return {"type": "boolean", "title": en, "x-title-zh": zh, "x-widget": "radio"}


def _choice(en: str, zh: str, values: list, labels_en: list[str], labels_zh: list[str], widget: str = "select",
            kind: str = "string") -> dict:
    return {"type": kind, "title": en, "x-title-zh": zh, "enum": values, "x-widget": widget,
            "x-enum-labels": {"en": labels_en, "zh": labels_zh}}


def _form(en: str, zh: str, properties: dict, required: list[str]) -> dict:
    return {"type": "object", "title": en, "x-title-zh": zh, "properties": properties, "required": required,
            "additionalProperties": False}


FORMS: dict[str, dict] = {
    "yellow_complaint.complaint": _form("Complaint", "投诉受理单", {
        "source": _choice("Received through", "受理渠道",
                          ["account_manager", "hotline_1001", "hotline_10018", "web"],
                          ["Account manager", "Hotline 1001", "Hotline 10018", "Web"],
                          ["客户经理", "1001 热线", "10018 热线", "网站"], "radio"),
        "business_type": _choice("Business type", "业务类型",
                                 ["voice", "mobile", "broadband", "leased_line", "idc", "value_added"],
                                 ["Fixed voice", "Mobile", "Broadband", "Leased line", "IDC", "Value-added service"],
                                 ["固定语音", "移动业务", "宽带", "专线", "IDC", "增值业务"]),
        "category": _choice("Category", "投诉类别",
                            ["network_quality", "service_attitude", "business_handling", "billing_dispute",
                             "charges_refund", "other"],
                            ["Network quality", "Service attitude", "Business handling", "Billing dispute",
                             "Charges and refunds", "Other"],
                            ["网络质量", "服务态度", "业务办理", "账单争议", "收费与退费", "其他"]),
        "content": _text("Complaint content", "投诉内容", long=True),
        "deadline": {"type": "string", "format": "date", "title": "Reply by", "x-title-zh": "答复时限",
                     "x-widget": "date"},
        "contact_phone": _text("Contact phone", "联系电话", required=False),
    }, ["source", "business_type", "category", "content", "deadline"]),
    "yellow_complaint.handle": _form("Handle the complaint", "部门处理", {
        "cause": _text("Cause found", "原因", long=True),
        "action_taken": _text("Action taken", "处理措施", long=True),
        "department_solved": _yes_no("Solved by the department", "部门已解决"),
    }, ["cause", "action_taken", "department_solved"]),
    "yellow_complaint.supervise": _form("Supervise the handling", "督办", {
        "verdict": _choice("Verdict", "督办结论", ["solved", "redo", "escalate"],
                           ["Solved: reply to the customer", "Back to the department",
                            "Escalate to the branch technical department"],
                           ["已解决，回复客户", "退回部门重新处理", "升级至分公司技术部门"], "radio"),
        "comment": _text("Comment", "督办意见", long=True, required=False),
    }, ["verdict"]),
    "yellow_complaint.escalated": _form("Solve at the branch technical department", "分公司技术部门处理", {
        "analysis": _text("Technical analysis", "技术分析", long=True),
        "action_taken": _text("Action taken", "处理措施", long=True),
        "branch_solved": _yes_no("Solved by the branch", "分公司已解决"),
    }, ["analysis", "action_taken", "branch_solved"]),
    "yellow_complaint.hq": _form("Solve at headquarters", "总部大客户部处理", {
        "resolution": _text("Resolution", "解决方案", long=True),
    }, ["resolution"]),
    "yellow_complaint.reply": _form("Reply to the customer", "回复客户", {
        "reply": _text("Reply to the customer", "答复内容", long=True),
        "reply_channel": _choice("Replied by", "答复方式", ["phone", "sms", "visit", "email"],
                                 ["Phone", "SMS", "Visit", "Email"], ["电话", "短信", "上门", "电子邮件"], "radio"),
    }, ["reply", "reply_channel"]),
    "yellow_complaint.satisfaction": _form("Record satisfaction", "满意度回访", {
        "satisfaction": _choice("Customer satisfaction", "客户满意度", [1, 2, 3, 4, 5],
                                ["1 very dissatisfied", "2 dissatisfied", "3 neutral", "4 satisfied",
                                 "5 very satisfied"],
                                ["1 非常不满意", "2 不满意", "3 一般", "4 满意", "5 非常满意"], "radio", "integer"),
        "satisfaction_comment": _text("What the customer said", "客户意见", long=True, required=False),
    }, ["satisfaction"]),
    "yellow_complaint.reopen": _form("Reopen the complaint?", "是否重新处理", {
        "reopened": _yes_no("The customer wants it taken up again", "客户要求重新处理"),
        "reopen_reason": _text("Why", "原因", long=True),
    }, ["reopened", "reopen_reason"]),
}
