"""Keyboard only: on the thread and live pages the skip link comes first and works, every control
can be reached with Tab, and each one shows where the focus is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Tags every visible, enabled control with data-kb and returns their descriptions. A radio group
# is one tab stop, so only its first radio counts.
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const radios = new Set();
  const controls = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.closest('[inert]')) continue;
    const visible = el.checkVisibility({visibilityProperty: true})
      || (el.type === 'checkbox' || el.type === 'radio');  // NHS.UK hides the real input
    if (!visible || (!el.getClientRects().length && !el.classList.contains('nhsuk-skip-link'))) {
      continue;
    }
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
    if (el.type === 'radio') {
      if (radios.has(el.name)) continue;
      radios.add(el.name);
    }
    el.dataset.kb = String(controls.length);
    controls.push(describe(el));
  }
  return controls;
  function describe(el) {
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${
      (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40)}"`;
  }
}"""

# Describes the focused element and whether its focus style is visible: an outline that is not
# transparent, a box shadow, or the NHS.UK yellow, on it, its label's box or its first child.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const yellow = 'rgb(255, 235, 59)';
  const shows = (style) => style && (
    (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
      && !style.outlineColor.endsWith(', 0)') && style.outlineColor !== 'transparent')
    || (style.boxShadow && style.boxShadow !== 'none')
    || style.backgroundColor === yellow);
  const styles = [getComputedStyle(el)];
  if (el.firstElementChild) styles.push(getComputedStyle(el.firstElementChild));
  for (const label of el.labels || []) {
    styles.push(getComputedStyle(label, '::before'), getComputedStyle(label, '::after'));
  }
  return {kb: el.dataset.kb ?? null, tag: el.tagName.toLowerCase(), id: el.id,
          text: (el.innerText || el.value || '').trim().slice(0, 40),
          visible: styles.some(shows)};
}"""


def tab_through(page, max_steps: int = 300) -> list[dict]:
    """Press Tab from the top of the page until focus leaves it; return each focused element."""
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    seen = []
    for _ in range(max_steps):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (
            seen and focused["kb"] is not None and focused["kb"] == seen[0]["kb"]
        ):
            break
        seen.append(focused)
    return seen


def check_keyboard(page) -> None:
    controls = page.evaluate(MARK_CONTROLS)
    steps = tab_through(page)
    assert steps, "Tab did not focus anything"
    first = steps[0]
    assert "nhsuk-skip-link" in page.evaluate(
        "() => document.querySelector('[data-kb=\"' + %s + '\"]')?.className || ''"
        % (f'"{first["kb"]}"' if first["kb"] is not None else "null")
    ), f"first Tab stop is {first}, not the skip link"
    invisible = [s for s in steps if not s["visible"]]
    assert not invisible, f"focus not visible on: {invisible}"
    reached = {s["kb"] for s in steps}
    missing = [c for i, c in enumerate(controls) if str(i) not in reached]
    assert not missing, f"not reachable with Tab: {missing}"

    # The skip link takes keyboard users straight to the content.
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    page.keyboard.press("Tab")
    expect(page.locator(".nhsuk-skip-link")).to_be_focused()
    expect(page.locator(".nhsuk-skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#maincontent")).to_be_focused()


def test_thread_page_works_with_the_keyboard_alone(new_context, live_app, demo_ids):
    if not demo_ids.get("thread"):
        pytest.skip("threads app not built yet (no demo thread)")
    page = new_context("member@example.org").new_page()
    page.goto(f"/spaces/safe-spaces/threads/{demo_ids['thread']}/")
    check_keyboard(page)
    # The content note opens from the keyboard too.
    summary = page.locator("summary").first
    if summary.count():
        summary.focus()
        page.keyboard.press("Enter")
        expect(page.locator("details").first).to_have_attribute("open", "")


def test_live_room_works_with_the_keyboard_alone(new_context, demo_ids):
    if not demo_ids.get("live"):
        pytest.skip("live sessions not built yet (no demo live session)")
    url = f"/live/{demo_ids['live']}/"
    participant = new_context("member@example.org").new_page()
    participant.goto(url)
    expect(participant.locator("#live-connection")).to_have_attribute("data-state", "connected")
    page = new_context("facilitator@example.org").new_page()
    page.goto(url)
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "connected")
    # The facilitator's per-person buttons are there before we count the controls.
    expect(page.locator("#live-present li").filter(has_text="Mel Chen")).to_be_visible()
    check_keyboard(page)

    # Sending a message by keyboard alone.
    page.get_by_label("Your message").focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")  # to "Ask this as a question"
    page.locator("#live-send").focus()
    page.keyboard.press("Enter")
    expect(
        participant.locator("#live-stream li").filter(has_text="Typed without a mouse")
    ).to_be_visible()
