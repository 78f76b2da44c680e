"""Retention plan (``bpmn/retention_plan.bpmn``): forms for the pre-churn signal, the plan library, each attempt, the
close and the evaluation, and the operation that sums the attempts up for the evaluation and the reports.

The report keys are ``outcome`` ("retained" | "lost"), ``churn_reason`` and ``retention_cost``; ``attempts``,
``attempts_cost`` and ``duration_days`` are kept on the ticket by ``retention_plan.summarise``.
"""

from engine import clock

PLANS = ["loyalty_discount", "bundle_upgrade", "service_recovery", "executive_visit", "contract_bonus", "custom"]
PLAN_LABELS = {
    "en": ["Loyalty discount", "Bundle upgrade", "Service recovery", "Executive visit", "Contract extension bonus",
           "A plan of my own"],
    "zh": ["忠诚折扣", "套餐升级", "服务补救", "高层拜访", "续约奖励", "自拟方案"],
}
PLAN_DESCRIPTIONS = {
    "en": ["10-20 % off the monthly fee for a 12-month commitment",
           "A richer bundle (more bandwidth, more lines) at the current price",
           "Remove the causes of the complaints: a senior engineer owns the account for three months",
           "A visit by the branch's management with a tailored offer",
           "Points or free months for extending the contract by a year",
           "Describe the plan below"],
    "zh": ["承诺在网 12 个月，月费优惠 10–20%", "原价升级更高套餐（带宽、线路）",
           "消除投诉根源：高级工程师专人负责三个月", "分公司领导拜访并提供定制方案",
           "续约一年赠送积分或免费月份", "在下方填写方案"],
}
SIGNALS = ["call_forwarding", "bill_anomaly", "competitor_calls", "rising_complaints"]
CHURN_REASONS = ["price", "competitor_offer", "service_quality", "relocation", "business_closed", "other"]


def summarise(call) -> dict:
    """No parameters. Counts the attempts, their cost and the days since the signal, and keeps them on the ticket
    for the evaluation and the reports."""
    attempts = call.data.get("attempts", [])
    summary = {"attempts": len(attempts), "attempts_cost": sum(a.get("cost", 0) for a in attempts),
               "duration_days": (clock.now() - call.ticket.created_at).days}
    call.record_on_ticket(summary)
    return summary


HANDLERS = {"retention_plan.summarise": summarise}

FORMS: dict[str, dict] = {
    "retention_plan.signal": {
        "type": "object",
        "title": "Pre-churn signal",
        "x-title-zh": "离网预警",
        "properties": {
            "signal": {
                "type": "string", "title": "Signal", "x-title-zh": "预警信号", "x-widget": "select", "enum": SIGNALS,
                "x-enum-labels": {"en": ["Call forwarding", "Bill anomaly", "Calls to a competitor",
                                         "Rising complaints"],
                                  "zh": ["呼叫转移", "账单异常", "拨打竞争对手电话", "投诉增多"]},
            },
            "details": {"type": "string", "title": "What was seen", "x-title-zh": "预警详情", "minLength": 1,
                        "x-widget": "textarea"},
            "detected_on": {"type": "string", "format": "date", "title": "Detected on", "x-title-zh": "发现日期",
                            "x-widget": "date"},
        },
        "required": ["signal", "details"],
        "additionalProperties": False,
    },
    "retention_plan.choose": {
        "type": "object",
        "title": "Choose a retention plan",
        "x-title-zh": "选择挽留方案",
        "properties": {
            "plan": {
                "type": "string", "title": "Plan", "x-title-zh": "挽留方案", "x-widget": "radio", "enum": PLANS,
                "x-enum-labels": PLAN_LABELS, "x-enum-descriptions": PLAN_DESCRIPTIONS,
            },
            "custom_plan": {"type": "string", "title": "The plan in your words", "x-title-zh": "自拟方案内容",
                            "minLength": 1, "x-widget": "textarea"},
            "budget": {"type": "number", "title": "Budget (yuan)", "x-title-zh": "预算（元）", "minimum": 0,
                       "x-widget": "number"},
        },
        "required": ["plan", "budget"],
        "if": {"properties": {"plan": {"const": "custom"}}},
        "then": {"required": ["custom_plan"]},
        "additionalProperties": False,
    },
    "retention_plan.attempt": {
        "type": "object",
        "title": "Record an attempt",
        "x-title-zh": "记录挽留执行",
        "properties": {
            "attempt_on": {"type": "string", "format": "date", "title": "Date", "x-title-zh": "日期",
                           "x-widget": "date"},
            "attempt_channel": {
                "type": "string", "title": "How", "x-title-zh": "方式", "x-widget": "select",
                "enum": ["visit", "call", "sms", "email"],
                "x-enum-labels": {"en": ["Visit", "Phone call", "SMS", "Email"],
                                  "zh": ["上门拜访", "电话", "短信", "邮件"]},
            },
            "attempt_result": {"type": "string", "title": "Result", "x-title-zh": "执行结果", "minLength": 1,
                               "x-widget": "textarea"},
            "attempt_cost": {"type": "number", "title": "Cost of this attempt (yuan)", "x-title-zh": "本次费用（元）",
                             "minimum": 0, "x-widget": "number"},
            "next_step": {
                "type": "string", "title": "Next", "x-title-zh": "下一步", "x-widget": "radio",
                "enum": ["another_attempt", "close"],
                "x-enum-labels": {"en": ["Another attempt", "Close the plan"], "zh": ["继续挽留", "结束方案"]},
            },
        },
        "required": ["attempt_on", "attempt_channel", "attempt_result", "attempt_cost", "next_step"],
        "additionalProperties": False,
    },
    "retention_plan.close": {
        "type": "object",
        "title": "Close the retention plan",
        "x-title-zh": "挽留结案",
        "properties": {
            "outcome": {
                "type": "string", "title": "Outcome", "x-title-zh": "挽留结果", "x-widget": "radio",
                "enum": ["retained", "lost"],
                "x-enum-labels": {"en": ["Retained", "Lost"], "zh": ["挽留成功", "挽留失败"]},
            },
            "churn_reason": {
                "type": "string", "title": "Churn reason", "x-title-zh": "离网原因", "x-widget": "select",
                "enum": CHURN_REASONS,
                "x-enum-labels": {"en": ["Price", "A competitor's offer", "Service quality", "Relocation",
                                         "Business closed", "Other"],
                                  "zh": ["资费", "竞争对手优惠", "服务质量", "迁址", "企业停业", "其他"]},
            },
            "customer_leaves": {
                "type": "boolean", "title": "The customer leaves the network", "x-title-zh": "客户离网",
                "description": "Only then is the customer archived as departed; a partly lost customer stays active.",
                "x-description-zh": "仅当客户整体离网时才将客户状态改为已离网；部分业务流失的客户保持在网。",
                "x-widget": "checkbox",
            },
            "summary": {"type": "string", "title": "Summary", "x-title-zh": "结案说明", "x-widget": "textarea"},
        },
        "required": ["outcome"],
        "if": {"properties": {"outcome": {"const": "lost"}}},
        "then": {"required": ["churn_reason", "customer_leaves"]},
        "additionalProperties": False,
    },
    "retention_plan.evaluate": {
        "type": "object",
        "title": "Evaluate the retention plan",
        "x-title-zh": "挽留评估",
        "properties": {
            "retention_cost": {"type": "number", "title": "Total retention cost (yuan)",
                               "x-title-zh": "挽留总成本（元）", "minimum": 0, "x-widget": "number"},
            "effectiveness": {
                "type": "string", "title": "Effectiveness", "x-title-zh": "方案成效", "x-widget": "radio",
                "enum": ["effective", "partly", "ineffective"],
                "x-enum-labels": {"en": ["Effective", "Partly effective", "Ineffective"],
                                  "zh": ["有效", "部分有效", "无效"]},
            },
            "lessons": {"type": "string", "title": "Lessons for the plan library", "x-title-zh": "经验总结",
                        "x-widget": "textarea"},
        },
        "required": ["retention_cost", "effectiveness"],
        "additionalProperties": False,
    },
}
