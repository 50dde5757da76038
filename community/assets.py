"""Copy the front-end packages from node_modules into static/vendor/ (run by `make setup`).

The NHS.UK stylesheet declares its Frutiger web font on assets.nhs.uk. We load nothing from
another origin (SPEC: no CDNs or web fonts from elsewhere; the CSP would block it anyway and log
an error on every page), so those @font-face rules are removed and the design system's own
fallback stack (Arial, sans-serif) is used.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"
NHSUK = MODULES / "nhsuk-frontend" / "dist" / "nhsuk"

REMOTE_FONT_FACE = re.compile(r"@font-face\{[^}]*https?://[^}]*\}")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/\s*$")


def strip_remote(css: str) -> str:
    css = REMOTE_FONT_FACE.sub("", css)
    return SOURCE_MAP.sub("", css)


def vendor() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    (VENDOR / "nhsuk").mkdir(parents=True)
    css = (NHSUK / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = strip_remote(css)
    if re.search(r"url\(\s*['\"]?https?://", css):
        sys.exit(
            "nhsuk-frontend.min.css still refers to another origin; update community/assets.py"
        )
    (VENDOR / "nhsuk" / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")
    js = (NHSUK / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    (VENDOR / "nhsuk" / "nhsuk-frontend.min.js").write_text(
        SOURCE_MAP.sub("", js.replace("//# sourceMappingURL=nhsuk-frontend.min.js.map", "")),
        encoding="utf-8",
    )
    shutil.copytree(NHSUK / "assets", VENDOR / "nhsuk" / "assets")
    for package, source in [
        ("htmx", MODULES / "htmx.org" / "dist" / "htmx.min.js"),
        ("axe", MODULES / "axe-core" / "axe.min.js"),
    ]:
        (VENDOR / package).mkdir()
        shutil.copy2(source, VENDOR / package / source.name)


if __name__ == "__main__":
    vendor()
