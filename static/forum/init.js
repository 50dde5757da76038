// Starts the NHS.UK frontend components (header menu, skip link, error summary focus...).
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
