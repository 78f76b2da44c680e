"""What each diagram problem says, in English and Chinese: what is wrong (message) and what to do (hint).

The deploy check names a problem by a code and the values it found; the wording lives here, once per
language, so that the API, the CLI and the modeller page all say the same thing.
"""

import re

# code: (message, hint, message_zh, hint_zh); {placeholders} are filled from the check's values.
TEXTS: dict[str, tuple[str, str, str, str]] = {
    "too_large": (
        "the {what} is larger than {mb} MB",
        "remove embedded images or documentation, or split the diagram; KeyDesk reads up to {mb} MB",
        "{what_zh}超过 {mb} MB",
        "删除嵌入的图片或文档，或拆分流程图；KeyDesk 最多读取 {mb} MB"),
    "not_utf8": (
        "the {what} is not UTF-8 text (byte {byte})",
        "save or export the file as UTF-8 (the encoding option of your modeller's export dialog)",
        "{what_zh}不是 UTF-8 文本（第 {byte} 字节）",
        "以 UTF-8 编码保存或导出该文件（建模工具导出对话框中的编码选项）"),
    "doctype": (
        "the {what} has a DOCTYPE or ENTITY declaration: not allowed",
        "remove the <!DOCTYPE …> block: BPMN needs none, and KeyDesk never expands entities",
        "{what_zh}含有 DOCTYPE 或 ENTITY 声明，不允许",
        "删除 <!DOCTYPE …> 部分：BPMN 不需要它，KeyDesk 也不会展开实体"),
    "not_xml": (
        "the {what} is not well-formed XML: {detail}",
        "fix the XML at this line, or export the diagram again from your modeller",
        "{what_zh}不是格式正确的 XML：{detail}",
        "修正此行的 XML，或从建模工具重新导出流程图"),
    "not_bpmn": (
        "not valid BPMN: {detail}",
        "this element or attribute does not fit the BPMN 2.0 schema: remove it, or export again as "
        "standard BPMN 2.0 XML",
        "不是有效的 BPMN：{detail}",
        "该元素或属性不符合 BPMN 2.0 规范：删除它，或重新导出为标准 BPMN 2.0 XML"),
    "no_process": (
        "the diagram has no process",
        "draw a process: a pool with a start event, the tasks and an end event",
        "流程图中没有流程",
        "画出一个流程：包含开始事件、任务和结束事件的池"),
    "not_executable": (
        "the diagram has no executable process (isExecutable=\"true\"): {process} is not marked executable",
        "mark the process as executable (\"Executable\" in the modeller, isExecutable=\"true\" in the XML)",
        "流程图中没有可执行的流程（isExecutable=\"true\"）：{process} 未标记为可执行",
        "将该流程标记为可执行（建模工具中勾选“可执行”，XML 中为 isExecutable=\"true\"）"),
    "channel": (
        "the process needs a property 'channel' with one of {channels} (found {found})",
        "add the property channel = green, yellow or red to the process",
        "流程需要属性 channel，取值为 {channels} 之一（现为 {found}）",
        "为流程添加属性 channel = green（绿色通道）、yellow（黄色通道）或 red（红色通道）"),
    "lane_role": (
        "lane name {lane} is not a KeyDesk role",
        "name the lane after one of {roles}",
        "泳道名称 {lane} 不是 KeyDesk 的角色",
        "将泳道命名为以下角色之一：{roles}"),
    "task_no_lane": (
        "this task is in no lane",
        "put it in the lane of the role that works it",
        "此任务不在任何泳道中",
        "把它放到负责处理它的角色所在的泳道中"),
    "task_assignee": (
        "assignee must be 'creator', 'account_manager' or the id of a user task of this process, not {value}",
        "write creator (the person who opened the ticket) or the id of an earlier user task whose worker keeps "
        "the case",
        "assignee 必须是 creator、account_manager 或本流程中某个用户任务的 id，而不是 {value}",
        "填写 creator（开单人）或前面某个用户任务的 id（由完成该任务的人负责到底）"),
    "promise": (
        "{name} = {value} is not a promise KeyDesk can keep",
        "write '<ISO 8601 duration or data.<field>> until <element id> [when <element id>]' with elements of this "
        "process and a name of at most 12 characters, e.g. PT45M until dispatch_on_site",
        "{name} = {value} 不是有效的承诺时限",
        "按“<ISO 8601 时长或 data.<字段>> until <元素 id> [when <元素 id>]”填写，元素须属于本流程，"
        "名称不超过 12 个字符，例如 PT45M until dispatch_on_site"),
    "customer_notices": (
        "customer_notices names {value}, which is no moment of a ticket",
        "list the moments the customer is told of, among {moments}, e.g. opened, closed",
        "customer_notices 中的 {value} 不是工单的通知时机",
        "请从 {moments} 中选择要通知客户的时机，例如 opened, closed"),
    "unknown_form": (
        "unknown form {form}",
        "choose one of the forms KeyDesk knows: {forms}",
        "未知的表单 {form}",
        "请选择 KeyDesk 已有的表单之一：{forms}"),
    "sla_duration": (
        "{name} must be an ISO 8601 duration such as PT4H, not {value}",
        "write the duration as ISO 8601: PT30M is 30 minutes, PT4H 4 hours, P2D 2 days",
        "{name} 必须是 ISO 8601 时长（例如 PT4H），而不是 {value}",
        "按 ISO 8601 填写时长：PT30M 为 30 分钟，PT4H 为 4 小时，P2D 为 2 天"),
    "cardinality_bound": (
        "{detail}",
        "loop over a list of at most {limit} items, or split the work into several tickets",
        "{detail_zh}",
        "对不超过 {limit} 项的列表循环，或将工作拆分到多个工单"),
    "timer_bound": (
        "{detail}",
        "repeat at most once a minute (R/PT1M or slower) and wait at most ten years",
        "{detail_zh}",
        "重复间隔至少一分钟（R/PT1M 或更慢），等待时间最多十年"),
    "timer_start": (
        "timer start event: {detail}",
        "give a literal ISO 8601 date (2026-01-01T02:00:00+08:00), duration (PT1H) or repeating interval "
        "(R/2026-01-01T02:00:00+08:00/P1M)",
        "定时开始事件的值 {value} 不是可排程的 ISO 8601 字面值",
        "填写 ISO 8601 日期（2026-01-01T02:00:00+08:00）、时长（PT1H）或重复间隔（R/2026-01-01T02:00:00+08:00/P1M）"),
    "sla_duration_bound": (
        "{name}: {detail}",
        "an SLA target is at most ten years",
        "{name}：{detail_zh}",
        "SLA 目标最多十年"),
    "gateway_condition": (
        "this {kind} gateway ({gateway}) has an outgoing flow without a condition",
        "add a condition or make it the default flow",
        "此{kind_zh}网关（{gateway}）有一条没有条件的出口连线",
        "为这条连线添加条件，或将其设为网关的默认连线"),
    "code": (
        "{detail}",
        "write a plain Python expression over the ticket's data; imports, names starting with '_', "
        "files and the network are not available",
        "这段代码不允许在沙箱中运行：{detail}",
        "请写简单的 Python 表达式，只使用工单数据；不能导入模块、使用以下划线开头的名称、访问文件或网络"),
    "code_juel": (
        "{detail}",
        "conditions are Python in KeyDesk, not ${{…}} (JUEL): write {suggestion}",
        "这段代码不允许在沙箱中运行：{detail}",
        "KeyDesk 的条件是 Python 表达式，不是 ${{…}}（JUEL）写法：请写成 {suggestion}"),
    "code_feel": (
        "{detail}",
        "conditions are Python in KeyDesk, not FEEL (= …): write {suggestion}",
        "这段代码不允许在沙箱中运行：{detail}",
        "KeyDesk 的条件是 Python 表达式，不是 FEEL（= …）写法：请写成 {suggestion}"),
    "call_missing": (
        "calls the process {called}, which is not deployed",
        "deploy that process first, or send its diagram in the same bundle",
        "调用的流程 {called} 尚未部署",
        "请先部署被调用的流程，或把它的流程图放在同一个部署包中一起部署"),
    "call_unnamed": (
        "this call activity names no process to call",
        "set the called element to the id of a deployed process",
        "此调用活动没有指定要调用的流程",
        "将被调用元素（calledElement）设为已部署流程的 id"),
    "service_unknown": (
        "unknown service operation {operation}",
        "use one of {handlers}",
        "未知的服务操作 {operation}",
        "请使用以下操作之一：{handlers}"),
    "service_parameter": (
        "parameter {parameter}: {detail}",
        "write the parameter as a plain Python expression over the ticket's data",
        "参数 {parameter}：{detail}",
        "请将参数写成只使用工单数据的简单 Python 表达式"),
    "decision_code": (
        "{detail}",
        "write the cell as a plain Python expression or value (\"A+\", > 5, -)",
        "决策表单元格不允许在沙箱中运行：{detail}",
        "请将单元格写成简单的 Python 表达式或取值（\"A+\"、> 5、-）"),
    "engine": (
        "{detail}",
        "change this element so that SpiffWorkflow, KeyDesk's process engine, can run it",
        "流程引擎 SpiffWorkflow 无法执行此元素：{detail}",
        "修改此元素，使流程引擎可以执行它"),
    "engine_operator": (
        "{detail}",
        "choose the KeyDesk operation this service task runs (spiffworkflow:serviceTaskOperator)",
        "服务任务缺少操作：{detail}",
        "为该服务任务选择要执行的 KeyDesk 操作（spiffworkflow:serviceTaskOperator）"),
    "engine_data_store": (
        "{detail}",
        "remove the data store: a ticket keeps its data itself, and KeyDesk runs no external data stores",
        "数据存储没有实现：{detail}",
        "删除该数据存储：工单自己保存数据，KeyDesk 不连接外部数据存储"),
    "engine_start_events": (
        "{detail}",
        "give the subprocess exactly one start event",
        "子流程的开始事件数量不对：{detail}",
        "让子流程只有一个开始事件"),
    "unreadable": (
        "the diagram cannot be read: {detail}",
        "export the diagram again as standard BPMN 2.0 XML, or simplify the element named here",
        "无法读取流程图：{detail}",
        "请重新导出为标准 BPMN 2.0 XML，或简化此处提到的元素"),
    "too_many_elements": (
        "the diagram has {count} elements; KeyDesk checks and runs diagrams of up to {limit}",
        "split the process: move parts into called processes (call activities) deployed on their own",
        "流程图有 {count} 个元素；KeyDesk 最多检查和运行 {limit} 个元素的流程图",
        "拆分流程：把部分步骤移到单独部署的被调用流程（调用活动）中"),
    "name_too_long": (
        "the process name has {length} characters; at most {limit} are allowed",
        "shorten the name; put the details in the documentation of the process",
        "流程名称有 {length} 个字符，最多允许 {limit} 个",
        "缩短名称；详细说明请写在流程的文档中"),
    "no_outgoing": (
        "{name}: this {kind} has no outgoing flow, so a ticket stops here without reaching an end event",
        "draw a flow from it to the next step, or to an end event if the process really ends here",
        "“{name}”：此{kind_zh}没有出口连线，工单到这里会停住，到不了结束事件",
        "从这里画一条连线到下一步；如果流程确实在此结束，连到结束事件"),
    "unreachable": (
        "{name}: no path from a start event reaches this {kind}",
        "connect it to the flow (a flow into it from an earlier step), or delete it",
        "“{name}”：没有任何从开始事件出发的路径能到达此{kind_zh}",
        "把它接入流程（从前面的步骤画一条连线到它），或删除它"),
    "never_ends": (
        "{name}: from this {kind} on, no path reaches an end event",
        "give the path a way out: a flow to a later step or to an end event",
        "“{name}”：从此{kind_zh}开始，没有任何路径能到达结束事件",
        "给这条路径一个出口：连到后面的步骤或结束事件"),
    "useless_gateway": (
        "{name}: this gateway has one flow in and one flow out, so it decides nothing",
        "give it a second outgoing flow (with its condition), or delete it and join the flows directly",
        "“{name}”：此网关只有一条入口和一条出口连线，不起任何判断作用",
        "再加一条带条件的出口连线，或删除网关、直接连接前后两步"),
    "unwritten": (
        "reads the variable {name}, which nothing in the process writes",
        "write {name} upstream: a form field, a decision table output, a script or a service task's result variable",
        "读取了变量 {name}，但流程中没有任何步骤写入它",
        "在前面的步骤中写入 {name}：表单字段、决策表输出、脚本或服务任务的结果变量"),
    "unwritten_close": (
        "reads the variable {name}, which nothing in the process writes",
        "did you mean `{close}`?",
        "读取了变量 {name}，但流程中没有任何步骤写入它",
        "是否应为 `{close}`？"),
    "form_schema": (
        "the form is not a valid JSON Schema (draft 2020-12) at {path}: {detail}",
        "fix this part of the form: see https://json-schema.org/draft/2020-12 for what each keyword takes",
        "表单不是有效的 JSON Schema（2020-12 版）：{path} 处 {detail}",
        "修正表单的这一部分：各关键字的写法见 https://json-schema.org/draft/2020-12"),
    "form_title": (
        "{field} has no {attribute}: every form and field is labelled in English (title) and Chinese (x-title-zh)",
        "add {attribute} to {field}",
        "{field_zh} 缺少 {attribute}：每个表单和字段都要有英文（title）和中文（x-title-zh）标题",
        "为 {field_zh} 添加 {attribute}"),
    "form_enum_labels": (
        "{field}: x-enum-labels.{lang} must have one label per choice ({count})",
        "give each choice of the enum a label in English (en) and Chinese (zh), in the same order",
        "{field_zh}：x-enum-labels.{lang} 必须为每个选项提供一个标签（共 {count} 个）",
        "按选项顺序为每个选项提供英文（en）和中文（zh）标签"),
    "form_choices": (
        "{field}: x-choices names no list the desk keeps: {name}",
        "use one of {known}, or list the choices in enum",
        "{field_zh}：x-choices 指定的列表不存在：{name}",
        "改用以下之一：{known}，或在 enum 中列出选项"),
    "form_duplicate_field": (
        "the field {field} is declared twice in this form",
        "keep one declaration; to make it required or constrained under a condition, name it in if/then "
        "without a title",
        "此表单中字段 {field} 被声明了两次",
        "只保留一处声明；如需在某条件下必填或加限制，在 if/then 中引用它且不写标题"),
    "form_unknown_field": (
        "{rule} names {field}, which is not a field of this form (its fields: {fields})",
        "name one of the form's fields: a field renamed or removed must be renamed or removed here too",
        "{rule_zh}引用了 {field}，但它不是此表单的字段（表单字段：{fields}）",
        "请引用表单中已有的字段：字段改名或删除后，这里也要一并修改"),
    "form_order": (
        "x-order is not a list of [earlier, later] pairs of field names",
        "write x-order as [[\"earlier_field\", \"later_field\"], ...]",
        "x-order 不是由字段名组成的 [在前, 在后] 对的列表",
        "按 [[\"在前字段\", \"在后字段\"], ...] 的格式填写 x-order"),
    "decision_unused": (
        "no business rule task calls the decision {decision} (tasks call: {called})",
        "set a business rule task's decision id to {decision}, or remove the decision from the table",
        "没有任何业务规则任务调用决策 {decision}（任务调用的是：{called}）",
        "把某个业务规则任务的决策 id 设为 {decision}，或从决策表中删除该决策"),
    "undeclared_output": (
        "reads {name}[\"{key}\"], but the service operation that writes {name} returns only: {keys}",
        "use one of the keys it returns (closest: {close})",
        "读取了 {name}[\"{key}\"]，但写入 {name} 的服务操作只返回：{keys}",
        "请使用它返回的键之一（最接近的：{close}）"),
    "process_twice": (
        "the process {process} is also in {other}: a bundle deploys each process from one diagram",
        "remove the process from one of the two diagrams, or give it another id",
        "流程 {process} 也在 {other} 中：部署包中每个流程只能来自一个流程图",
        "从两个流程图之一中删除该流程，或为它另取一个 id"),
    "call_circle": (
        "calls the process {called} of {other}, which in turn calls this diagram: neither could be deployed first",
        "break the circle: one of the two processes must not call the other",
        "调用了 {other} 中的流程 {called}，而它又调用此流程图：两者都无法先部署",
        "打破循环调用：两个流程中必须有一个不调用另一个"),
    "decision_twice": (
        "the decision {decision} is also in {other}: a business rule task would run either",
        "give one of the two decisions another id (and the task that calls it), or send the table once",
        "决策 {decision} 也在 {other} 中：业务规则任务将无法确定运行哪一个",
        "为两个决策之一另取一个 id（并修改调用它的任务），或只发送一次该决策表"),
}

WHAT_ZH = {"diagram": "流程图", "decision table": "决策表"}
GATEWAY_ZH = {"exclusive": "排他", "inclusive": "包容"}
KIND_ZH = {"task": "任务", "gateway": "网关", "event": "事件"}

# SpiffWorkflow's own messages that have a more precise hint than "change this element".
ENGINE_CODES = (
    (re.compile(r"Service Task must have an operator"), "engine_operator"),
    (re.compile(r"Data Store .* has no implementation"), "engine_data_store"),
    (re.compile(r"start event is required"), "engine_start_events"),
)


def render(code: str, values: dict) -> dict[str, str]:
    """The four texts of a problem, its placeholders filled; missing Chinese values fall back to English."""
    values = {**values, "what_zh": WHAT_ZH.get(values.get("what", ""), values.get("what", "")),
              "kind_zh": {**GATEWAY_ZH, **KIND_ZH}.get(values.get("kind", ""), values.get("kind", ""))}
    message, hint, message_zh, hint_zh = TEXTS[code]
    return {"message": message.format(**values), "hint": hint.format(**values),
            "message_zh": message_zh.format(**values), "hint_zh": hint_zh.format(**values)}


def engine_code(message: str) -> str:
    return next((code for pattern, code in ENGINE_CODES if pattern.search(message)), "engine")


def code_kind(source: str) -> tuple[str, dict]:
    """Recognise conditions written for another engine (JUEL ``${x}``, FEEL ``= x``) to say how to rewrite them."""
    juel = re.fullmatch(r"\s*\$\{(.*)\}\s*", source, re.DOTALL)
    if juel:
        return "code_juel", {"suggestion": _python_of(juel.group(1))}
    feel = re.fullmatch(r"\s*=\s*(.+)", source, re.DOTALL)
    if feel:
        return "code_feel", {"suggestion": _python_of(feel.group(1))}
    return "code", {}


def _python_of(expression: str) -> str:
    """A likely Python spelling of a JUEL/FEEL condition, to show in the hint (not to run)."""
    text = expression.strip().replace("!", "not ").replace("&&", " and ").replace("||", " or ")
    text = re.sub(r"\bnot \s*=", "!=", text)
    return re.sub(r"\s+", " ", text)
