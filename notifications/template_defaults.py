# ruff: noqa: E501  (message text reads best unbroken; Chinese characters count double)
"""The message templates KeyDesk ships, per event and language: (subject, body) in Jinja2 syntax.

An admin's saved version replaces one of these (see templates.py); these stay as the fallback and the
starting point of the editor. Variables: `ticket` (number, title, priority, channel, status, customer,
data), `recipient` (name), `task` (name, role, due_at), `sla` (kind, due_at, rung, role), `customer`
(name, code, tier), `data` (the ticket's data plus what the diagram passed), `labels` (the same values with
each form choice as its label in the recipient's language: `labels.service` reads 专线 or Leased line where
`data.service` is leased_line), `subject` and `body` (the text a diagram's service task gave); the customer's notices (notice_*) also
`promises` (each running promise of the ticket: name, due_at) and `call` (whom the customer may call: name, phone).
"""

SLA_KIND_ZH = '{{ {"response": "响应", "resolution": "处理"}.get(sla.kind, sla.kind) }}'
# The customer's notices name each promise of the ticket (engine.promises) by what the customer was promised.
PROMISE_EN = ('{{ {"response": "an answer", "on_site": "an engineer on site", "resolution": "the service restored", '
              '"reply": "a reply to your complaint"}.get(p.name, p.name) }}')
PROMISE_ZH = ('{{ {"response": "响应", "on_site": "工程师到场", "resolution": "恢复业务", "reply": "答复您的投诉"}'
              '.get(p.name, p.name) }}')
CALL_EN = ("{% if call.phone %} Questions: {{ call.name or 'our key-account hotline' }}, {{ call.phone }}."
           "{% endif %}")
CALL_ZH = "{% if call.phone %}如有疑问请联系{{ call.name or '大客户服务热线' }}：{{ call.phone }}。{% endif %}"

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "task_assigned": {
        "en": ("[{{ ticket.number }}] New task for you: {{ task.name }}",
               "{{ recipient.name }},\n\n'{{ task.name }}' on ticket {{ ticket.number }} ({{ ticket.title }}) "
               "is yours now.\nPriority: {{ ticket.priority }}{% if task.due_at %}\nDue: {{ task.due_at }}{% endif %}\n"),
        "zh_CN": ("[{{ ticket.number }}] 新任务：{{ task.name }}",
                  "{{ recipient.name }}：\n\n工单 {{ ticket.number }}（{{ ticket.title }}）的任务“{{ task.name }}”已分派给您。"
                  "\n优先级：{{ ticket.priority }}{% if task.due_at %}\n截止时间：{{ task.due_at }}{% endif %}\n"),
    },
    "sla_warning": {
        "en": ("[{{ ticket.number }}] {{ sla.kind|capitalize }} of '{{ sla.step }}' is due at {{ sla.due_at }}",
               "Ticket {{ ticket.number }}: {{ ticket.title }}\n{{ sla.kind|capitalize }} of '{{ sla.step }}' "
               "is due at {{ sla.due_at }}.\nPriority: {{ ticket.priority }}\n"),
        "zh_CN": ("[{{ ticket.number }}] “{{ sla.step }}”" + SLA_KIND_ZH + "时限将于 {{ sla.due_at }} 到期",
                  "工单 {{ ticket.number }}：{{ ticket.title }}\n“{{ sla.step }}”的" + SLA_KIND_ZH
                  + "时限将于 {{ sla.due_at }} 到期。\n优先级：{{ ticket.priority }}\n"),
    },
    "sla_breached": {
        "en": ("[{{ ticket.number }}] {{ sla.kind|capitalize }} of '{{ sla.step }}' breached its SLA"
               "{% if sla.rung %} (escalation level {{ sla.rung }}: {{ sla.role }}){% endif %}",
               "Ticket {{ ticket.number }}: {{ ticket.title }}\n{{ sla.kind|capitalize }} of '{{ sla.step }}' "
               "was due at {{ sla.due_at }}.{% if sla.rung %}\nEscalation level {{ sla.rung }}: {{ sla.role }}."
               "{% endif %}\nPriority: {{ ticket.priority }}\n"),
        "zh_CN": ("[{{ ticket.number }}] “{{ sla.step }}”" + SLA_KIND_ZH + "超时"
                  "{% if sla.rung %}（第 {{ sla.rung }} 级升级：{{ sla.role }}）{% endif %}",
                  "工单 {{ ticket.number }}：{{ ticket.title }}\n“{{ sla.step }}”的" + SLA_KIND_ZH
                  + "时限 {{ sla.due_at }} 已过。{% if sla.rung %}\n第 {{ sla.rung }} 级升级：{{ sla.role }}。{% endif %}"
                  "\n优先级：{{ ticket.priority }}\n"),
    },
    "ticket_closed": {
        "en": ("[{{ ticket.number }}] Ticket closed: {{ ticket.title }}",
               "Ticket {{ ticket.number }} ({{ ticket.title }}) is closed.\n"),
        "zh_CN": ("[{{ ticket.number }}] 工单已关闭：{{ ticket.title }}",
                  "工单 {{ ticket.number }}（{{ ticket.title }}）已办结。\n"),
    },
    "activation_notice": {
        "en": ("[{{ ticket.number }}] Your service is active",
               "Dear {{ customer.name }}, your service ordered under {{ ticket.number }} is active"
               "{% if data.activation_date %} from {{ data.activation_date }}{% endif %}"
               "{% if data.billing_start %}; billing starts {{ data.billing_start }}{% endif %}.\n"),
        "zh_CN": ("[{{ ticket.number }}] 业务开通通知",
                  "尊敬的{{ customer.name }}：您在工单 {{ ticket.number }} 办理的业务"
                  "{% if data.activation_date %}已于 {{ data.activation_date }} {% endif %}开通"
                  "{% if data.billing_start %}，自 {{ data.billing_start }} 起计费{% endif %}。\n"),
    },
    "dunning_reminder": {
        "en": ("[{{ ticket.number }}] Payment reminder",
               "Dear {{ customer.name }}, your account is in arrears"
               "{% if data.arrears_amount %} by {{ data.arrears_amount }} yuan{% endif %}. "
               "Please pay{% if data.due_date %} by {{ data.due_date }}{% endif %} (ref. {{ ticket.number }}).\n"),
        "zh_CN": ("[{{ ticket.number }}] 缴费提醒",
                  "尊敬的{{ customer.name }}：您的账户已欠费{% if data.arrears_amount %} {{ data.arrears_amount }} 元"
                  "{% endif %}，请{% if data.due_date %}于 {{ data.due_date }} 前{% endif %}缴清（工单 {{ ticket.number }}）。\n"),
    },
    "contract_expiry": {
        "en": ("{% if ticket %}[{{ ticket.number }}] {% endif %}Contract {{ data.contract_no }} expires on "
               "{{ data.expires_on or data.contract_end }}",
               "{% set ends = data.expires_on or data.contract_end %}The contract of {{ customer.name or data.customer_name }}{% if data.contract_no %} ({{ data.contract_no }}){% endif %} "
               "expires{% if ends %} on {{ ends }}{% else %} soon{% endif %}"
               "{% if data.days_left is number %}, in {{ data.days_left }} days{% endif %}: agree the renewal with the customer."
               "{% if ticket %} Ticket {{ ticket.number }}.{% endif %}\n"),
        "zh_CN": ("{% if ticket %}[{{ ticket.number }}] {% endif %}合同 {{ data.contract_no }} 将于 "
                  "{{ data.expires_on or data.contract_end }} 到期",
                  "{% set ends = data.expires_on or data.contract_end %}{{ customer.name or data.customer_name }}的合同{% if data.contract_no %}（{{ data.contract_no }}）{% endif %}"
                  "{% if ends %}将于 {{ ends }} 到期{% else %}即将到期{% endif %}"
                  "{% if data.days_left is number %}（还有 {{ data.days_left }} 天）{% endif %}，请与客户商谈续约。"
                  "{% if ticket %}工单 {{ ticket.number }}。{% endif %}\n"),
    },
    "retention_alert": {
        "en": ("[{{ ticket.number }}] Churn risk: {{ customer.name }}",
               "{{ customer.name }} (tier {{ customer.tier }}) shows a pre-churn signal"
               "{% if data.signal %}: {{ labels.signal }}{% endif %}.{% if data.details %}\n{{ data.details }}{% endif %}"
               "\nRetention ticket {{ ticket.number }}.\n"),
        "zh_CN": ("[{{ ticket.number }}] 离网预警：{{ customer.name }}",
                  "{{ customer.name }}（{{ customer.tier }} 类）出现离网预兆{% if data.signal %}：{{ labels.signal }}{% endif %}。"
                  "{% if data.details %}\n{{ data.details }}{% endif %}\n挽留工单 {{ ticket.number }}。\n"),
    },
    "account_manager_missing": {
        "en": ("[{{ ticket.number }}] No account manager for {{ customer.name or ticket.title }}",
               "Ticket {{ ticket.number }} ({{ ticket.title }}): the customer{% if customer.name %} "
               "{{ customer.name }}{% endif %} has no account manager who can act on it, so the account manager's "
               "work waits in the manager queue. Name an account manager on the customer's record.\n"),
        "zh_CN": ("[{{ ticket.number }}] {{ customer.name or ticket.title }}没有可用的客户经理",
                  "工单 {{ ticket.number }}（{{ ticket.title }}）：客户{% if customer.name %}{{ customer.name }}{% endif %}"
                  "没有能处理此单的客户经理，客户经理的任务已转入客户经理队列。请在客户档案中指定客户经理。\n"),
    },
    "fault_alert": {
        "en": ("[{{ ticket.number }}] Level-{{ data.fault_level }} fault: {{ labels.service }}",
               "Level-{{ data.fault_level }} fault on {{ labels.service }} ({{ labels.impact }})"
               "{% if customer.name %} for {{ customer.name }}{% endif %}: {{ data.description }}"
               "{% if data.contact_phone %}\nContact: {{ data.contact_phone }}{% endif %}\n"),
        "zh_CN": ("[{{ ticket.number }}] {{ data.fault_level }}级故障：{{ labels.service }}",
                  "{% if customer.name %}{{ customer.name }}的{% endif %}{{ labels.service }}发生{{ data.fault_level }}级故障"
                  "（{{ labels.impact }}）：{{ data.description }}"
                  "{% if data.contact_phone %}\n联系电话：{{ data.contact_phone }}{% endif %}\n"),
    },
    "compensation_notice": {
        "en": ("[{{ ticket.number }}] Compensation for your service interruption",
               "Dear {{ customer.name or 'customer' }}, we have granted you {{ data.amount }} yuan "
               "({{ labels.method }}) for the interruption of your {{ labels.service }} service. "
               "Ticket {{ ticket.number }}.\n"),
        "zh_CN": ("[{{ ticket.number }}] 故障赔偿通知",
                  "尊敬的{{ customer.name or '客户' }}：您的{{ labels.service }}业务中断，我们已给予您 {{ data.amount }} 元赔偿"
                  "（{{ labels.method }}）。工单 {{ ticket.number }}。\n"),
    },
    "complaint_escalated": {
        "en": ("[{{ ticket.number }}] Complaint escalated to {{ {\"tech\": \"the branch technical department\", "
               "\"hq\": \"headquarters' key-account desk\"}.get(subject, subject) }}: {{ labels.category }}",
               "{% if customer.name %}{{ customer.name }}: {% endif %}{{ labels.category }} ({{ labels.business_type }})"
               "\n{{ data.content }}\nReply by: {{ data.deadline }}{% if data.analysis %}\nBranch analysis: "
               "{{ data.analysis }}{% endif %}\n"),
        "zh_CN": ("[{{ ticket.number }}] 投诉升级至{{ {\"tech\": \"分公司技术部门\", \"hq\": \"总部大客户部\"}.get(subject, subject) }}"
                  "：{{ labels.category }}",
                  "{% if customer.name %}{{ customer.name }}：{% endif %}{{ labels.category }}（{{ labels.business_type }}）"
                  "\n{{ data.content }}\n答复时限：{{ data.deadline }}{% if data.analysis %}\n分公司分析："
                  "{{ data.analysis }}{% endif %}\n"),
    },
    "notice_opened": {
        "en": ("[{{ ticket.number }}] We have your request",
               "Dear {{ customer.name or 'customer' }}, we have registered your request as ticket {{ ticket.number }}"
               " ({{ ticket.title }}).{% for p in promises %} We promise " + PROMISE_EN + " by {{ p.due_at }}."
               "{% endfor %}" + CALL_EN + "\n"),
        "zh_CN": ("[{{ ticket.number }}] 您的申告已受理",
                  "尊敬的{{ customer.name or '客户' }}：您的申告（{{ ticket.title }}）已受理，工单号 {{ ticket.number }}。"
                  "{% for p in promises %}我们承诺于 {{ p.due_at }} 前" + PROMISE_ZH + "。{% endfor %}" + CALL_ZH + "\n"),
    },
    "notice_dispatched": {
        "en": ("[{{ ticket.number }}] Our engineer is on site",
               "Dear {{ customer.name or 'customer' }}, our engineer {{ data.engineer }} is on site"
               "{% if data.arrived_at %} since {{ data.arrived_at }}{% endif %} for ticket {{ ticket.number }}."
               + CALL_EN + "\n"),
        "zh_CN": ("[{{ ticket.number }}] 工程师已到场",
                  "尊敬的{{ customer.name or '客户' }}：工单 {{ ticket.number }} 的工程师{{ data.engineer }}"
                  "{% if data.arrived_at %}已于 {{ data.arrived_at }} {% endif %}到达现场。" + CALL_ZH + "\n"),
    },
    "notice_restored": {
        "en": ("[{{ ticket.number }}] Your service is restored",
               "Dear {{ customer.name or 'customer' }}, your {{ labels.service or 'service' }} is restored "
               "(ticket {{ ticket.number }}){% if data.cause %}. Cause: {{ data.cause }}{% endif %}." + CALL_EN + "\n"),
        "zh_CN": ("[{{ ticket.number }}] 业务已恢复",
                  "尊敬的{{ customer.name or '客户' }}：您的{{ labels.service or '业务' }}已恢复（工单 {{ ticket.number }}）"
                  "{% if data.cause %}，故障原因：{{ data.cause }}{% endif %}。" + CALL_ZH + "\n"),
    },
    "notice_progress": {
        "en": ("[{{ ticket.number }}] Construction progress",
               "Dear {{ customer.name or 'customer' }}, the construction for ticket {{ ticket.number }} is "
               "{{ data.progress_percent }}% done{% if data.progress_note %}: {{ data.progress_note }}{% endif %}."
               + CALL_EN + "\n"),
        "zh_CN": ("[{{ ticket.number }}] 施工进度",
                  "尊敬的{{ customer.name or '客户' }}：工单 {{ ticket.number }} 的工程已完成 {{ data.progress_percent }}%"
                  "{% if data.progress_note %}（{{ data.progress_note }}）{% endif %}。" + CALL_ZH + "\n"),
    },
    "notice_closed": {
        "en": ("[{{ ticket.number }}] Your ticket is closed",
               "Dear {{ customer.name or 'customer' }}, ticket {{ ticket.number }} ({{ ticket.title }}) is closed. "
               "Thank you." + CALL_EN + "\n"),
        "zh_CN": ("[{{ ticket.number }}] 工单已办结",
                  "尊敬的{{ customer.name or '客户' }}：工单 {{ ticket.number }}（{{ ticket.title }}）已办结，感谢您的支持。"
                  + CALL_ZH + "\n"),
    },
    "process_message": {
        "en": ("[{{ ticket.number }}] {{ subject }}", "{{ body }}"),
        "zh_CN": ("[{{ ticket.number }}] {{ subject }}", "{{ body }}"),
    },
    "customer_notice": {
        "en": ("[{{ ticket.number }}] {{ subject }}", "{{ body }}"),
        "zh_CN": ("[{{ ticket.number }}] {{ subject }}", "{{ body }}"),
    },
    "contract_refused": {
        "en": ("[{{ ticket.number }}] Contract {{ data.contract_no }} {{ 'withdrawn by the customer' if data.contract_status == 'withdrawn' else 'refused' }}: {{ customer.name }}",
               "{{ customer.name }}: contract {{ data.contract_no }} ({{ data.amount }} yuan, {{ data.term_months }} months) was "
               "{% if data.contract_status == 'withdrawn' %}withdrawn by the customer{% set why = data.customer_comment %}"
               "{% elif data.vp_decision == 'reject' %}refused by the vice-president{% set why = data.vp_comment %}"
               "{% else %}refused by the director{% set why = data.director_comment %}{% endif %}."
               "{% if why %}\nReason: {{ why }}{% endif %}\nTicket {{ ticket.number }}: {{ ticket.title }}\n"),
        "zh_CN": ("[{{ ticket.number }}] 合同 {{ data.contract_no }}{{ '被客户撤回' if data.contract_status == 'withdrawn' else '未获批准' }}：{{ customer.name }}",
                  "{{ customer.name }}：合同 {{ data.contract_no }}（{{ data.amount }} 元，{{ data.term_months }} 个月）"
                  "{% if data.contract_status == 'withdrawn' %}已被客户撤回{% set why = data.customer_comment %}"
                  "{% elif data.vp_decision == 'reject' %}被副总驳回{% set why = data.vp_comment %}"
                  "{% else %}被总监驳回{% set why = data.director_comment %}{% endif %}。"
                  "{% if why %}\n原因：{{ why }}{% endif %}\n工单 {{ ticket.number }}：{{ ticket.title }}\n"),
    },
    "contract_refused_notice": {
        "en": ("[{{ ticket.number }}] Your contract {{ data.contract_no }}",
               "Dear {{ customer.name or 'customer' }}, {% if data.contract_status == 'withdrawn' %}as you asked, contract "
               "{{ data.contract_no }} has been withdrawn{% else %}we could not approve contract {{ data.contract_no }} as drafted"
               "{% endif %}. Your account manager will contact you. Ref. {{ ticket.number }}.\n"),
        "zh_CN": ("[{{ ticket.number }}] 关于合同 {{ data.contract_no }}",
                  "尊敬的{{ customer.name or '客户' }}：{% if data.contract_status == 'withdrawn' %}合同 {{ data.contract_no }} 已按您的要求撤回"
                  "{% else %}合同 {{ data.contract_no }} 按现有条款未能获批{% endif %}，客户经理将与您联系。工单 {{ ticket.number }}。\n"),
    },
    # Reply templates: the desk picks one on the ticket page, edits the text and sends it to the customer.
    "reply_received": {
        "en": ("[{{ ticket.number }}] We have your request",
               "Dear {{ customer.name or 'customer' }}, we have received your request \"{{ ticket.title }}\" and recorded it as ticket {{ ticket.number }}. We will keep you informed."),
        "zh_CN": ("[{{ ticket.number }}] 已受理您的诉求",
                  "尊敬的{{ customer.name or '客户' }}：您反映的“{{ ticket.title }}”已受理，工单号 {{ ticket.number }}，我们将及时告知处理进展。"),
    },
    "reply_progress": {
        "en": ("[{{ ticket.number }}] We are working on it",
               "Dear {{ customer.name or 'customer' }}, we are working on ticket {{ ticket.number }} (\"{{ ticket.title }}\"). "),
        "zh_CN": ("[{{ ticket.number }}] 处理进展",
                  "尊敬的{{ customer.name or '客户' }}：工单 {{ ticket.number }}（{{ ticket.title }}）正在处理中。"),
    },
    "reply_solved": {
        "en": ("[{{ ticket.number }}] Solved",
               "Dear {{ customer.name or 'customer' }}, ticket {{ ticket.number }} (\"{{ ticket.title }}\") is solved. Thank you for your patience."),
        "zh_CN": ("[{{ ticket.number }}] 已处理完毕",
                  "尊敬的{{ customer.name or '客户' }}：工单 {{ ticket.number }}（{{ ticket.title }}）已处理完毕，感谢您的耐心等待。"),
    },
}

# What the preview and the check of an edited template render with: one made-up ticket of each kind.
SAMPLE_TICKET = {"number": "R-2026-000042", "title": "Leased line down / 专线中断", "priority": "high",
                 "channel": "red", "status": "open", "customer": "Shanghai Port Logistics Group",
                 "data": {"fault_level": 1}}
SAMPLE = {
    "ticket": SAMPLE_TICKET,
    "recipient": {"name": "Chen Jing", "username": "supervisor"},
    "task": {"name": "Repair the fault", "role": "tech", "due_at": "2026-11-23 10:45"},
    "sla": {"kind": "resolution", "step": "Repair the fault", "due_at": "2026-11-23 10:45", "rung": 1,
            "role": "supervisor"},
    "customer": {"name": "Shanghai Port Logistics Group", "code": "G0001", "tier": "A+"},
    "data": {"fault_level": 1, "activation_date": "2026-12-01", "billing_start": "2026-12-01",
             "arrears_amount": 1280.5, "due_date": "2026-12-10", "contract_no": "HT-2025-0099",
             "expires_on": "2027-01-31", "signal": "call forwarding to a competitor",
             "engineer": "Zhang Lei", "arrived_at": "2026-11-23 10:38", "cause": "Fibre cut", "progress_percent": 60,
             "progress_note": "Cable laid to the port office"},
    "labels": {"fault_level": 1, "service": "Leased line / 专线", "impact": "Outage / 中断",
               "method": "Bill credit / 话费减免", "signal": "Calls to a competitor / 拨打竞争对手电话"},
    "promises": [{"name": "response", "due_at": "2026-11-23 10:10"}, {"name": "on_site", "due_at": "2026-11-23 10:45"}],
    "call": {"name": "Wang Fang", "phone": "+8613800000002"},
    "subject": "Level-1 fault / 一级故障",
    "body": "Port office offline / 港口办公室断网",
}
