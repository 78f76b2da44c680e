// The ticket's diagram (bpmn-js viewer) with its finished, current and breached steps marked.
(async () => {
  const container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") return;
  const response = await fetch(container.dataset.url, { credentials: "same-origin" });
  if (!response.ok) { container.textContent = container.dataset.url + ": " + response.status; return; }
  const state = await response.json();
  const viewer = new BpmnJS({ container });
  try {
    await viewer.importXML(state.xml);
  } catch (err) {
    container.textContent = String(err);
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  const mark = (ids, marker) => ids.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, marker); });
  mark(state.finished, "kd-finished");
  mark(state.current, "kd-current");
  mark(state.breached, "kd-breached");
  container.dataset.current = state.current.join(" ");
  container.dataset.ready = "1";
})();
