// The modeller page: bpmn-js Modeler with KeyDesk's properties, server-side validation shown at the elements,
// deploy with a comment, the versions with a side-by-side diff and rollback, and the heat map of open tickets.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import KeyDeskPropertiesModule from "./keydesk-provider";
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

const state = { models: [], key: null, version: null, validated: null, valid: false };

async function call(method, url, body) {
  const response = await fetch(url, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": page.dataset.csrf, Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
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

async function show(xml) {
  try {
    await modeler.importXML(xml);
  } catch (err) {
    say(fmt(T.import_failed, { error: err.message }), "danger");
    return false;
  }
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
  if (await show(result.data.xml)) {
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
    for (const value of [v.version, v.deployed_by || "", (v.deployed_at || "").replace("T", " ").slice(0, 16),
      v.comment || ""]) {
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
}

function showProblems(problems) {
  clearProblems();
  const items = problems.map((p) => {
    const message = zh ? p.message_zh || p.message : p.message;
    const hint = zh ? p.hint_zh || p.hint : p.hint;
    const element = p.element_id && registry.get(p.element_id);
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
    const where = [p.element_id, p.line ? `${T.line} ${p.line}` : null].filter(Boolean).join(", ");
    item.innerHTML = "<strong></strong> <span></span><div class='text-muted'></div>";
    item.querySelector("strong").textContent = where ? `${where}:` : "";
    item.querySelector("span").textContent = message;
    item.querySelector("div").textContent = hint;
    if (element) item.addEventListener("click", () => { selection.select(element); canvas.scrollToElement(element); });
    return item;
  });
  $("kd-problems").replaceChildren(...items);
}

async function xmlNow() {
  return (await modeler.saveXML({ format: true })).xml;
}

async function validate() {
  const xml = await xmlNow();
  const result = await call("POST", `${page.dataset.base}/validate`, { xml });
  if (!result.ok) return say(errorText(result), "danger");
  showProblems(result.data.problems);
  state.validated = xml;
  state.valid = result.data.valid;
  say(result.data.valid ? T.valid : fmt(T.problems, { n: result.data.problems.length }),
    result.data.valid ? "success" : "danger");
}

async function deploy() {
  const xml = await xmlNow();
  if (state.validated !== xml || !state.valid) return say(T.validate_first, "warning");
  const result = await call("POST", `${page.dataset.base}/deploy`, { xml, comment: $("kd-comment").value });
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
    ...diff.data.changed.map((c) => `~ ${T.changed}: ${c.name || c.id}: ${c.changes.map(
      (x) => `${x.field} ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`).join("; ")}`),
  ];
  $("kd-diff-list").replaceChildren(...(lines.length ? lines : [T.no_changes]).map((line) => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  }));
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
