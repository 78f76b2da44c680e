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
