// The top bar's search (templates/base.html): htmx fills the dropdown as you type;
// this walks it with the keyboard (ArrowDown/ArrowUp, Enter opens, Escape closes)
// and lets "/" focus the box from anywhere but a text field.
(function () {
  "use strict";
  const input = document.getElementById("global-search");
  const box = document.getElementById("search-suggest");
  if (!input || !box) return;
  let active = -1;

  const options = () => Array.from(box.querySelectorAll('[role="option"]'));
  const isOpen = () => box.classList.contains("show");

  function highlight(index) {
    active = index;
    options().forEach((option, i) => {
      const on = i === index;
      option.classList.toggle("active", on);
      option.setAttribute("aria-selected", on ? "true" : "false");
      if (on) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
    if (index < 0) input.removeAttribute("aria-activedescendant");
  }

  function show(open) {
    box.classList.toggle("show", open);
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) highlight(-1);
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== box) return;
    active = -1;
    show(box.children.length > 0 && document.activeElement === input);
  });

  input.addEventListener("focus", () => {
    if (box.children.length > 0) show(true);
  });

  input.addEventListener("keydown", (event) => {
    const items = options();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!items.length) return;
      event.preventDefault();
      if (!isOpen()) show(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 && step < 0 ? items.length - 1 : (active + step + items.length) % items.length);
    } else if (event.key === "Enter" && isOpen() && active >= 0 && items[active]) {
      event.preventDefault();
      window.location.assign(items[active].href);
    } else if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      show(false);
    }
  });

  // Closes when the focus leaves the search (a click on an option keeps it inside).
  input.form.addEventListener("focusout", (event) => {
    if (!input.form.contains(event.relatedTarget)) show(false);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.closest && target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
    if (typing) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
})();
