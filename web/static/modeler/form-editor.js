// The form editor: fields of a task's JSON Schema (KeyDesk's stored format, with its bilingual x- extensions)
// edited in place, so keys it does not show (conditions, x-order, ...) stay as they were. The preview beside it
// is drawn by the server with the task page's own template, in English and Chinese.

// Each field type and the schema it stands for; "keep" names the keys a field keeps when its type changes.
const TYPES = {
  text: { type: "string", "x-widget": "text" },
  textarea: { type: "string", "x-widget": "textarea" },
  number: { type: "number", "x-widget": "number" },
  integer: { type: "integer", "x-widget": "number" },
  date: { type: "string", format: "date", "x-widget": "date" },
  datetime: { type: "string", format: "date-time", "x-widget": "datetime" },
  yesno: { type: "boolean", "x-widget": "checkbox" },
  choice: { type: "string", "x-widget": "select", enum: [], "x-enum-labels": { en: [], zh: [] } },
  multiple: { type: "array", uniqueItems: true, items: { type: "string", enum: [], "x-enum-labels": { en: [], zh: [] } } },
  customer: { type: "string", "x-widget": "customer" },
  user: { type: "string", "x-widget": "user" },
};
const KEEP = ["title", "x-title-zh", "description", "x-description-zh"];
const LIMITS = {
  number: ["minimum", "maximum"], integer: ["minimum", "maximum"],
  text: ["minLength", "maxLength", "pattern"], textarea: ["minLength", "maxLength", "pattern"],
  multiple: ["minItems", "maxItems"],
};

export function typeOf(node) {
  if (node.type === "array") return "multiple";
  if (node.enum) return "choice";
  if (node.type === "boolean") return "yesno";
  if (node.type === "integer") return "integer";
  if (node.type === "number") return "number";
  if (node.format === "date") return "date";
  if (node.format === "date-time") return "datetime";
  if (["textarea", "customer", "user"].includes(node["x-widget"])) return node["x-widget"];
  return "text";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export class FormEditor {
  /** schema: the stored form (edited in place); text: the modeller's words; preview(schema) -> {en, zh} HTML. */
  constructor(container, schema, { text, preview, onChange }) {
    Object.assign(this, { container, schema, T: text, preview, onChange });
    this.schema.properties = this.schema.properties || {};
    this.problems = {};
    this.timer = null;
    this.render();
  }

  json() {
    return JSON.stringify(this.schema, null, 2);
  }

  changed() {
    this.onChange();
    this.render();
  }

  // --- fields ---------------------------------------------------------------------------------------

  names() {
    return Object.keys(this.schema.properties);
  }

  rebuild(entries) {
    this.schema.properties = Object.fromEntries(entries);
  }

  required(name) {
    return (this.schema.required || []).includes(name);
  }

  setRequired(name, on) {
    const list = (this.schema.required || []).filter((n) => n !== name);
    this.schema.required = on ? [...list, name] : list;
  }

  addField() {
    let n = this.names().length + 1;
    while (`field_${n}` in this.schema.properties) n += 1;
    this.schema.properties[`field_${n}`] = { ...structuredClone(TYPES.text), title: `Field ${n}`, "x-title-zh": `字段 ${n}` };
    this.changed();
  }

  removeField(name) {
    this.rebuild(Object.entries(this.schema.properties).filter(([n]) => n !== name));
    forEachRule(this.schema, (part) => {  // a list that requires or orders it goes; a condition on it stays, flagged
      if (Array.isArray(part.required)) part.required = part.required.filter((n) => n !== name);
      if (Array.isArray(part["x-order"])) part["x-order"] = part["x-order"].filter((pair) => !(Array.isArray(pair) && pair.includes(name)));
    });
    this.changed();
  }

  moveField(name, step) {
    const entries = Object.entries(this.schema.properties);
    const at = entries.findIndex(([n]) => n === name);
    const to = at + step;
    if (to < 0 || to >= entries.length) return;
    [entries[at], entries[to]] = [entries[to], entries[at]];
    this.rebuild(entries);
    this.changed();
  }

  renameField(name, wanted) {
    const next = wanted.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(next) || (next !== name && next in this.schema.properties)) {
      return this.render();  // back to the old name: the engine reads names as Python identifiers
    }
    this.rebuild(Object.entries(this.schema.properties).map(([n, node]) => [n === name ? next : n, node]));
    forEachRule(this.schema, (part, isCondition) => renameIn(part, name, next, isCondition));
    return this.changed();
  }

  setType(name, type) {
    const old = this.schema.properties[name];
    const kept = Object.fromEntries(KEEP.filter((k) => k in old).map((k) => [k, old[k]]));
    const choices = choiceNode(old);
    const fresh = structuredClone(TYPES[type]);
    const target = type === "multiple" ? fresh.items : fresh;
    if (choices && (type === "choice" || type === "multiple")) {
      Object.assign(target, { enum: [...choices.enum], "x-enum-labels": structuredClone(choices["x-enum-labels"] || { en: [], zh: [] }) });
    }
    this.schema.properties[name] = { ...fresh, ...kept };
    this.changed();
  }

  // --- drawing --------------------------------------------------------------------------------------

  render() {
    const T = this.T;
    const s = this.schema;
    const head = el("div", { class: "row g-2 mb-2" },
      this.textInput(T.form_title_en, s.title, (v) => { s.title = v; }, "form-title-en"),
      this.textInput(T.form_title_zh, s["x-title-zh"], (v) => { s["x-title-zh"] = v; }, "form-title-zh"));
    const fields = this.names().map((name, i) => this.fieldCard(name, i));
    const add = el("button", { type: "button", class: "btn btn-sm btn-outline-primary", dataset: { testid: "form-add-field" },
      onclick: () => this.addField() }, `+ ${T.add_field}`);
    // a problem with the form itself, or naming a field it does not have (a rule left behind by a rename)
    const whole = Object.entries(this.problems).filter(([name]) => !(name in s.properties)).map(([, text]) => text);
    const top = whole.length ? el("div", { class: "alert alert-danger py-1 small", dataset: { testid: "form-problem" } },
      whole.join(" · ")) : null;
    const editor = el("div", { class: "col-lg-7" }, top, head, ...fields, add);
    this.previewBox = el("div", { class: "col-lg-5" },
      el("h3", { class: "h6 text-muted" }, T.preview),
      el("div", { class: "row g-2" },
        el("div", { class: "col-6" }, el("div", { class: "small text-muted" }, "English"), previewForm("en")),
        el("div", { class: "col-6" }, el("div", { class: "small text-muted" }, "中文"), previewForm("zh"))));
    this.container.replaceChildren(el("div", { class: "row g-3" }, editor, this.previewBox));
    if (!this.container.hidden) this.refreshPreview();  // a hidden tab draws its preview when it is shown
  }

  refreshPreview() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      const html = await this.preview(this.schema);
      if (!html) return;
      for (const lang of ["en", "zh"]) {
        const box = this.container.querySelector(`[data-testid=form-preview-${lang}]`);
        if (box) box.innerHTML = html[lang];  // the server's own rendering of the task page's fields
      }
    }, 250);
  }

  textInput(label, value, set, testid, cls = "col-md-6", type = "text") {
    return el("label", { class: `${cls} small` }, label,
      el("input", { class: "form-control form-control-sm", type, value: value ?? "", dataset: { testid },
        onchange: (event) => { set(event.target.value); this.changed(); } }));
  }

  fieldCard(name, index) {
    const T = this.T;
    const node = this.schema.properties[name];
    const type = typeOf(node);
    const problem = this.problems[name];
    const set = (key) => (value) => { if (value === "") delete node[key]; else node[key] = value; };
    const typeSelect = el("select", { class: "form-select form-select-sm", dataset: { testid: "field-type" },
      onchange: (event) => this.setType(name, event.target.value) },
      ...Object.keys(TYPES).map((t) => el("option", { value: t, selected: t === type }, T[`type_${t}`])));
    const buttons = el("div", { class: "btn-group btn-group-sm ms-auto" },
      el("button", { type: "button", class: "btn btn-outline-secondary", title: T.move_up, disabled: index === 0,
        dataset: { testid: "field-up" }, onclick: () => this.moveField(name, -1) }, "↑"),
      el("button", { type: "button", class: "btn btn-outline-secondary", title: T.move_down,
        disabled: index === this.names().length - 1, dataset: { testid: "field-down" }, onclick: () => this.moveField(name, 1) }, "↓"),
      el("button", { type: "button", class: "btn btn-outline-danger", title: T.remove_field,
        dataset: { testid: "field-remove" }, onclick: () => this.removeField(name) }, "✕"));
    const card = el("div", { class: `card card-body p-2 mb-2${problem ? " border-danger kd-field-problem" : ""}`,
      dataset: { field: name, testid: "form-field" } },
      el("div", { class: "d-flex gap-2 align-items-end mb-1" },
        el("label", { class: "small" }, T.field_name, el("input", { class: "form-control form-control-sm", value: name,
          dataset: { testid: "field-name" }, onchange: (event) => this.renameField(name, event.target.value) })),
        el("label", { class: "small" }, T.field_type, typeSelect),
        el("label", { class: "form-check small mb-1" }, el("input", { type: "checkbox", class: "form-check-input",
          checked: this.required(name), dataset: { testid: "field-required" },
          onchange: (event) => { this.setRequired(name, event.target.checked); this.changed(); } }), ` ${T.required}`),
        buttons),
      problem ? el("div", { class: "text-danger small mb-1", dataset: { testid: "field-problem" } }, problem) : null,
      el("div", { class: "row g-1" },
        this.textInput(T.label_en, node.title, set("title"), "field-label-en"),
        this.textInput(T.label_zh, node["x-title-zh"], set("x-title-zh"), "field-label-zh"),
        this.textInput(T.help_en, node.description, set("description"), "field-help-en"),
        this.textInput(T.help_zh, node["x-description-zh"], set("x-description-zh"), "field-help-zh"),
        ...(LIMITS[type] || []).map((key) => this.textInput(T[`limit_${key}`], node[key],
          (v) => { if (v === "") delete node[key]; else node[key] = key === "pattern" ? v : Number(v); },
          `field-${key}`, "col-md-4", key === "pattern" ? "text" : "number"))),
      ["choice", "multiple"].includes(type) ? this.choices(choiceNode(node)) : null);
    return card;
  }

  choices(node) {
    const T = this.T;
    const shown = node["x-enum-labels"] || {};
    const label = (lang, i) => (shown[lang] || [])[i] ?? String(node.enum[i]);
    const labels = { en: [], zh: [] };  // filled in the schema (one label per choice) once a choice is edited
    const complete = () => {
      node["x-enum-labels"] = Object.fromEntries(["en", "zh"].map((lang) => [lang, node.enum.map((_, i) => label(lang, i))]));
      Object.assign(labels, node["x-enum-labels"]);
    };
    const edit = (i, update) => (event) => { complete(); update(event.target.value); this.changed(); };
    const rows = node.enum.map((value, i) => el("div", { class: "d-flex gap-1 mb-1", dataset: { testid: "choice" } },
      el("input", { class: "form-control form-control-sm", value: String(value), placeholder: T.choice_value,
        dataset: { testid: "choice-value" }, onchange: edit(i, (v) => { node.enum[i] = v; }) }),
      el("input", { class: "form-control form-control-sm", value: label("en", i), placeholder: T.label_en,
        dataset: { testid: "choice-en" }, onchange: edit(i, (v) => { labels.en[i] = v; }) }),
      el("input", { class: "form-control form-control-sm", value: label("zh", i), placeholder: T.label_zh,
        dataset: { testid: "choice-zh" }, onchange: edit(i, (v) => { labels.zh[i] = v; }) }),
      el("button", { type: "button", class: "btn btn-sm btn-outline-danger", title: T.remove_choice,
        onclick: () => { complete(); for (const list of [node.enum, labels.en, labels.zh]) list.splice(i, 1); this.changed(); } }, "✕")));
    const add = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", dataset: { testid: "choice-add" },
      onclick: () => {
        complete();
        node.enum.push(`option_${node.enum.length + 1}`);
        labels.en.push(`Option ${node.enum.length}`);
        labels.zh.push(`选项 ${node.enum.length}`);
        this.changed();
      } }, `+ ${T.add_choice}`);
    return el("div", { class: "mt-1" }, el("div", { class: "small text-muted" }, T.choices), ...rows, add);
  }

  /** Problems the server found in this form, by field name ("" for the form itself). */
  showProblems(byField) {
    this.problems = byField;
    this.render();
  }
}

// The parts of a form whose rules name its fields: the form, and its conditions (if/then/else, allOf, ...) within.
const RULE_PARTS = ["allOf", "anyOf", "oneOf", "if", "then", "else", "not"];

/** Call visit(part, isCondition) on the form and on each condition part in it, nested ones too. */
function forEachRule(schema, visit, isCondition = false) {
  visit(schema, isCondition);
  for (const key of RULE_PARTS) {
    const value = schema[key];
    for (const part of Array.isArray(value) ? value : value && typeof value === "object" ? [value] : []) {
      if (part && typeof part === "object") forEachRule(part, visit, true);
    }
  }
}

/** Rename a field where a part names it: required, x-order, dependentRequired, and (in a condition) properties. */
function renameIn(part, from, to, isCondition) {
  const swap = (n) => (n === from ? to : n);
  if (Array.isArray(part.required)) part.required = part.required.map(swap);
  if (Array.isArray(part["x-order"])) part["x-order"] = part["x-order"].map((pair) => (Array.isArray(pair) ? pair.map(swap) : pair));
  if (part.dependentRequired && typeof part.dependentRequired === "object") {
    part.dependentRequired = Object.fromEntries(Object.entries(part.dependentRequired)
      .map(([key, names]) => [swap(key), Array.isArray(names) ? names.map(swap) : names]));
  }
  if (isCondition && part.properties && typeof part.properties === "object" && from in part.properties) {
    part.properties = Object.fromEntries(Object.entries(part.properties).map(([n, node]) => [swap(n), node]));
  }
}

/** Each preview is a form of its own, so that its radio buttons are a group of their own; it is never sent. */
function previewForm(lang) {
  return el("form", { class: "kd-preview border rounded p-2", dataset: { testid: `form-preview-${lang}` },
    onsubmit: (event) => event.preventDefault() });
}

function choiceNode(node) {
  if (node.type === "array" && node.items && node.items.enum) return node.items;
  return node.enum ? node : null;
}

/** A new form for a task: its name as the title in both languages, no fields yet. */
export function newForm(title) {
  return { type: "object", title, "x-title-zh": title, properties: {}, required: [], additionalProperties: false };
}
