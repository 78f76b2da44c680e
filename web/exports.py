"""Report tables as spreadsheets: XLSX (one sheet per table, by openpyxl) and CSV (UTF-8 with a BOM,
so that Excel shows Chinese), headed in English or Chinese.

Times are written in the report's time zone (Excel knows no zones).
"""

import csv
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from engine.reports import Report, Table
from web import report_values

# column and table labels: key -> (English, Chinese)
LABELS = {
    "channel": ("Channel", "渠道"), "active": ("In progress", "处理中"), "waiting": ("Waiting on customer", "等待客户"),
    "total": ("Total", "合计"), "task_id": ("Task id", "任务编号"), "ticket_id": ("Ticket id", "工单ID"),
    "ticket": ("Ticket", "工单号"), "task": ("Task", "任务"), "role": ("Role", "角色"),
    "assignee": ("Assignee", "处理人"), "due_at": ("Due", "到期时间"), "breaches": ("Breaches", "超时数"),
    "title": ("Title", "标题"), "created_at": ("Opened", "创建时间"), "age_hours": ("Age (hours)", "已开时长(小时)"),
    "week": ("Week (Monday)", "周(周一)"), "met": ("Met", "达标"), "breached": ("Breached", "超时"),
    "compliance_pct": ("Compliance %", "达标率%"), "paused_seconds": ("Paused (s)", "暂停时长(秒)"),
    "process": ("Process", "流程"), "step": ("Step", "环节"), "member": ("Team member", "人员"),
    "tier": ("Customer tier", "客户等级"), "status": ("Status", "状态"), "day": ("Day", "日期"),
    "opened": ("Opened", "新建"), "closed": ("Closed", "关闭"), "name": ("Name", "名称"),
    "tasks": ("Tasks", "任务数"), "median_seconds": ("Median (s)", "中位数(秒)"),
    "p90_seconds": ("90th percentile (s)", "90分位(秒)"), "reopened": ("Reopened", "重开"),
    "reopen_pct": ("Reopen %", "重开率%"), "fault_level": ("Fault level", "故障等级"), "tickets": ("Tickets", "工单数"),
    "rank": ("Rank", "排名"), "username": ("User", "用户"), "tasks_done": ("Tasks done", "完成任务"),
    "tickets_handled": ("Tickets handled", "处理工单"), "avg_response_seconds": ("Avg response (s)", "平均响应(秒)"),
    "avg_resolution_seconds": ("Avg resolution (s)", "平均解决(秒)"), "revisits_done": ("Revisits done", "已回访"),
    "revisits_planned": ("Revisits planned", "计划回访"), "satisfaction_count": ("Ratings", "评价数"),
    "satisfaction_avg": ("Satisfaction", "满意度"), "retained": ("Retained", "挽留成功"), "lost": ("Lost", "流失"),
    "complaints": ("Complaints", "投诉数"), "industry": ("Industry", "行业"), "from": ("From", "原值"),
    "to": ("To", "新值"), "changes": ("Changes", "变更次数"),
    "branch": ("Branch", "分支机构"), "planned": ("Planned", "计划"), "done": ("Done", "已完成"),
    "not_reached": ("Not reached", "未联系上"), "open": ("Open", "未完成"), "month": ("Month", "月份"),
    "department": ("Department", "部门"), "suggestions": ("Suggestions", "建议"), "accepted": ("Accepted", "已采纳"),
    "not_accepted": ("Not accepted", "未采纳"), "churn_reason": ("Churn reason", "离网原因"),
    "outcome": ("Outcome", "结果"), "plans": ("Plans", "方案数"),
    # values shown by their label
    "recorder": ("Recorder", "受理人"), "business": ("Business department", "业务部门"),
    "billing": ("Billing department", "计费部门"), "tech": ("Technical department", "技术部门"),
    "price": ("Price", "资费"), "competitor_offer": ("A competitor's offer", "竞争对手优惠"),
    "service_quality": ("Service quality", "服务质量"), "relocation": ("Relocation", "迁址"),
    "business_closed": ("Business closed", "企业停业"), "other": ("Other", "其他"),
    # tables
    "open_tickets": ("Open tickets", "未结工单"), "due_next_hour": ("Due in the next hour", "一小时内到期"),
    "breaches_today": ("Breaches today", "今日超时"), "oldest_open": ("Oldest open tickets", "最久未结工单"),
    "sla_trend": ("SLA compliance per week", "每周SLA达标率"), "by_day": ("Per day", "按日"),
    "by_channel": ("Per channel", "按渠道"), "by_process": ("Per process", "按流程"), "by_step": ("Per step", "按环节"),
    "by_role": ("Per role", "按角色"), "by_member": ("Per team member", "按人员"),
    "by_tier": ("Per customer tier", "按客户等级"), "step_times": ("Time per step", "环节耗时"),
    "complaint_reopens": ("Complaint reopen rate", "投诉重开率"), "fault_levels": ("Faults per level", "故障等级分布"),
    "ranking": ("Account managers", "客户经理排名"), "sla_tickets": ("Tickets behind the figure", "明细工单"),
    "by_industry": ("Per industry", "按行业"), "credit_changes": ("Credit-level changes", "信用等级变更"),
    "member_changes": ("Member-card changes", "会员等级变更"),
    "by_manager": ("Per account manager", "按客户经理"), "by_branch": ("Per branch", "按分支机构"),
    "satisfaction_by_tier": ("Satisfaction per tier", "各等级满意度"), "by_month": ("Per month", "按月"),
    "by_department": ("Per department", "按部门"), "by_reason": ("Lost per churn reason", "按离网原因"),
    "by_branch_outcome": ("Per branch, outcome and reason", "按分支机构、结果与原因"),
    # the pages
    "reports": ("Reports", "报表"), "dashboard": ("Dashboard", "看板"), "sla": ("SLA compliance", "SLA达标"),
    "volumes": ("Volumes and flow", "工单量与流转"), "managers": ("Account managers", "客户经理绩效"),
    "customers": ("Customers", "客户"), "revisits": ("Revisits", "客户回访"),
    "churn_reasons": ("Churn reasons", "离网原因分析"),
    "start": ("From", "开始日期"), "end": ("To", "结束日期"),
    "weeks": ("Weeks", "周数"), "show": ("Show", "查询"), "download_xlsx": ("Excel (XLSX)", "导出Excel"),
    "download_csv": ("CSV", "导出CSV"), "by": ("Per", "维度"), "kind": ("Clock", "时限"), "sort": ("Rank by", "排序"),
    "number": ("Number", "工单号"), "customer": ("Customer", "客户"), "customer_code": ("Customer code", "客户编码"),
    "creator": ("Opened by", "创建人"), "priority": ("Priority", "优先级"), "closed_at": ("Closed", "关闭时间"),
    "all": ("all", "全部"), "none": ("(none)", "(无)"), "nothing": ("Nothing in this range.", "此时段无数据。"),
    "response": ("response", "响应"), "resolution": ("resolution", "解决"), "satisfaction": ("satisfaction", "满意度"),
}
LANGUAGES = ("en", "zh")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def label(key: str, lang: str) -> str:
    return LABELS.get(key, (key, key))[LANGUAGES.index(lang)]


def _cell(value, column: str, report: Report, lang: str):
    """A value as a spreadsheet holds it: local, zone-less times; a coded value (channel, role, step…) in ``lang``."""
    if isinstance(value, datetime):
        return value.astimezone(report.range.tz).replace(tzinfo=None)
    if column in report_values.CODED and value is not None:
        return report_values.word(column, value, lang)
    return value


def _row(row, table: Table, report: Report, lang: str) -> list:
    return [_cell(value, column, report, lang) for value, column in zip(row, table.columns, strict=True)]


def to_xlsx(report: Report, lang: str) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(label(table.key, lang)[:31])
        sheet.append([label(c, lang) for c in table.columns])
        for row in table.rows:
            append_row(sheet, _row(row, table, report, lang))
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, len(label(column, lang)) + 4)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def append_row(sheet, values: list) -> None:
    """A row of a sheet; text such as a ticket title "=HYPERLINK(...)" stays text, never a formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def to_csv(report: Report, table: Table, lang: str) -> bytes:
    return csv_bytes(table.columns, (_row(row, table, report, lang) for row in table.rows), lang)


def csv_bytes(columns, rows, lang: str) -> bytes:
    """CSV headed by the columns' labels in ``lang``; times must already be local."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label(c, lang) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_text(value) -> str:
    """A CSV field; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)
