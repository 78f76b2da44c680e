// One decision-table file in its tab: dmn-js's decision-table editor over each decision of the file.
// An unchanged file is sent back exactly as it was deployed (dmn-js would only reformat it).
import DmnModeler from "dmn-js/lib/Modeler";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";

export class DmnTab {
  /** modules: dmn-js modules every view gets (the Chinese words, for a Chinese user); onChange: told on each edit. */
  constructor(container, xml, modules = [], onChange = () => {}) {
    Object.assign(this, { container, original: xml, dirty: false, problems: [], onChange });
    this.views = container.appendChild(document.createElement("select"));
    this.views.className = "form-select form-select-sm w-auto mb-2";
    this.views.dataset.testid = "dmn-views";
    this.canvas = container.appendChild(document.createElement("div"));
    this.canvas.className = "kd-dmn";
    this.modeler = new DmnModeler({ container: this.canvas, decisionTable: { additionalModules: modules },
      drd: { additionalModules: modules } });
    this.modeler.on("views.changed", () => this.watch());
    this.views.addEventListener("change", () => this.open(this.views.value));
  }

  /** Load the file and show its first decision table; the file's id names it in the bundle. */
  async load() {
    await this.modeler.importXML(this.original, { open: false });  // not the drawing of decisions: their tables
    this.tables = this.modeler.getViews().filter((v) => v.type === "decisionTable");
    this.views.replaceChildren(...this.tables.map((v) => new Option(v.element.name || v.element.id, v.element.id)));
    this.views.hidden = this.tables.length < 2;
    if (this.tables.length) await this.open(this.tables[0].element.id);
    const definitions = this.modeler.getDefinitions();
    this.file = `${definitions.id}.dmn`;
    this.title = (this.tables[0] && (this.tables[0].element.name || this.tables[0].element.id)) || definitions.id;
  }

  async open(decisionId) {
    await this.modeler.open(this.tables.find((v) => v.element.id === decisionId));
    this.mark();
  }

  watch() {
    const viewer = this.modeler.getActiveViewer();
    if (viewer && !viewer.kdWatched) {
      viewer.kdWatched = true;
      viewer.on("elements.changed", () => { this.dirty = true; this.onChange(); });
      viewer.on("elements.changed", () => setTimeout(() => this.mark()));
    }
  }

  async xml() {
    return this.dirty ? (await this.modeler.saveXML({ format: true })).xml : this.original;
  }

  /** Problems of this file: the row (rule id, or its index) or column they name gets marked. */
  showProblems(problems) {
    this.problems = problems;
    this.mark();
  }

  mark() {
    this.canvas.querySelectorAll(".kd-has-problem").forEach((cell) => cell.classList.remove("kd-has-problem"));
    const viewer = this.modeler.getActiveViewer();
    const decision = viewer && this.modeler.getActiveView().element;
    const rules = (decision && decision.decisionLogic && decision.decisionLogic.rule) || [];
    for (const p of this.problems) {
      const id = String(p.element_id ?? "");
      const rule = /^\d+$/.test(id) ? rules[Number(id)] : null;
      const target = rule ? rule.id : id;
      this.canvas.querySelectorAll(`[data-row-id="${CSS.escape(target)}"], [data-col-id="${CSS.escape(target)}"]`)
        .forEach((cell) => cell.classList.add("kd-has-problem"));
    }
  }
}
