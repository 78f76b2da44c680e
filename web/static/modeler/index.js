// The modeller page: bpmn-js Modeler with KeyDesk's properties, server-side validation shown at the elements,
// deploy with a comment, the versions with a side-by-side diff and rollback, and the heat map of open tickets.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import KeyDeskPropertiesModule, { getProperty, hasForm, setProperty } from "./keydesk-provider";
import { DmnTab } from "./dmn-tab";
import { FormEditor, newForm } from "./form-editor";
import spiffworkflow from "./spiffworkflow.json";
import { NEW_DIAGRAM } from "./new-diagram";
import translateZh from "./translate-zh";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";

const page = document.getElementById("modeler");
const config = JSON.parse(page.dataset.config);
const T = config.text;
const zh = config.lang === "zh";
const $ = (id) => document.getElementById(id);
const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);

const modeler = new BpmnModeler({
  container: "#kd-canvas",
  propertiesPanel: { parent: "#kd-properties" },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, KeyDeskPropertiesModule,
    ...(zh ? [{ translate: ["value", translateZh] }] : [])],
  moddleExtensions: { spiffworkflow },
  keydesk: config,
});
const canvas = modeler.get("canvas");
const overlays = modeler.get("overlays");
const registry = modeler.get("elementRegistry");
const selection = modeler.get("selection");

const state = { models: [], key: null, version: null, validated: null, valid: false, original: null };
const bundle = { tables: [], forms: new Map() };  // the opened version's decision tables and forms (by key)

async function call(method, url, body) {
  const multipart = body instanceof FormData;
  const headers = { "X-CSRFToken": page.dataset.csrf, Accept: "application/json" };
  if (!multipart) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, credentials: "same-origin", headers,
    body: body === undefined || multipart ? body : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function say(text, kind = "info") {
  const box = $("kd-status");
  box.className = `alert alert-${kind} py-2 mb-2`;
  box.textContent = text;
  box.hidden = false;
}

function errorText(result) {
  return (result.data.error && result.data.error.message) || `HTTP ${result.status}`;
}

// --- opening diagrams -----------------------------------------------------------------------------

// SpiffWorkflow names a multi-instance task's collections (variables) in loopDataInputRef/OutputRef, which BPMN
// reads as references to elements; bpmn-js would drop them on saving, so each one is kept as a named reference.
function keepLoopVariables(warnings) {
  for (const w of warnings) {
    if (/^bpmn:loopData(In|Out)putRef$/.test(w.property || "") && w.element && w.value) {
      w.element[w.property.slice(5)] = modeler.get("moddle").create("bpmn:ItemAwareElement", { id: w.value });
    }
  }
}

/** The forms the diagram's own tasks name: those of processes it calls belong to those processes. */
function formsNamedIn(xml, forms) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const named = [...doc.getElementsByTagNameNS("http://spiffworkflow.org/bpmn/schema/1.0/core", "property")]
    .filter((p) => p.getAttribute("name") === "form").map((p) => p.getAttribute("value"));
  return Object.fromEntries(Object.entries(forms).filter(([key]) => named.includes(key)));
}

async function show(xml, tables = [], forms = {}) {
  try {
    keepLoopVariables((await modeler.importXML(xml)).warnings);
    await openBundle(tables, formsNamedIn(xml, forms));
  } catch (err) {
    say(fmt(T.import_failed, { error: err.message }), "danger");
    return false;
  }
  state.original = xml;
  delete $("kd-tabs").querySelector("[data-tab=diagram]").dataset.changed;
  showTab("diagram");
  canvas.zoom("fit-viewport");
  clearProblems();
  clearHeat();
  state.validated = null;
  return true;
}

async function loadModels(selectKey) {
  const result = await call("GET", page.dataset.models);
  state.models = result.data.models || [];
  const select = $("kd-model");
  select.replaceChildren(...state.models.map((m) => new Option(`${m.name} (${m.key})`, m.key)));
  if (selectKey) select.value = selectKey;
  renderVersions();
}

function currentModel() {
  return state.models.find((m) => m.key === $("kd-model").value);
}

async function openVersion(key, version) {
  $("kd-opened").textContent = "";  // named again once the diagram is on the canvas
  const result = await call("GET", `${page.dataset.base}/models/${encodeURIComponent(key)}/versions/${version}`);
  if (!result.ok) return say(errorText(result), "danger");
  if (await show(result.data.xml, result.data.dmn, result.data.forms)) {
    Object.assign(state, { key, version });
    $("kd-opened").textContent = `${key} · ${T.version} ${version}`;
    $("kd-heat").disabled = false;
  }
}

function renderVersions() {
  const model = currentModel();
  const rows = (model ? [...model.versions].reverse() : []).map((v) => {
    const row = document.createElement("tr");
    row.dataset.version = v.version;
    for (const value of [v.version, v.deployed_by || "", v.shown_at || "", v.comment || ""]) {
      const cell = row.insertCell();
      cell.textContent = value;
    }
    const actions = row.insertCell();
    actions.className = "text-nowrap";
    const button = (label, testid, handler) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm btn-outline-secondary me-1";
      b.textContent = label;
      b.dataset.testid = testid;
      b.addEventListener("click", handler);
      actions.append(b);
    };
    button(T.open, "open-version", () => openVersion(model.key, v.version));
    if (model.versions.length > 1) {
      button(T.compare, "compare-version", () => compare(model.key, v.version));
    }
    if (v.version !== model.latest_version) button(T.rollback, "rollback-version", () => rollback(model.key, v.version));
    return row;
  });
  $("kd-versions").replaceChildren(...rows);
  renderMigration();
}

// --- validation -----------------------------------------------------------------------------------

function clearProblems() {
  overlays.remove({ type: "kd-problem" });
  registry.getAll().forEach((e) => canvas.removeMarker(e, "kd-has-problem"));
  $("kd-problems").replaceChildren();
  routeProblems([]);
}

/** The tab a problem belongs to, from the file it names: a decision table, a form, else the diagram. */
function tabOf(problem) {
  const file = problem.file || "";
  const table = bundle.tables.find((t) => t.file === file);
  if (table) return `dmn-${bundle.tables.indexOf(table)}`;
  const key = file.endsWith(".form.json") ? file.slice(0, -".form.json".length) : null;
  return key && bundle.forms.has(key) ? `form-${key}` : "diagram";
}

/** Each table and form shows its own problems at the row or field they name; each tab says how many. */
function routeProblems(problems) {
  const text = (p) => (zh ? p.message_zh || p.message : p.message);
  bundle.tables.forEach((table, i) => table.showProblems(problems.filter((p) => tabOf(p) === `dmn-${i}`)));
  for (const [key, editor] of bundle.forms) {
    const mine = problems.filter((p) => tabOf(p) === `form-${key}`);
    editor.showProblems(Object.fromEntries(mine.map((p) => [p.element_id || "", text(p)])));
  }
  for (const link of $("kd-tabs").querySelectorAll("[data-tab]")) {
    const count = problems.filter((p) => tabOf(p) === link.dataset.tab).length;
    link.querySelector(".badge").textContent = count ? String(count) : "";
  }
}

function showProblems(problems) {
  clearProblems();
  routeProblems(problems);
  const items = problems.map((p) => {
    const message = zh ? p.message_zh || p.message : p.message;
    const hint = zh ? p.hint_zh || p.hint : p.hint;
    const tab = tabOf(p);
    const element = tab === "diagram" && p.element_id && registry.get(p.element_id);  // a field may share an id
    if (element) {
      canvas.addMarker(element, "kd-has-problem");
      const badge = document.createElement("div");
      badge.className = "kd-problem-badge";
      badge.textContent = "!";
      badge.title = `${message}: ${hint}`;
      overlays.add(element, "kd-problem", { position: { top: -10, right: 10 }, html: badge });
    }
    const item = document.createElement("li");
    item.className = "list-group-item list-group-item-danger small";
    item.dataset.element = p.element_id || "";
    const where = [p.file, p.element_id, p.line ? `${T.line} ${p.line}` : null].filter(Boolean).join(", ");
    item.innerHTML = "<strong></strong> <span></span><div class='text-muted'></div>";
    item.querySelector("strong").textContent = where ? `${where}:` : "";
    item.querySelector("span").textContent = message;
    item.querySelector("div").textContent = hint;
    if (tab !== "diagram") item.addEventListener("click", () => showTab(tab));
    else if (element) item.addEventListener("click", () => { showTab("diagram"); selection.select(element); canvas.scrollToElement(element); });
    return item;
  });
  $("kd-problems").replaceChildren(...items);
}

/** The diagram as it is now; unchanged, exactly as it was opened (bpmn-js would only reformat it). */
async function xmlNow() {
  if (state.original !== null && !modeler.get("commandStack").canUndo()) return state.original;
  return (await modeler.saveXML({ format: true })).xml;
}

/** The whole bundle as the API takes it: the diagram, every decision table and every form. */
async function bundleNow(xml) {
  const body = new FormData();
  const name = `${state.key || "diagram"}.bpmn`;
  body.append("file", new Blob([xml], { type: "application/xml" }), name);
  for (const table of bundle.tables) body.append("dmn", new Blob([await table.xml()], { type: "application/xml" }), table.file);
  for (const [key, editor] of bundle.forms) {
    body.append("form", new Blob([editor.json()], { type: "application/json" }), `${key}.form.json`);
  }
  return body;
}

/** What validation saw: a deploy must send exactly that. */
async function fingerprint(xml) {
  const tables = await Promise.all(bundle.tables.map((t) => t.xml()));
  return JSON.stringify([xml, tables, [...bundle.forms].map(([key, editor]) => [key, editor.json()])]);
}

async function validate() {
  const xml = await xmlNow();
  const result = await call("POST", `${page.dataset.base}/validate`, await bundleNow(xml));
  if (!result.ok) {  // a file it could not read at all (an imported form, say): where, as for any problem
    showProblems((result.data.error && result.data.error.details) || []);
    return say(errorText(result), "danger");
  }
  showProblems(result.data.problems);
  state.validated = await fingerprint(xml);
  state.valid = result.data.valid;
  say(result.data.valid ? T.valid : fmt(T.problems, { n: result.data.problems.length }),
    result.data.valid ? "success" : "danger");
}

async function deploy() {
  const xml = await xmlNow();
  if (state.validated !== (await fingerprint(xml)) || !state.valid) return say(T.validate_first, "warning");
  const body = await bundleNow(xml);
  body.append("comment", $("kd-comment").value);
  const result = await call("POST", `${page.dataset.base}/deploy`, body);
  if (!result.ok) {
    showProblems((result.data.error && result.data.error.details) || []);
    return say(errorText(result), "danger");
  }
  const deployed = result.data.deployed[0];
  $("kd-comment").value = "";
  await loadModels(deployed.key);
  await openVersion(deployed.key, deployed.version);
  say(fmt(T.deployed, { key: deployed.key, n: deployed.version }), "success");
}

// --- versions: diff and rollback ------------------------------------------------------------------

const viewers = {};

function viewer(side) {
  viewers[side] = viewers[side] || new NavigatedViewer({ container: `#kd-diff-${side}` });
  return viewers[side];
}

async function compare(key, version) {
  const other = state.key === key && state.version && state.version !== version ? state.version : version - 1;
  const [from, to] = [Math.min(version, other), Math.max(version, other)];
  if (from < 1) return;
  const base = `${page.dataset.base}/models/${encodeURIComponent(key)}`;
  const [diff, left, right] = await Promise.all([call("GET", `${base}/diff?from=${from}&to=${to}`),
    call("GET", `${base}/versions/${from}`), call("GET", `${base}/versions/${to}`)]);
  if (!diff.ok) return say(errorText(diff), "danger");
  $("kd-diff").hidden = false;
  $("kd-diff-title").textContent = fmt(T.diff_title, { a: from, b: to });
  const marks = { left: [["removed", "kd-removed"], ["changed", "kd-changed"]],
    right: [["added", "kd-added"], ["changed", "kd-changed"]] };
  for (const [side, xml] of [["left", left.data.xml], ["right", right.data.xml]]) {
    const v = viewer(side);
    await v.importXML(xml);
    v.get("canvas").zoom("fit-viewport");
    for (const [list, marker] of marks[side]) {
      for (const item of diff.data[list]) {
        if (v.get("elementRegistry").get(item.id)) v.get("canvas").addMarker(item.id, marker);
      }
    }
  }
  const lines = [
    ...diff.data.added.map((a) => `+ ${T.added}: ${a.name || a.id} (${a.type})`),
    ...diff.data.removed.map((r) => `− ${T.removed}: ${r.name || r.id} (${r.type})`),
    ...diff.data.changed.map((c) => `~ ${T.changed}: ${c.name || c.id}: ${changeText(c.changes)}`),
  ].map((line) => [line, "diff-element"]);
  lines.push(...diff.data.forms.map((f) => [bundleChange(`${T.form} ${f.key}`, f, formParts(f)), "diff-form"]),
    ...diff.data.decisions.map((d) => [bundleChange(`${T.table} ${d.id}`, d, decisionParts(d)), "diff-decision"]));
  $("kd-diff-list").replaceChildren(...(lines.length ? lines : [[T.no_changes, "diff-none"]]).map(([line, testid]) => {
    const li = document.createElement("li");
    li.textContent = line;
    li.dataset.testid = testid;
    return li;
  }));
}

/** Attribute changes: `title "Old" → "New"; required false → true`. */
function changeText(changes) {
  return changes.map((x) => `${x.attribute || x.field} ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`).join("; ");
}

/** One form or decision table of the diff: added, removed, or changed with what changed in it. */
function bundleChange(what, entry, parts) {
  if (entry.change === "added") return `+ ${T.added}: ${what}`;
  if (entry.change === "removed") return `− ${T.removed}: ${what}`;
  return `~ ${T.changed}: ${what}: ${parts.filter(Boolean).join("; ")}`;
}

function formParts(f) {
  if (f.change !== "changed") return [];
  return [
    f.fields_added.length && `${T.fields_added} ${f.fields_added.join(", ")}`,
    f.fields_removed.length && `${T.fields_removed} ${f.fields_removed.join(", ")}`,
    f.fields_changed.length && `${T.fields_changed} ${f.fields_changed.map((c) => `${c.field} (${changeText(c.changes)})`).join(", ")}`,
    f.form_changed.length && `${T.form_changed} (${changeText(f.form_changed)})`,
  ];
}

function decisionParts(d) {
  if (d.change !== "changed") return [];
  const row = (r) => `${r.inputs.join(" | ")} ⇒ ${r.outputs.join(" | ")}`;
  return [
    d.rules_added.length && `${T.rules_added} ${d.rules_added.map((r) => `${r.id}: ${row(r)}`).join(", ")}`,
    d.rules_removed.length && `${T.rules_removed} ${d.rules_removed.map((r) => `${r.id}: ${row(r)}`).join(", ")}`,
    d.rules_changed.length && `${T.rules_changed} ${d.rules_changed.map((r) => `${r.id}: ${row(r.from)} → ${row(r.to)}`).join(", ")}`,
    d.columns_changed.length && `${T.columns_changed} (${changeText(d.columns_changed)})`,
  ];
}

async function rollback(key, version) {
  if (!window.confirm(fmt(T.rollback_confirm, { n: version }))) return;
  const comment = window.prompt(T.rollback_reason, "") || "";
  const result = await call("POST", `${page.dataset.base}/models/${encodeURIComponent(key)}/versions/${version}/rollback`,
    { comment });
  if (!result.ok) return say(errorText(result), "danger");
  await loadModels(key);
  await openVersion(key, result.data.version);
  say(fmt(T.rolled_back, { n: version }), "success");
}

// --- moving running tickets ---------------------------------------------------------------------

function renderMigration() {
  const model = currentModel();
  const numbers = model ? model.versions.map((v) => v.version) : [];
  const fill = (select, chosen) => {
    select.replaceChildren(...numbers.map((n) => new Option(String(n), String(n))));
    if (numbers.length) select.value = String(chosen);
  };
  fill($("kd-mig-from"), numbers.length > 1 ? numbers[numbers.length - 2] : numbers[0]);
  fill($("kd-mig-to"), numbers[numbers.length - 1]);
}

function mapping() {
  const found = {};
  for (const line of $("kd-mig-mapping").value.split("\n")) {
    const [from, to] = line.split("=").map((part) => (part || "").trim());
    if (from && to) found[from] = to;
  }
  return found;
}

async function migrate(step) {
  const model = currentModel();
  const [from, to] = [Number($("kd-mig-from").value), Number($("kd-mig-to").value)];
  if (!model || !from || !to) return;
  if (step === "run" && !window.confirm(fmt(T.migrate_confirm, { a: from, b: to }))) return;
  const url = `${page.dataset.base}/models/${encodeURIComponent(model.key)}/versions/${from}/migration/${step}`;
  const result = await call("POST", url, { to, mapping: mapping() });
  if (!result.ok) return say(errorText(result), "danger");
  const done = step === "check" ? result.data.movable : result.data.migrated;
  const items = [
    ...done.map((t) => [`${t.number}: ${step === "check" ? T.movable : T.moved} (${t.waiting_at.join(", ")})`,
      "success"]),
    ...result.data.refused.map((t) => [`${t.number}: ${T.refused}: ${t.reasons.map(
      (r) => (zh ? r.reason_zh : r.reason)).join("; ")}`, "danger"]),
  ];
  $("kd-mig-result").replaceChildren(...(items.length ? items : [[T.no_tickets, "light"]]).map(([text, kind]) => {
    const li = document.createElement("li");
    li.className = `list-group-item list-group-item-${kind}`;
    li.textContent = text;
    return li;
  }));
}

// --- heat map -------------------------------------------------------------------------------------

function clearHeat() {
  overlays.remove({ type: "kd-heat" });
}

async function heat() {
  clearHeat();
  if (!state.key) return;
  const url = `${page.dataset.base}/models/${encodeURIComponent(state.key)}/versions/${state.version}/heatmap`;
  const result = await call("GET", url);
  if (!result.ok) return say(errorText(result), "danger");
  const most = Math.max(1, ...result.data.elements.map((e) => e.open_tickets + e.waiting_timers));
  for (const e of result.data.elements) {
    if (!registry.get(e.element_id)) continue;
    const open = e.open_tickets + e.waiting_timers;
    const badge = document.createElement("div");
    badge.className = "kd-heat-badge";
    badge.dataset.element = e.element_id;
    badge.style.background = `rgba(220, 53, 69, ${0.25 + 0.75 * (open / most)})`;
    badge.textContent = e.breached ? `${open} · ⚠${e.breached}` : `${open}`;
    badge.title = `${open} ${T.open_tickets}, ${e.breached} ${T.breached}`;
    overlays.add(e.element_id, "kd-heat", { position: { bottom: 10, left: -10 }, html: badge });
  }
}

// --- wiring ---------------------------------------------------------------------------------------

$("kd-model").addEventListener("change", renderVersions);
$("kd-open").addEventListener("click", () => {
  const model = currentModel();
  if (model) openVersion(model.key, model.latest_version);
});
// --- the bundle's tabs: the diagram, each decision table, each form ------------------------------

function showTab(id) {
  for (const link of $("kd-tabs").querySelectorAll("[data-tab]")) link.classList.toggle("active", link.dataset.tab === id);
  for (const pane of document.querySelectorAll("[data-pane]")) pane.hidden = pane.dataset.pane !== id;
  if (id === "diagram") canvas.resized();
  if (id.startsWith("form-")) bundle.forms.get(id.slice(5)).refreshPreview();
}

function addTab(id, title, testid) {
  const link = document.createElement("button");
  link.type = "button";
  link.className = "nav-link py-1 px-2 small";
  link.dataset.tab = id;
  link.dataset.testid = testid;
  link.textContent = `${title} `;
  const badge = document.createElement("span");
  badge.className = "badge text-bg-danger";
  link.append(badge);
  link.addEventListener("click", () => showTab(id));
  const item = document.createElement("li");
  item.className = "nav-item";
  item.append(link);
  $("kd-tabs").append(item);
  const pane = document.createElement("div");
  pane.dataset.pane = id;
  pane.className = "kd-pane";
  pane.hidden = true;
  $("kd-panes").append(pane);
  return pane;
}

/** A tab whose content differs from the opened version says so (•). */
function markChanged(id) {
  const link = $("kd-tabs").querySelector(`[data-tab="${id}"]`);
  if (link) link.dataset.changed = "1";
}

async function preview(schema) {
  const result = await call("POST", `${page.dataset.base}/form-preview`, { schema });
  return result.ok ? result.data : null;
}

function addForm(key, schema) {
  const pane = addTab(`form-${key}`, `${T.form}: ${key}`, "form-tab");
  pane.dataset.form = key;
  bundle.forms.set(key, new FormEditor(pane, schema, { text: T, preview, onChange: () => markChanged(`form-${key}`) }));
  if (!config.forms.some((f) => f.value === key)) config.forms.push({ value: key, label: key });
}

async function openBundle(tables, forms) {
  $("kd-tabs").querySelectorAll("[data-tab]:not([data-tab=diagram])").forEach((link) => link.parentElement.remove());
  $("kd-panes").querySelectorAll("[data-pane]:not([data-pane=diagram])").forEach((pane) => pane.remove());
  bundle.tables = [];
  bundle.forms.clear();
  for (const xml of tables) {
    const pane = addTab(`dmn-${bundle.tables.length}`, "", "dmn-tab");
    const id = `dmn-${bundle.tables.length}`;
    const table = new DmnTab(pane, xml, zh ? [{ translate: ["value", translateZh] }] : [], () => markChanged(id));
    bundle.tables.push(table);
    pane.hidden = false;  // dmn-js measures its container while it draws
    await table.load();
    pane.hidden = true;
    $("kd-tabs").querySelector(`[data-tab=dmn-${bundle.tables.length - 1}]`).firstChild.textContent = `${T.table}: ${table.title} `;
  }
  for (const [key, schema] of Object.entries(forms)) addForm(key, structuredClone(schema));
}

// Selecting a task or start event offers its form: open its tab, or make a new one named after the task.
function processIdOf(bo) {
  let node = bo;
  while (node && node.$type !== "bpmn:Process") node = node.$parent;
  return node ? node.id : state.key || "process";
}

function offerForm(element) {
  const bar = $("kd-element-form");
  bar.replaceChildren();
  bar.hidden = !element || !hasForm(element);
  if (bar.hidden) return;
  const bo = element.businessObject;
  const key = getProperty(bo, "form");
  const label = document.createElement("span");
  label.textContent = `${bo.name || bo.id}: ${key ? `${T.form} ${key}` : T.no_form}`;
  bar.append(label);
  const button = (text, testid, handler) => {
    const b = document.createElement("button");
    Object.assign(b, { type: "button", className: "btn btn-sm btn-outline-primary ms-2", textContent: text });
    b.dataset.testid = testid;
    b.addEventListener("click", handler);
    bar.append(b);
  };
  if (key && bundle.forms.has(key)) button(T.open_form, "open-form", () => showTab(`form-${key}`));
  if (!key || !bundle.forms.has(key)) {
    button(T.new_form, "new-form", () => {
      const made = `${processIdOf(bo)}.${bo.id}`;
      if (!bundle.forms.has(made)) addForm(made, newForm(bo.name || bo.id));
      setProperty(element, bo, "form", made, modeler.get("modeling"), modeler.get("moddle"));
      offerForm(element);
      showTab(`form-${made}`);
    });
  }
}

modeler.on("commandStack.changed", () => { if (modeler.get("commandStack").canUndo()) markChanged("diagram"); });
modeler.on("selection.changed", ({ newSelection }) => offerForm(newSelection.length === 1 ? newSelection[0] : null));
$("kd-tabs").querySelector("[data-tab=diagram]").addEventListener("click", () => showTab("diagram"));

$("kd-new").addEventListener("click", async () => {
  if (await show(NEW_DIAGRAM)) {
    Object.assign(state, { key: null, version: null });
    $("kd-opened").textContent = T.new_diagram;
    $("kd-heat").disabled = true;
  }
});
$("kd-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (file && (await show(await file.text()))) {
    Object.assign(state, { key: null, version: null });
    $("kd-opened").textContent = file.name;
  }
});
$("kd-validate").addEventListener("click", validate);
$("kd-deploy").addEventListener("click", deploy);
$("kd-heat").addEventListener("click", heat);
$("kd-mig-check").addEventListener("click", () => migrate("check"));
$("kd-mig-run").addEventListener("click", () => migrate("run"));
$("kd-diff-close").addEventListener("click", () => { $("kd-diff").hidden = true; });

(async () => {
  await loadModels(page.dataset.open || undefined);
  const model = currentModel();
  if (model) await openVersion(model.key, model.latest_version);
  else await show(NEW_DIAGRAM);
  page.dataset.ready = "1";
})();
