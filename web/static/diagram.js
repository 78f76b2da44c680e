// The ticket's diagram (bpmn-js NavigatedViewer) with its finished, current and breached steps marked. Zoom with
// the buttons or Ctrl + wheel, pan by dragging or with the wheel. A call activity opens the process it runs, with
// the ticket's steps in it; the trail above the diagram leads back.
(() => {
  const container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") return;
  const trail = document.getElementById("diagram-trail");
  const title = document.getElementById("diagram-title");
  const viewer = new BpmnJS({ container });
  const canvas = viewer.get("canvas");
  const overlays = viewer.get("overlays");
  const STEP = 1.25;
  let callable = {};
  let path = [];

  viewer.on("canvas.viewbox.changed", ({ viewbox }) => { container.dataset.scale = viewbox.scale.toFixed(4); });

  const fail = (message) => {
    container.dataset.error = message;
    document.getElementById("diagram-error").textContent = message;
  };

  const mark = (state) => {
    const registry = viewer.get("elementRegistry");
    const add = (ids, marker) => ids.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, marker); });
    add(state.finished, "kd-finished");
    add(state.current, "kd-current");
    add(state.breached, "kd-breached");
    callable = state.calls;
    Object.entries(callable).forEach(([id, name]) => {
      if (!registry.get(id)) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-light border kd-open-call";
      button.dataset.call = id;
      button.textContent = container.dataset.openLabel;
      button.title = container.dataset.openTitle + " " + name;
      button.addEventListener("click", () => show([...path, id]));
      overlays.add(id, { position: { bottom: 4, right: 24 }, html: button });
    });
  };

  const drawTrail = (steps) => {
    trail.replaceChildren(...steps.map((step, index) => {
      const item = document.createElement("li");
      item.className = "breadcrumb-item";
      if (index === steps.length - 1) {
        item.classList.add("active");
        item.setAttribute("aria-current", "page");
        item.textContent = step.label;
      } else {
        const back = document.createElement("a");
        back.href = "#diagram";
        back.textContent = step.label;
        back.addEventListener("click", (event) => { event.preventDefault(); show(step.calls); });
        item.append(back);
      }
      return item;
    }));
  };

  async function show(calls) {
    container.dataset.ready = "0";
    const url = new URL(container.dataset.url, location.href);
    calls.forEach((id) => url.searchParams.append("call", id));
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) { fail(url.pathname + ": " + response.status); return; }
    const state = await response.json();
    try {
      await viewer.importXML(state.xml, state.diagram || undefined);
    } catch (err) {
      fail(String(err));
      return;
    }
    path = calls;
    canvas.zoom("fit-viewport", "auto");
    mark(state);
    drawTrail(state.trail);
    title.textContent = state.title;
    container.dataset.path = calls.join(" ");
    container.dataset.current = state.current.join(" ");
    container.dataset.ready = "1";
  }

  viewer.on("element.click", ({ element }) => {
    if (callable[element.id]) show([...path, element.id]);
  });
  document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
    const how = button.dataset.zoom;
    canvas.zoom(how === "fit" ? "fit-viewport" : canvas.zoom() * (how === "in" ? STEP : 1 / STEP), "auto");
  }));
  document.querySelectorAll("[data-open-call]").forEach((link) => link.addEventListener("click", () => {
    show(link.dataset.openCall.split(" "));
  }));
  show([]);
})();
