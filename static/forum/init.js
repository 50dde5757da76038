// Starts the NHS.UK frontend components (header menu, skip link, error summary focus...).
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

// NHS.UK's page template marks the body from an inline script; our CSP forbids inline code, so
// mark it here (a module script only runs where the frontend is supported). Without the class
// initAll refuses to start any component.
document.body.classList.add("nhsuk-frontend-supported");
initAll();
