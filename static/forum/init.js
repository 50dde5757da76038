// Starts the NHS.UK frontend components (header menu, skip link, error summary focus...).
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

// NHS.UK's page template marks the body from an inline script; our CSP forbids inline code, so
// mark it here (a module script only runs where the frontend is supported). Without the class
// initAll refuses to start any component.
document.body.classList.add("nhsuk-frontend-supported");
initAll();

// An HTMX swap replaces the element that had focus (a reaction button, say), and the browser
// drops focus to the page. Keep keyboard users where they were: focus the control at the same
// place in the new content. Swapped targets carry an id (data-hx-target="#…").
const FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
let refocus = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  const active = document.activeElement;
  refocus = null;
  if (target && target.id && active && active !== document.body && target.contains(active)) {
    refocus = { id: target.id, index: [...target.querySelectorAll(FOCUSABLE)].indexOf(active) };
  }
});
document.addEventListener("htmx:afterSettle", () => {
  if (!refocus) return;
  const { id, index } = refocus;
  refocus = null;
  const container = document.getElementById(id);
  if (!container) return;
  const controls = [...container.querySelectorAll(FOCUSABLE)];
  const next = controls[Math.min(index, controls.length - 1)];
  if (next && document.activeElement !== next) next.focus();
});
