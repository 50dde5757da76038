"""Helpers shared by the browser tests: signing in, axe-core, screenshots, feature guards."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "static" / "vendor" / "axe" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
PASSWORD = "peer-forum-demo"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def skip_reason() -> str | None:
    if os.environ.get("FORUM_BROWSER_TESTS") != "1":
        return "browser tests run only with FORUM_BROWSER_TESTS=1 (make test-browser)"
    if not CHROMIUM.exists():
        return "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not AXE_JS.exists():
        return "static/vendor/axe/axe.min.js is missing (run make setup)"
    return None


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the allauth form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator('form[action="/accounts/login/"] button[type=submit]').click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_in_state(browser, live_app, email: str) -> dict:
    """Sign in once per account per run and reuse the cookies (each sign-in costs a second)."""
    if email not in live_app.storage_states:
        context = browser.new_context(base_url=live_app.url)
        context.set_default_timeout(10_000)
        sign_in(context.new_page(), email)
        live_app.storage_states[email] = context.storage_state()
        context.close()
    return live_app.storage_states[email]


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations on the current page (axe from our own files)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Served from our own static files (static/vendor/axe, copied from node_modules by
        # make setup), so the page's CSP (script-src 'self') lets it run.
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=f"{origin}/static/vendor/axe/axe.min.js")
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))
            }));
        }"""
    )
    serious = [v for v in results if v["impact"] in {"serious", "critical"}]
    # axe files an idref to a missing element under "incomplete"; to a screen reader it is a
    # hint or error message that is never read, so count it as serious.
    broken = page.evaluate(
        """() => Array.from(document.querySelectorAll('[aria-describedby], [aria-labelledby]'))
            .flatMap(el => ['aria-describedby', 'aria-labelledby'].flatMap(attr =>
                (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)
                    .filter(id => !document.getElementById(id))
                    .map(id => `${el.tagName.toLowerCase()}#${el.id} ${attr}="${id}"`)))"""
    )
    if broken:
        serious.append(
            {"id": "broken-idref", "impact": "serious", "help": "Missing idref", "nodes": broken}
        )
    return serious


def format_violations(violations) -> str:
    return json.dumps(violations, indent=2)[:6000]


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    page.screenshot(path=str(SCREENSHOTS / f"{slug}-{width}.png"), full_page=True)


def require_path(live_app, path: str, what: str) -> None:
    """Skip when a feature's pages have not landed yet (its URL is a 404)."""
    if live_app.status(path) == 404:
        pytest.skip(f"{what} not built yet ({path} is a 404)")
