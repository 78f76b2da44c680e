"""Form schemas for the red channel (fault) process, ``bpmn/red_fault.bpmn``.

The diagram names a form on its start event and on each user task through the ``form`` extension
property (e.g. ``red_fault.accept``); ``FORMS`` maps each key to the JSON Schema (draft 2020-12) that
the inbox renders and that a submission must satisfy. Field names are the variables the decision
table (``service``, ``impact``) and the gateways (``restored``, ``compensation_due``) read, and the
keys the reports read (``satisfaction``, ``revisit_done``, ``compensation_due``): renaming one means
changing the diagram too. The fault level itself is not asked: the decision table sets it.

Plain data only: no imports, no behaviour.
"""

SERVICES = ["internet", "leased_line", "voice", "mobile", "idc"]

FORMS: dict[str, dict] = {
    "red_fault.report": {
        "type": "object",
        "title": "Fault report",
        "x-title-zh": "故障申报",
        "properties": {
            "service": {
                "type": "string", "title": "Affected service", "x-title-zh": "故障业务", "x-widget": "select",
                "enum": SERVICES,
                "x-enum-labels": {"en": ["Internet access", "Leased line", "Voice", "Mobile", "IDC hosting"],
                                  "zh": ["互联网专线接入", "数据专线", "语音", "移动业务", "IDC 托管"]},
            },
            "description": {
                "type": "string", "title": "Fault description", "x-title-zh": "故障现象", "minLength": 1,
                "x-widget": "textarea",
            },
            "contact_phone": {
                "type": "string", "title": "Contact phone", "x-title-zh": "联系电话", "x-widget": "text",
                "pattern": "^\\+?[0-9 -]{5,20}$",
            },
        },
        "required": ["service", "description"],
        "additionalProperties": False,
    },
    "red_fault.accept": {
        "type": "object",
        "title": "Accept the fault",
        "x-title-zh": "故障受理",
        "description": "Answer the customer and record the impact; the fault level follows from the decision table.",
        "x-description-zh": "应答客户并记录影响范围；故障级别由定级规则确定。",
        "properties": {
            "impact": {
                "type": "string", "title": "Impact on the customer", "x-title-zh": "影响范围", "x-widget": "radio",
                "enum": ["outage", "partial", "degraded"],
                "x-enum-labels": {"en": ["Service down", "Some sites or lines down", "Service degraded"],
                                  "zh": ["业务全阻", "部分中断", "质量下降"]},
            },
            "impact_details": {
                "type": "string", "title": "Impact details", "x-title-zh": "影响说明", "x-widget": "textarea",
            },
            "customer_answered": {
                "type": "boolean", "title": "Customer answered", "x-title-zh": "已应答客户", "x-widget": "checkbox",
            },
        },
        "required": ["impact", "customer_answered"],
        "additionalProperties": False,
    },
    "red_fault.on_site": {
        "type": "object",
        "title": "Get on site (level 1)",
        "x-title-zh": "到达现场（一级故障）",
        "properties": {
            "engineer": {
                "type": "string", "title": "Engineer on site", "x-title-zh": "现场工程师", "minLength": 1,
                "x-widget": "text",
            },
            "arrived_at": {
                "type": "string", "format": "date-time", "title": "Arrived at", "x-title-zh": "到场时间",
                "x-widget": "datetime",
            },
        },
        "required": ["engineer", "arrived_at"],
        "additionalProperties": False,
    },
    "red_fault.repair": {
        "type": "object",
        "title": "Repair the fault",
        "x-title-zh": "故障处理",
        "properties": {
            "cause": {"type": "string", "title": "Cause", "x-title-zh": "故障原因", "minLength": 1,
                      "x-widget": "textarea"},
            "action": {"type": "string", "title": "Action taken", "x-title-zh": "处理措施", "minLength": 1,
                       "x-widget": "textarea"},
            "restored": {"type": "boolean", "title": "Service restored", "x-title-zh": "业务已恢复",
                         "x-widget": "checkbox"},
        },
        "required": ["cause", "action", "restored"],
        "additionalProperties": False,
    },
    "red_fault.revisit": {
        "type": "object",
        "title": "Revisit the customer",
        "x-title-zh": "故障回访",
        "properties": {
            "revisit_done": {
                "type": "boolean", "title": "Customer reached", "x-title-zh": "已回访到客户", "x-widget": "checkbox",
            },
            "satisfaction": {
                "type": "integer", "title": "Customer satisfaction", "x-title-zh": "客户满意度", "x-widget": "radio",
                "enum": [1, 2, 3, 4, 5],
                "x-enum-labels": {"en": ["1 very dissatisfied", "2 dissatisfied", "3 neutral", "4 satisfied",
                                         "5 very satisfied"],
                                  "zh": ["1 非常不满意", "2 不满意", "3 一般", "4 满意", "5 非常满意"]},
            },
            "compensation_due": {
                "type": "boolean", "title": "Compensation due (promise broken)", "x-title-zh": "需要赔偿（未兑现承诺）",
                "x-widget": "checkbox",
            },
            "notes": {"type": "string", "title": "Notes", "x-title-zh": "备注", "x-widget": "textarea"},
        },
        "required": ["revisit_done", "compensation_due"],
        "if": {"properties": {"revisit_done": {"const": True}}},
        "then": {"required": ["satisfaction"]},
        "additionalProperties": False,
    },
    "red_fault.compensation": {
        "type": "object",
        "title": "Carry out compensation",
        "x-title-zh": "故障赔偿",
        "properties": {
            "amount": {"type": "number", "title": "Amount (yuan)", "x-title-zh": "赔偿金额（元）", "minimum": 0,
                       "x-widget": "number"},
            "method": {
                "type": "string", "title": "Compensation method", "x-title-zh": "赔偿方式", "x-widget": "select",
                "enum": ["bill_credit", "free_service", "other"],
                "x-enum-labels": {"en": ["Bill credit", "Free service period", "Other"],
                                  "zh": ["话费减免", "免费服务期", "其他"]},
            },
        },
        "required": ["amount", "method"],
        "additionalProperties": False,
    },
}
