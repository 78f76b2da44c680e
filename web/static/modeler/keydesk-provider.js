// The "KeyDesk" group of the properties panel: what the engine reads from a diagram.
// Process, flow nodes and sequence flows: the Chinese name (name_zh). Process: channel. Lane: its role. User/manual task: form and sla.* properties. Sequence flow: condition.
// Service task: the notification it sends and its parameters. Timers come from the standard Timer group.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry, Group, SelectEntry, TextAreaEntry, TextFieldEntry,
  isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$/;

// --- spiffworkflow:properties on an element ---------------------------------------------------------

function extension(bo, type) {
  return ((bo.extensionElements && bo.extensionElements.values) || []).find((v) => v.$type === type);
}

export function getProperty(bo, name) {
  const props = extension(bo, "spiffworkflow:Properties");
  const found = props && (props.properties || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function ensureExtension(element, bo, type, attrs, modeling, moddle) {
  let ext = bo.extensionElements;
  if (!ext) {
    ext = moddle.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  let found = extension(bo, type);
  if (!found) {
    found = moddle.create(type, attrs);
    found.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...(ext.values || []), found] });
  }
  return found;
}

export function setProperty(element, bo, name, value, modeling, moddle) {
  const props = ensureExtension(element, bo, "spiffworkflow:Properties", { properties: [] }, modeling, moddle);
  const list = props.properties || [];
  const existing = list.find((p) => p.name === name);
  if (!value) {
    if (existing) modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== existing) });
  } else if (existing) {
    modeling.updateModdleProperties(element, existing, { value });
  } else {
    const created = moddle.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { properties: [...list, created] });
  }
}

// --- entries ----------------------------------------------------------------------------------------

/** Whether the element is one a person fills a form at: a user or manual task, or a start event. */
export function hasForm(element) {
  return ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:StartEvent"].some((type) => is(element, type));
}

function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(element, "bpmn:Participant")) return bo.processRef;
  return is(element, "bpmn:Process") ? bo : null;
}

function PropertyText(props) {
  const { element, id, name, label, description, owner, duration } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), debounce = useService("debounceInput");
  const text = props.text;
  return h(TextFieldEntry, {
    element, id, label, description, debounce,
    getValue: () => getProperty(owner, name),
    setValue: (value) => setProperty(element, owner, name, (value || "").trim(), modeling, moddle),
    validate: duration ? (value) => (value && !DURATION.test(value.trim()) ? text.duration_error : null) : undefined,
  });
}

function PropertySelect(props) {
  const { element, id, name, label, owner, options, empty } = props;
  const modeling = useService("modeling"), moddle = useService("moddle");
  return h(SelectEntry, {
    element, id, label,
    getValue: () => getProperty(owner, name),
    setValue: (value) => setProperty(element, owner, name, value, modeling, moddle),
    getOptions: () => [...(empty !== undefined ? [{ value: "", label: empty }] : []), ...options],
  });
}

function PropertyCheckbox(props) {
  const { element, id, name, label, owner } = props;
  const modeling = useService("modeling"), moddle = useService("moddle");
  return h(CheckboxEntry, {
    element, id, label,
    getValue: () => getProperty(owner, name) === "true",
    setValue: (value) => setProperty(element, owner, name, value ? "true" : "", modeling, moddle),
  });
}

function LaneRole(props) {
  const { element, config } = props;
  const modeling = useService("modeling");
  const known = config.roles.map((r) => r.value);
  const name = getBusinessObject(element).name || "";
  const options = known.includes(name) || !name ? config.roles : [{ value: name, label: name }, ...config.roles];
  return h(SelectEntry, {
    element, id: "kd-lane-role", label: config.text.role,
    getValue: () => getBusinessObject(element).name || "",
    setValue: (value) => modeling.updateProperties(element, { name: value }),
    getOptions: () => [{ value: "", label: "" }, ...options],
  });
}

function Condition(props) {
  const { element, config } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), debounce = useService("debounceInput");
  return h(TextAreaEntry, {
    element, id: "kd-condition", label: config.text.condition, description: config.text.condition_hint, debounce,
    getValue: () => (getBusinessObject(element).conditionExpression || {}).body || "",
    setValue: (value) => {
      const body = (value || "").trim();
      modeling.updateProperties(element, {
        conditionExpression: body ? moddle.create("bpmn:FormalExpression", { body }) : undefined,
      });
    },
  });
}

function operatorOf(bo) {
  return extension(bo, "spiffworkflow:ServiceTaskOperator");
}

function Operation(props) {
  const { element, config } = props;
  const modeling = useService("modeling"), moddle = useService("moddle");
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id: "kd-operation", label: config.text.operation,
    getValue: () => (operatorOf(bo) || {}).id || "",
    getOptions: () => [{ value: "", label: config.text.no_operation },
      ...config.operations.map((o) => ({ value: o.value, label: o.value }))],
    setValue: (value) => {
      const ext = bo.extensionElements;
      const current = operatorOf(bo);
      if (current && ext) {
        modeling.updateModdleProperties(element, ext, { values: ext.values.filter((v) => v !== current) });
      }
      if (value) {
        const operator = ensureExtension(element, bo, "spiffworkflow:ServiceTaskOperator",
          { id: value, resultVariable: `${bo.id}_result` }, modeling, moddle);
        const parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
        parameters.$parent = operator;
        modeling.updateModdleProperties(element, operator, { parameterList: parameters });
      }
    },
  });
}

function Parameter(props) {
  const { element, config, name } = props;
  const modeling = useService("modeling"), moddle = useService("moddle"), debounce = useService("debounceInput");
  const bo = getBusinessObject(element);
  const find = () => {
    const operator = operatorOf(bo);
    const list = (operator && operator.parameterList && operator.parameterList.parameters) || [];
    return { operator, list, found: list.find((p) => p.id === name) };
  };
  return h(TextFieldEntry, {
    element, id: `kd-parameter-${name}`, label: name, description: config.text.parameter_hint, debounce,
    getValue: () => (find().found || {}).value || "",
    setValue: (value) => {
      const { operator, list, found } = find();
      if (!operator) return;
      if (found) {
        modeling.updateModdleProperties(element, found, { value });
        return;
      }
      let parameters = operator.parameterList;
      if (!parameters) {
        parameters = moddle.create("spiffworkflow:Parameters", { parameters: [] });
        parameters.$parent = operator;
        modeling.updateModdleProperties(element, operator, { parameterList: parameters });
      }
      const created = moddle.create("spiffworkflow:Parameter", { id: name, type: "str", value });
      created.$parent = parameters;
      modeling.updateModdleProperties(element, parameters, { parameters: [...list, created] });
    },
  });
}

function entries(element, config) {
  const text = config.text;
  const bo = getBusinessObject(element);
  const process = processOf(element);
  const found = [];
  // the panel passes an entry's fields to its component as props
  const entry = (id, component, props, isEdited) => found.push({ ...props, id, component,
    isEdited: isEdited || isTextFieldEntryEdited });
  if (process || is(element, "bpmn:FlowNode") || is(element, "bpmn:SequenceFlow")) {
    entry("kd-name-zh", PropertyText, { id: "kd-name-zh", name: "name_zh", label: text.name_zh,
      description: text.name_zh_hint, owner: process || bo, text });
  }
  if (process) {
    entry("kd-channel", PropertySelect, { id: "kd-channel", name: "channel", label: text.channel, owner: process,
      options: config.channels, empty: "" }, isSelectEntryEdited);
  }
  if (is(element, "bpmn:Lane")) entry("kd-lane-role", LaneRole, { config }, isSelectEntryEdited);
  if (hasForm(element)) {
    entry("kd-form", PropertySelect, { id: "kd-form", name: "form", label: text.form, owner: bo,
      options: config.forms, empty: text.no_form }, isSelectEntryEdited);
  }
  if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
    for (const kind of ["response", "resolution"]) {
      entry(`kd-sla-${kind}`, PropertyText, { id: `kd-sla-${kind}`, name: `sla.${kind}`, label: text[`sla_${kind}`],
        description: text.duration_hint, owner: bo, duration: true, text });
    }
    entry("kd-sla-warn", PropertyText, { id: "kd-sla-warn", name: "sla.warn", label: text.sla_warn, owner: bo, text });
    entry("kd-sla-calendar", PropertySelect, { id: "kd-sla-calendar", name: "sla.calendar", label: text.sla_calendar,
      owner: bo, options: config.calendars.map((c) => ({ value: c, label: c })), empty: "" }, isSelectEntryEdited);
    entry("kd-sla-escalate", PropertyText, { id: "kd-sla-escalate", name: "sla.escalate_to",
      label: text.sla_escalate_to, owner: bo, text });
    entry("kd-sla-reassign", PropertyCheckbox, { id: "kd-sla-reassign", name: "sla.reassign",
      label: text.sla_reassign, owner: bo }, isCheckboxEntryEdited);
  }
  if (is(element, "bpmn:SequenceFlow")) entry("kd-condition", Condition, { config }, isTextAreaEntryEdited);
  if (is(element, "bpmn:ServiceTask")) {
    entry("kd-operation", Operation, { config }, isSelectEntryEdited);
    const operator = operatorOf(bo);
    const known = (config.operations.find((o) => operator && o.value === operator.id) || {}).parameters || [];
    const present = ((operator && operator.parameterList && operator.parameterList.parameters) || []).map((p) => p.id);
    for (const name of [...new Set([...known, ...present])]) {
      entry(`kd-parameter-${name}`, Parameter, { config, name });
    }
  }
  return found;
}

class KeyDeskPropertiesProvider {
  constructor(propertiesPanel, config) {
    this._config = config;
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const found = entries(element, this._config);
      if (found.length) {
        groups.splice(1, 0, { id: "keydesk", label: this._config.text.keydesk, component: Group, entries: found });
      }
      return groups;
    };
  }
}

KeyDeskPropertiesProvider.$inject = ["propertiesPanel", "config.keydesk"];

export default {
  __init__: ["keydeskPropertiesProvider"],
  keydeskPropertiesProvider: ["type", KeyDeskPropertiesProvider],
};
