"""Form schemas for the yellow channel billing and dunning process, ``bpmn/yellow_dunning.bpmn``.

The diagram's gateways read ``arrears_confirmed``, ``paid``, ``service_decision`` and ``credit_confirmed``;
its decision table reads the customer's tier (from the ``customer_profile`` service task) and
``arrears_amount``, a report key, which the check may correct.
"""

from workflows.form_fields import amount, choice, day, field, flag, form, optional, text

FORMS: dict[str, dict] = {
    "yellow_dunning.arrears": form("Arrears", "欠费信息", {
        "billing_period": field("string", "Billing period (YYYY-MM)", "账期（年-月）", "text",
                                pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
        "arrears_amount": amount("Arrears (yuan)", "欠费金额（元）", positive=True),
        "overdue_since": day("Overdue since", "逾期日期"),
    }, ["billing_period", "arrears_amount", "overdue_since"]),
    "yellow_dunning.check": form("Check contract, credit and arrears", "核查合同、信用与欠费", {
        "contract_number": text("Contract number", "合同编号"),
        "contract_status": choice("Contract status", "合同状态", [
            ("valid", "Valid", "有效"), ("expired", "Expired", "已到期"), ("terminated", "Terminated", "已终止")]),
        "arrears_amount": amount("Arrears confirmed (yuan)", "核实欠费金额（元）"),
        "arrears_confirmed": flag("The customer really owes this", "确认欠费"),
        "check_notes": optional(text("Notes", "备注", long=True)),
    }, ["contract_number", "contract_status", "arrears_amount", "arrears_confirmed"]),
    "yellow_dunning.attempt": form("Dunning attempt", "催缴记录", {
        "contact_result": choice("Result", "催缴结果", [
            ("promised_to_pay", "Promised to pay", "承诺缴费"), ("disputed", "Disputes the bill", "对账单有异议"),
            ("refused", "Refused to pay", "拒绝缴费"), ("unreachable", "Not reached", "未联系上")], "radio"),
        "promised_date": day("Promised payment date", "承诺缴费日期"),
        "attempt_notes": optional(text("Notes", "备注", long=True)),
    }, ["contact_result"]),
    "yellow_dunning.payment": form("Record the attempt's result", "记录催缴结果", {
        "paid": flag("Paid in full", "已足额缴费"),
        "paid_amount": amount("Amount received (yuan)", "到账金额（元）"),
        "payment_notes": optional(text("Notes", "备注", long=True)),
    }, ["paid", "paid_amount"]),
    "yellow_dunning.service": form("Decide on the service", "停机决定", {
        "service_decision": choice("Service", "服务处理", [
            ("keep_service", "Keep the service running", "保持服务"),
            ("suspend_service", "Suspend the service", "停机")], "radio"),
        "decision_reason": text("Reason", "理由", long=True),
    }, ["service_decision", "decision_reason"]),
    "yellow_dunning.credit": form("Confirm the credit level change", "确认信用等级调整", {
        "credit_confirmed": flag("Lower the credit level (red → grey → black)", "降低信用等级（红→灰→黑）"),
        "credit_reason": text("Reason", "理由", long=True),
    }, ["credit_confirmed", "credit_reason"]),
}
