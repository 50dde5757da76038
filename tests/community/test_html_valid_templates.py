"""Lint-style checks over every template (including ones added later on other branches), for
what the Nu HTML Checker would refuse on pages the checker test does not reach."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = sorted(
    path
    for root in [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]
    for path in Path(root).rglob("*.html")
)
# An attribute named hx-… (htmx's own prefix); data-hx-… is what valid HTML allows.
BARE_HX = re.compile(r"(?<![\w-])hx-[a-z-]+\s*=")
# Django's "c" format gives microseconds, which <time datetime> does not allow.
DATE_C = re.compile(r"""datetime="\{\{[^}]*\|date:['"]c['"]""")


def _offenders(pattern: re.Pattern) -> list[str]:
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}")
    return found


def test_templates_are_found():
    assert any(path.name == "base.html" for path in TEMPLATES)


def test_no_template_uses_a_bare_hx_attribute():
    offenders = _offenders(BARE_HX)
    assert not offenders, "use data-hx-… instead of hx-… (valid HTML):\n" + "\n".join(offenders)


def test_no_time_element_uses_the_microsecond_c_format():
    offenders = _offenders(DATE_C)
    assert not offenders, "use |datetime_attr for <time datetime>:\n" + "\n".join(offenders)


def test_the_lint_catches_what_it_is_for():
    assert BARE_HX.search('<form hx-post="/x/">')
    assert BARE_HX.search("<button\n hx-target='#a'".replace("\n", ""))
    assert not BARE_HX.search('<form data-hx-post="/x/">')
    assert DATE_C.search("<time datetime=\"{{ post.created_at|date:'c' }}\">")
    assert not DATE_C.search('<time datetime="{{ post.created_at|datetime_attr }}">')
