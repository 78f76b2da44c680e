"""The Chinese text of an error raised with its English message only, so that every refusal reaches a Chinese
reader in Chinese (house rule: API errors carry ``message`` and ``message_zh``; issue 18, "Chinese throughout").

The common messages (no such record, a number or a choice out of range, a body that is not JSON) are read by
their pattern and said again in Chinese with the same values; any other message gets a sentence for its kind of
error that names the fields its details list, each with its own Chinese text where it has one.
"""

import re

from engine.errors import Conflict, EngineError, Forbidden, InvalidDiagram, InvalidInput, NotFound, ProcessError

THINGS = {
    "ticket": "工单", "task": "任务", "customer": "客户", "user": "用户", "active user": "在职用户",
    "branch": "分支机构", "role": "角色", "calendar": "日历", "saved filter": "已保存的筛选", "SLA policy": "SLA 策略",
    "outbox message": "发件箱消息", "contact": "联系人", "contract": "合同", "import": "导入批次",
}
_THING = "|".join(sorted(map(re.escape, THINGS), key=len, reverse=True))
PATTERNS = [
    (rf"no ({_THING}) '?([^']+?)'?", lambda m: f"没有{THINGS[m[1]]} {m[2]}"),
    (r"no record has the id (\S+)", lambda m: f"没有编号为 {m[1]} 的记录"),
    (r"no process model '([^']+)' is deployed", lambda m: f"没有已部署的流程模型 {m[1]}"),
    (r"process model '([^']+)' has no version (\S+)", lambda m: f"流程模型 {m[1]} 没有版本 {m[2]}"),
    (rf"customer (\S+) has no ({_THING}) (\S+)", lambda m: f"客户 {m[1]} 没有编号为 {m[3]} 的{THINGS[m[2]]}"),
    (r"(\S+) must be a whole number from (-?\d+) to (-?\d+)", lambda m: f"{m[1]} 必须是 {m[2]} 到 {m[3]} 之间的整数"),
    (r"(\S+) must be one of (.+?)(?:, not .*)?", lambda m: f"{m[1]} 必须是以下之一：{'、'.join(m[2].split(', '))}"),
    (r"(\S+) must be a version number", lambda m: f"{m[1]} 必须是版本号"),
    (r"the request body must be a JSON object", lambda m: "请求正文必须是 JSON 对象"),
]
HAN = re.compile(r"[\u4e00-\u9fff]")
# (kind, what is said when its message has no pattern), the most specific kind first
KINDS = [
    (InvalidDiagram, "流程图有问题，未作部署"), (InvalidInput, "输入有误"), (NotFound, "找不到所请求的记录"),
    (Forbidden, "您没有执行此操作的权限"), (Conflict, "当前状态不允许此操作，请刷新后重试"),
    (ProcessError, "流程运行出错，未作任何更改"), (EngineError, "请求有误"),
]
# an HTTP error that no engine error explains (unknown path, wrong method, body too large ...), by status
STATUSES = {
    400: "请求有误", 401: "请以 “Authorization: Bearer 令牌” 发送有效的 API 令牌", 403: "您没有执行此操作的权限",
    404: "找不到该地址", 405: "该地址不接受此请求方法", 406: "无法以所要求的格式答复", 409: "当前状态不允许此操作",
    413: "请求正文过大", 415: "不支持此内容类型", 422: "输入有误", 429: "请求过于频繁，请稍后再试",
    500: "发生意外错误，已记入日志",
}


def chinese(err: EngineError) -> str:
    """``err``'s Chinese text: its own (or its message, when a page raised it already in Chinese), else its
    message's pattern in Chinese, else its kind's sentence."""
    if err.message_zh or HAN.search(err.message):
        return err.message_zh or err.message
    for pattern, say in PATTERNS:
        found = re.fullmatch(pattern, err.message)
        if found:
            return say(found)
    sentence = next(text for kind, text in KINDS if isinstance(err, kind))
    return sentence + _fields(err.details)


def for_status(status: int) -> str:
    return STATUSES.get(status, STATUSES[500] if status >= 500 else STATUSES[400])


def _fields(details) -> str:
    """The fields the details name, each with its Chinese (or English) complaint: "：name（必填）、reason"."""
    items = details if isinstance(details, list) else []
    named = [f"{d['field']}（{d['message_zh']}）" if d.get("message_zh") else str(d["field"])
             for d in items if isinstance(d, dict) and d.get("field")]
    return f"：{'、'.join(named)}" if named else ""
