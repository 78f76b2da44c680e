// Saving a filter saves what the filter form shows right now (it may have changed since the page loaded).
document.getElementById("save-filter").addEventListener("submit", (event) => {
  const target = event.target;
  target.querySelectorAll("input[data-copied]").forEach((input) => input.remove());
  new FormData(document.getElementById("inbox-filters")).forEach((value, key) => {
    const input = document.createElement("input");
    Object.assign(input, { type: "hidden", name: key, value: value });
    input.dataset.copied = "1";
    target.appendChild(input);
  });
});

// Keyboard: j / k move through the rows, Enter opens the task, c claims it, ? shows the keys.
(() => {
  let current = 0;
  const rows = () => Array.from(document.querySelectorAll("#inbox-panel tr[data-task]"));
  const mark = () => {
    const list = rows();
    current = Math.min(current, Math.max(list.length - 1, 0));
    list.forEach((row, index) => row.classList.toggle("kd-current-row", index === current));
  };
  const act = (name) => {
    const button = rows()[current]?.querySelector(`[data-action=${name}]`);
    if (button) button.click();
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, select, textarea")) return;
    if (event.key === "Enter" && event.target.closest("a, button")) return;
    const moves = { j: 1, k: -1 };
    if (event.key in moves) {
      current = Math.max(0, Math.min(current + moves[event.key], rows().length - 1));
      mark();
      rows()[current]?.scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter") {
      act("open");
    } else if (event.key === "c") {
      act("claim");
    } else if (event.key === "?") {
      document.getElementById("inbox-keys").toggleAttribute("hidden");
    } else {
      return;
    }
    event.preventDefault();
  });
  document.body.addEventListener("htmx:afterSwap", mark);
  mark();
})();
