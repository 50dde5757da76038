"""Rendering takes time linear in the body: every pathological body of bench/render_corpus.py
renders fast, stays sanitized and does not balloon; the worst shapes grow linearly.

Times are CPU time (``time.process_time``), best of a few tries, so a loaded machine does not
fail the tests; the bound is generous. The real figures come from ``bench/render.py``.
"""

import random
import time

import bleach
import pytest
from markdown_it import helpers as markdown_helpers

from bench.render_corpus import BODY_MAX, CASES, corpus
from community import rendering
from community.rendering import (
    LINK_ATTRIBUTE_BUDGET,
    MAX_INLINE_DEPTH,
    MAX_TABLE_CELLS,
    render_markdown,
)
from tests.threads.test_rendering_xss import ALLOWED_ATTRS, ALLOWED_TAGS, _parse, _scheme
from threads.models import BODY_MAX as MODEL_BODY_MAX

BOUND_SECONDS = 1.0

# The shapes that were super-linear before (bleach's linkifier, markdown-it's link labels,
# html5lib's tree walker and formatting elements, table and reference amplification).
WORST_CASES = [
    "run of '('",
    "'a-' repeated",
    "run of '['",
    "nested brackets",
    "nested underscores",
    "table header, many empty rows",
    "many fences",
    "reused long reference",
]


def _cpu_seconds(body: str, tries: int) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        render_markdown(body)
        best = min(best, time.process_time() - started)
    return best


def _assert_sanitized(name: str, html: str) -> None:
    parsed = _parse(html)
    assert not parsed.comments, name
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS | {"span"}, (name, tag)
        for attr, value in attrs:
            if tag == "span":
                assert (attr, value) == ("class", "link-host"), (name, attr, value)
                continue
            assert attr in ALLOWED_ATTRS.get(tag, set()), (name, tag, attr)
            if attr == "href":
                assert _scheme(value or "") in {"", "http", "https", "mailto"}, (name, value)
            if attr == "rel":
                assert value == "nofollow noopener noreferrer ugc", (name, value)


def test_corpus_bodies_reach_the_body_limit():
    assert BODY_MAX == MODEL_BODY_MAX
    bodies = corpus()
    assert len(bodies) >= 60
    assert all(len(body) <= BODY_MAX for _, body in bodies)
    assert sum(len(body) >= BODY_MAX * 0.95 for _, body in bodies) >= 50
    assert {name for name in WORST_CASES} <= set(CASES)


@pytest.mark.parametrize(("name", "body"), corpus(), ids=[name for name, _ in corpus()])
def test_pathological_body_renders_fast_and_sanitized(name, body):
    started = time.process_time()
    html = render_markdown(body)
    elapsed = time.process_time() - started
    if elapsed > BOUND_SECONDS:  # One more chance, in case of a stall (swap, GC, a neighbour).
        elapsed = _cpu_seconds(body, 2)
    assert elapsed < BOUND_SECONDS, f"{name}: {elapsed:.2f} s"
    _assert_sanitized(name, html)
    # No shape balloons: tables, references and links are bounded.
    assert len(html) <= 15 * len(body) + LINK_ATTRIBUTE_BUDGET, (name, len(html))


@pytest.mark.parametrize("name", WORST_CASES)
def test_worst_shapes_grow_linearly(name):
    half, full = CASES[name](BODY_MAX // 2), CASES[name](BODY_MAX)
    for tries in (2, 5):  # Measured again, more carefully, before failing.
        t_half, t_full = _cpu_seconds(half, tries), _cpu_seconds(full, tries)
        # Linear is 2×; quadratic 4×. A little slack for timer granularity on fast cases.
        if t_full <= 3 * t_half + 0.01:
            return
    pytest.fail(f"{name}: {t_half * 1000:.1f} ms for half the body, {t_full * 1000:.1f} ms for all")


def test_table_stops_after_the_cell_limit_and_the_rest_is_text():
    rows = MAX_TABLE_CELLS  # Two columns: twice the cells allowed.
    html = render_markdown("| a | b |\n| - | - |\n" + "| 1 | 2 |\n" * rows)
    assert html.count("<td>") + html.count("<th>") == MAX_TABLE_CELLS
    assert "| 1 | 2 |" in html.split("</table>", 1)[1]


def test_small_tables_are_untouched():
    html = render_markdown("| a | b |\n| - | - |\n| 1 | 2 |")
    assert html.count("<td>") == 2 and html.count("<th>") == 2 and "|" not in html


def test_reused_reference_links_stop_at_the_attribute_budget():
    url = "https://x.example/" + "a" * 5_000
    html = render_markdown(f"[a]: {url}\n\n" + "[a] " * 100)
    assert html.count("<a ") == LINK_ATTRIBUTE_BUDGET // len(url)
    assert html.count(">a<") + html.count(" a ") >= 1  # The rest are their text.
    assert len(html) < 2 * LINK_ATTRIBUTE_BUDGET


def test_emphasis_deeper_than_the_limit_is_shown_as_its_characters():
    depth = MAX_INLINE_DEPTH + 10
    html = render_markdown("*a " * depth + "b" + " a*" * depth)
    assert html.count("<em>") == MAX_INLINE_DEPTH
    assert html.count("<em>") == html.count("</em>")
    assert "*a" in html
    assert render_markdown("*a **b** ~~c~~*") == "<p><em>a <strong>b</strong> <s>c</s></em></p>"


def test_link_labels_parse_as_markdown_it_does():
    """The remembered link labels change the time, never the result (fixed-seed fuzz)."""
    ours = rendering._markdown()
    theirs = rendering._markdown.__wrapped__()
    theirs.helpers = markdown_helpers
    pieces = ["[", "]", "(", ")", "a", " ", "`", "*", "_", "!", "<", ">", "\\", '"', "\n"]
    pieces += ["https://x.org", "[a]: /u\n", "](b)", "[a]"]
    generator = random.Random(7)
    for _ in range(1_000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 40)))
        assert ours.render(text) == theirs.render(text), text
    for text in ["[" * 150 + "a" + "]" * 150, "[" * 101 + "foo]()", "[" * 60 + "a](b)" * 60]:
        assert ours.render(text) == theirs.render(text), text
    # Around the nesting limit, where a label walk meets brackets that open labels of their own.
    for depth in (18, 19, 20, 38, 39, 40, 41, 79, 80, 81):
        for text in [
            "[" * depth + "a" + "]" * depth,
            "[" * depth + "a](b)" + "]" * depth,
            "[" * depth + "a]" * depth + "(b)",
            "[a" * depth + "]" * (depth + 1) + "[x]: /u\n\n[x]",
            "> " + "[" * depth + "*a*" + "](b)" * depth,
        ]:
            assert ours.render(text) == theirs.render(text), text
    brackets = ["[", "[", "[", "]", "]", "a", "](b)", "[x]", "*", "`", "\\[", "\n"]
    for _ in range(300):
        text = "".join(generator.choice(brackets) for _ in range(generator.randint(30, 120)))
        assert ours.render(text + "\n\n[x]: /u") == theirs.render(text + "\n\n[x]: /u"), text


def test_tree_walker_cleans_as_bleach_does():
    stock = bleach.sanitizer.Cleaner(
        tags=rendering.ALLOWED_TAGS,
        attributes=rendering._allowed_attribute,
        protocols=rendering.ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[rendering._LinkRel],
    )
    rendered = [
        rendering._demote_headings(rendering._markdown().render(body)) for _, body in corpus(600)
    ]
    raw = ["<p>a</p>" * 50, "<ul>" + "<li><em>x</em> y</li>" * 50 + "</ul>", "<b><i>x</b>y</i>"]
    raw += ['<table><tr><td>1</td></tr></table><script>x</script><a href="/">x</a>tail']
    for html in rendered + raw:
        assert rendering.sanitize(html) == stock.clean(html)


def _both_ways(html: str) -> tuple[str, str]:
    cleaner = rendering._cleaner()
    return cleaner.clean(html), cleaner.clean(html, fast=False)


@pytest.mark.parametrize("size", [BODY_MAX, 400])
def test_markdown_output_read_without_html5lib_cleans_to_the_same_html(size):
    from tests.security.xss_vectors import VECTORS

    bodies = [body for _, body in corpus(max(size, 1000))] + list(VECTORS)
    for body in bodies:
        html = rendering._demote_headings(rendering._markdown().render(body))
        assert rendering._markdown_tokens(html) is not None, body[:60]
        fast, full = _both_ways(html)
        assert fast == full, body[:60]


@pytest.mark.parametrize(
    "html",
    [
        "<p>a <script>alert(1)</script></p>",
        "<p>unclosed <em>emphasis</p>",
        "<p>a</p></p>",
        "<p><p>nested</p></p>",
        "<table><tr><td>no tbody</td></tr></table>",
        "<p><table><tbody><tr><td>x</td></tr></tbody></table></p>",
        "<p><a href=x><a href=y>nested</a></a></p>",
        "<p onclick='x'>single quotes</p>",
        "<p>a < b</p>",
        "<br></br>",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_other_markup_goes_through_the_full_parser_and_is_cleaned(html):
    """Only markup exactly as markdown-it writes it skips html5lib's parser: anything else (as
    :func:`rendering.sanitize` may be given) is parsed in full, with the same result."""
    assert rendering._markdown_tokens(html) is None
    fast, full = _both_ways(html)
    assert fast == full
    assert "<script" not in fast and "javascript:" not in fast and "onerror" not in fast


def test_markup_read_without_html5lib_is_still_sanitized():
    html = '<p><a href="javascript:alert(1)" title="t">x</a><span class="other">y</span></p>'
    assert rendering._markdown_tokens(html) is not None
    fast, full = _both_ways(html)
    assert fast == full
    assert "javascript:" not in fast and "other" not in fast
    assert 'rel="nofollow noopener noreferrer ugc"' in fast


def test_a_repeated_tag_is_sanitized_the_same_each_time():
    """The sanitizer decides once per distinct tag: every copy is still cleaned, and each gets
    its own attributes (``rel`` set on every link, none shared between them)."""
    bad = '<a href="javascript:alert(1)" title="t">x</a>'
    good = '<a href="https://example.org">y</a>'
    html = "<p>" + (bad + good) * 50 + "</p>"
    fast, full = _both_ways(html)
    assert fast == full
    assert "javascript:" not in fast
    assert fast.count('rel="nofollow noopener noreferrer ugc"') == 100
    assert fast.count('href="https://example.org"') == 50


def test_random_bodies_clean_the_same_with_and_without_html5lib_s_parser():
    """Seeded fuzz: control characters, form feeds, lone surrogates, entities, markup."""
    pieces = [*"ab <>&\"'`*_[]()!#-|:~\\\n\t\x0c\x01\x0b\x7f\x85\u2028\ufeff\ud800é.;/="]
    pieces += ["http://x.co", "&amp;", "&#0;", "&#x110000;", "```", "> ", "1. ", "|-|\n"]
    pieces += ["[a]: /u\n", "<script>", "javascript:", "[x](javascript:y)", "**", "~~"]
    rng = random.Random(13)
    for _ in range(500):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        html = rendering._demote_headings(rendering._markdown().render(body))
        fast, full = _both_ways(html)
        assert fast == full, repr(body)
