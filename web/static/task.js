// The task form saves a draft as one types (htmx posts it); leaving before that save, or before Complete, asks first.
(() => {
  const form = document.querySelector("[data-testid=task-form]");
  if (!form) return;
  let unsaved = false;
  form.addEventListener("input", () => { unsaved = true; });
  form.addEventListener("htmx:afterRequest", (event) => { if (event.detail.successful) unsaved = false; });
  form.addEventListener("submit", () => { unsaved = false; });
  window.addEventListener("beforeunload", (event) => {
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = form.dataset.unsavedWarning;  // browsers show their own words; older ones show this
  });
})();
