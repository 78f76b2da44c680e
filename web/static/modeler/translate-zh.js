// Chinese for the modeller's own words (palette, context pad, properties panel, decision tables); KeyDesk's group
// and the form editor have their own.
const ZH = {
  "Activate hand tool": "抓手工具", "Activate lasso tool": "套索工具",
  "Activate create/remove space tool": "插入/删除空间", "Activate global connect tool": "连线工具",
  "Create start event": "创建开始事件", "Create intermediate/boundary event": "创建中间/边界事件",
  "Create end event": "创建结束事件", "Create gateway": "创建网关", "Create task": "创建任务",
  "Create data object reference": "创建数据对象", "Create data store reference": "创建数据存储",
  "Create expanded sub-process": "创建子流程", "Create pool/participant": "创建池",
  "Create group": "创建组", "Change element": "更改元素", "Delete": "删除",
  "Connect using sequence/message flow or association": "连线", "Connect to other element": "连接到其他元素",
  "Append task": "追加任务", "Append end event": "追加结束事件", "Append gateway": "追加网关",
  "Append intermediate/boundary event": "追加中间/边界事件", "Add text annotation": "添加注释",
  "Add lane above": "在上方添加泳道", "Add lane below": "在下方添加泳道", "Divide into two lanes": "拆分为两条泳道",
  "Divide into three lanes": "拆分为三条泳道",
  "General": "常规", "Name": "名称", "ID": "ID", "Documentation": "文档", "Element documentation": "元素文档",
  "Process documentation": "流程文档", "Timer": "定时器", "Type": "类型", "Value": "值", "Date": "日期",
  "Duration": "时长", "Cycle": "周期", "<none>": "<无>", "Executable": "可执行", "Process": "流程",
  "Process ID": "流程 ID", "Process name": "流程名称", "Lane": "泳道", "Participant": "参与者",
  "User task": "用户任务", "Manual task": "人工任务", "Service task": "服务任务", "Script task": "脚本任务",
  "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
  "Start event": "开始事件", "End event": "结束事件", "Sequence flow": "顺序流",
  "Timer start event": "定时开始事件", "Timer boundary event": "定时边界事件",
  "Timer intermediate catch event": "定时中间事件",
  // dmn-js decision tables
  "When": "当", "And": "且", "Then": "则", "Annotation": "注释", "Annotations": "注释", "Hit policy": "命中策略",
  "Hit policy:": "命中策略：", "Unique": "唯一", "First": "首条", "Priority": "优先级", "Any": "任意",
  "Collect": "收集", "Collect (Sum)": "收集（求和）", "Collect (Min)": "收集（最小）", "Collect (Max)": "收集（最大）",
  "Collect (Count)": "收集（计数）", "Rule order": "规则顺序", "Output order": "输出顺序", "View DRD": "查看决策图",
  "Add rule": "添加规则", "Add rule above": "在上方添加规则", "Add rule below": "在下方添加规则",
  "Remove rule": "删除规则", "Copy rule": "复制规则", "Cut rule": "剪切规则", "Move rule": "移动规则",
  "Paste rule above": "粘贴到上方", "Paste rule below": "粘贴到下方", "Add input": "添加输入",
  "Add output": "添加输出", "Add input column left": "在左侧添加输入列", "Add input column right": "在右侧添加输入列",
  "Add output column left": "在左侧添加输出列", "Add output column right": "在右侧添加输出列",
  "Remove input column": "删除输入列", "Remove output column": "删除输出列", "Input": "输入", "Output": "输出",
  "Input label": "输入标签", "Input expression": "输入表达式", "Input type": "输入类型", "Output label": "输出标签",
  "Output name": "输出名称", "Output type": "输出类型", "Expression": "表达式", "Expression language": "表达式语言",
  "Add cell description": "添加单元格说明", "Remove cell description": "删除单元格说明", "Edit": "编辑",
  "Decision name": "决策名称", "Yes": "是", "No": "否", "Values": "值",
};

export default function translate(template, replacements) {
  const text = ZH[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}
