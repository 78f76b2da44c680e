"""Form schemas for the yellow channel complaint process, ``bpmn/yellow_complaint.bpmn``.

The field names are the variables the diagram's gateways read: ``category`` picks the department
(billing disputes and refunds go to billing), ``verdict`` is the supervisor's, ``branch_solved`` the
branch technical department's, ``satisfaction`` (1–5) and ``reopened`` decide whether a dissatisfied
customer's complaint is taken up again (once). ``satisfaction`` and ``reopened`` are report keys.
"""

from workflows.form_fields import choice, day, flag, form, grade, optional, text

FORMS: dict[str, dict] = {
    "yellow_complaint.complaint": form("Complaint", "投诉受理单", {
        "source": choice("Received through", "受理渠道", [
            ("account_manager", "Account manager", "客户经理"), ("hotline_1001", "Hotline 1001", "1001 热线"),
            ("hotline_10018", "Hotline 10018", "10018 热线"), ("web", "Web", "网站")], "radio"),
        "business_type": choice("Business type", "业务类型", [
            ("voice", "Fixed voice", "固定语音"), ("mobile", "Mobile", "移动业务"), ("broadband", "Broadband", "宽带"),
            ("leased_line", "Leased line", "专线"), ("idc", "IDC", "IDC"),
            ("value_added", "Value-added service", "增值业务")]),
        "category": choice("Category", "投诉类别", [
            ("network_quality", "Network quality", "网络质量"), ("service_attitude", "Service attitude", "服务态度"),
            ("business_handling", "Business handling", "业务办理"), ("billing_dispute", "Billing dispute", "账单争议"),
            ("charges_refund", "Charges and refunds", "收费与退费"), ("other", "Other", "其他")]),
        "content": text("Complaint content", "投诉内容", long=True),
        "deadline": day("Reply by", "答复时限"),
        "contact_phone": optional(text("Contact phone", "联系电话")),
    }, ["source", "business_type", "category", "content", "deadline"]),
    "yellow_complaint.handle": form("Handle the complaint", "部门处理", {
        "cause": text("Cause found", "原因", long=True),
        "action_taken": text("Action taken", "处理措施", long=True),
        "department_solved": flag("Solved by the department", "部门已解决"),
    }, ["cause", "action_taken", "department_solved"]),
    "yellow_complaint.supervise": form("Supervise the handling", "督办", {
        "verdict": choice("Verdict", "督办结论", [
            ("solved", "Solved: reply to the customer", "已解决，回复客户"),
            ("redo", "Back to the department", "退回部门重新处理"),
            ("escalate", "Escalate to the branch technical department", "升级至分公司技术部门")], "radio"),
        "comment": optional(text("Comment", "督办意见", long=True)),
    }, ["verdict"]),
    "yellow_complaint.escalated": form("Solve at the branch technical department", "分公司技术部门处理", {
        "analysis": text("Technical analysis", "技术分析", long=True),
        "action_taken": text("Action taken", "处理措施", long=True),
        "branch_solved": flag("Solved by the branch", "分公司已解决"),
    }, ["analysis", "action_taken", "branch_solved"]),
    "yellow_complaint.hq": form("Solve at headquarters", "总部大客户部处理", {
        "resolution": text("Resolution", "解决方案", long=True),
    }, ["resolution"]),
    "yellow_complaint.reply": form("Reply to the customer", "回复客户", {
        "reply": text("Reply to the customer", "答复内容", long=True),
        "reply_channel": choice("Replied by", "答复方式", [
            ("phone", "Phone", "电话"), ("sms", "SMS", "短信"), ("visit", "Visit", "上门"),
            ("email", "Email", "电子邮件")], "radio"),
    }, ["reply", "reply_channel"]),
    "yellow_complaint.satisfaction": form("Record satisfaction", "满意度回访", {
        "satisfaction": grade("Customer satisfaction", "客户满意度", [
            (1, "1 very dissatisfied", "1 非常不满意"), (2, "2 dissatisfied", "2 不满意"), (3, "3 neutral", "3 一般"),
            (4, "4 satisfied", "4 满意"), (5, "5 very satisfied", "5 非常满意")], "radio"),
        "satisfaction_comment": optional(text("What the customer said", "客户意见", long=True)),
    }, ["satisfaction"]),
    "yellow_complaint.reopen": form("Reopen the complaint?", "是否重新处理", {
        "reopened": flag("The customer wants it taken up again", "客户要求重新处理"),
        "reopen_reason": text("Why", "原因", long=True),
    }, ["reopened", "reopen_reason"]),
}
