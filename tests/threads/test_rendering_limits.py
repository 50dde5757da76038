"""The renderer's cheap bounds on pathological input (nesting depth, link destinations, escaped
text): ordinary posts render exactly as before, and what is cut renders as safe text."""

from __future__ import annotations

import random
import time

import pytest
from markdown_it import helpers as markdown_helpers
from markdown_it.rules_block import lheading as markdown_lheading

from community import rendering
from community.rendering import MAX_NESTING, render_markdown
from tests.threads.test_rendering_xss import ALLOWED_TAGS, _parse

REL = 'rel="nofollow noopener noreferrer ugc"'

# Ordinary posts and their HTML, as renderer version 2 (before these bounds) wrote it.
ORDINARY = [
    (
        "Hello **everyone**, thanks for _listening_.",
        "<p>Hello <strong>everyone</strong>, thanks for <em>listening</em>.</p>",
    ),
    (
        '# My story\n\nIt started at work.\n\n> They said I was "too sensitive".\n\nI said no.',
        "<h3>My story</h3>\n<p>It started at work.</p>\n<blockquote>\n<p>They said I was "
        "&quot;too sensitive&quot;.</p>\n</blockquote>\n<p>I said no.</p>",
    ),
    (
        "- one\n- two\n  - nested\n    1. deep\n\nAfter the list & more.",
        "<ul>\n<li>one</li>\n<li>two\n<ul>\n<li>nested\n<ol>\n<li>deep</li>\n</ol>\n</li>\n"
        "</ul>\n</li>\n</ul>\n<p>After the list &amp; more.</p>",
    ),
    (
        "See https://www.nhs.uk/ and [the policy](https://example.org/a_(b)) or <https://x.org>.",
        f'<p>See <a href="https://www.nhs.uk/" {REL}>https://www.nhs.uk/</a> and '
        f'<a href="https://example.org/a_(b)" {REL}>the policy</a> or '
        f'<a href="https://x.org" {REL}>https://x.org</a>.</p>',
    ),
    (
        'Code: `a < b && c > d` and\n\n```python\nprint("x")\n```',
        "<p>Code: <code>a &lt; b &amp;&amp; c &gt; d</code> and</p>\n"
        '<pre><code class="language-python">print(&quot;x&quot;)\n</code></pre>',
    ),
    (
        "| a | b |\n| - | :-: |\n| 1 | 2 |",
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
        "<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>",
    ),
    (
        'Title\n=====\n\nSub\n---\n\n~~gone~~ 5 < 6 > 4 & "quoted" AT&amp;T',
        "<h3>Title</h3>\n<h3>Sub</h3>\n<p><s>gone</s> 5 &lt; 6 &gt; 4 &amp; &quot;quoted&quot; "
        "AT&amp;T</p>",
    ),
    (
        '[ref]\n\n[ref]: https://example.org "T"',
        f'<p><a href="https://example.org" title="T" {REL}>ref</a></p>',
    ),
    (
        "[spaced](<a b> 'title') [escaped](a\\)b) [parens](a(b(c))d) [bad](a(b)",
        f'<p><a href="a%20b" title="title" {REL}>spaced</a> '
        f'<a href="a)b" {REL}>escaped</a> <a href="a(b(c))d" {REL}>parens</a> '
        "[bad](a(b)</p>",
    ),
]


@pytest.mark.parametrize(("body", "expected"), ORDINARY)
def test_ordinary_posts_render_as_before(body, expected):
    assert render_markdown(body) == expected


def test_a_list_nested_ten_deep_shows_every_item_and_what_follows():
    body = "".join("  " * depth + f"- item {depth}\n" for depth in range(10)) + "\nAfter.\n"
    html = render_markdown(body)
    assert html.count("<li>") == 10
    assert "<p>After.</p>" in html


def test_quotes_deeper_than_the_limit_end_there_and_the_post_goes_on():
    html = render_markdown("> " * (MAX_NESTING * 3) + "deep\n\nafter")
    assert 0 < html.count("<blockquote>") <= MAX_NESTING
    assert html.count("<blockquote>") == html.count("</blockquote>")
    assert html.endswith("<p>after</p>")
    assert {tag for tag, _ in _parse(html).tags} <= ALLOWED_TAGS


@pytest.mark.parametrize(
    "body",
    [
        "[" * 200 + "a" + "]" * 200,
        "[" * 200 + "a" + "](javascript:alert(1))" * 200,
        "_" * 300 + "a" + "_" * 300,
    ],
)
def test_brackets_and_emphasis_deeper_than_the_limit_are_literal_safe_text(body):
    html = render_markdown(body)
    parsed = _parse(html)
    hrefs = [value for _, attrs in parsed.tags for name, value in attrs if name == "href"]
    assert not any("javascript" in (href or "") for href in hrefs)
    assert {tag for tag, _ in _parse(html).tags} <= ALLOWED_TAGS
    assert "[[[" in html or "___" in html


def test_deep_lists_render_in_time_with_the_nesting_limit():
    body = "- " * 9_999 + "x"
    started = time.process_time()
    html = render_markdown(body)
    assert time.process_time() - started < 1.0
    assert html.count("<ul>") <= MAX_NESTING


def test_link_destinations_parse_as_markdown_it_does():
    """The jumping destination walk returns what markdown-it's returns (fixed-seed fuzz)."""
    pieces = [*"ab(()) \\\x01\x7f\n<>é\t"]
    generator = random.Random(11)
    for _ in range(20_000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 60)))
        if generator.random() < 0.2:
            text = "(" * generator.randint(30, 36) + text + ")" * generator.randint(0, 40)
        start = generator.randint(0, len(text))
        end = generator.randint(start, len(text))
        ours = rendering._parse_link_destination(text, start, end)
        theirs = markdown_helpers.parseLinkDestination(text, start, end)
        assert (ours.ok, ours.pos, ours.str) == (theirs.ok, theirs.pos, theirs.str), repr(text)


@pytest.mark.parametrize("stops", [0, 1, 2, rendering.DESTINATION_WALK_STOPS])
def test_link_destinations_found_by_the_text_s_index_parse_as_markdown_it_does(monkeypatch, stops):
    """Past a few parentheses and backslashes the walk asks the text's index where it ends:
    the same result from every start and range (fixed-seed fuzz; 0 asks it at once)."""
    monkeypatch.setattr(rendering, "DESTINATION_WALK_STOPS", stops)
    pieces = [*"ab(()) \\\x01\x7f\n<>é\t", "\\(", "\\)", "\\\\", "\\ ", "((((", "))))"]
    generator = random.Random(13 + stops)
    for _ in range(4_000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 80)))
        if generator.random() < 0.3:
            text = "(" * generator.randint(28, 36) + text + ")" * generator.randint(0, 40)
        start = generator.randint(0, len(text))
        end = len(text) if generator.random() < 0.3 else generator.randint(start, len(text))
        for _ in range(2):  # Building the index, then reading the one kept for this text.
            ours = rendering._parse_link_destination(text, start, end)
            theirs = markdown_helpers.parseLinkDestination(text, start, end)
            assert (ours.ok, ours.pos, ours.str) == (theirs.ok, theirs.pos, theirs.str), (
                repr(text),
                start,
                end,
            )


@pytest.mark.parametrize(
    "unit",
    ["[a](" + "()" * 300, "[a](" + "()" * 30, "[a](b", "[a](b(c)", "[a](" + "\\a" * 50],
)
def test_unclosed_links_with_long_destinations_render_in_linear_time(unit):
    """Each ``[a](`` walked its destination until 33 "(" were open or a space: with balanced
    "()" between, that was the rest of the paragraph (20,000 characters: 140 ms). The same
    HTML as markdown-it's own walk, and 4× the body takes about 4× the time."""
    theirs = rendering._markdown.__wrapped__()
    theirs.helpers = markdown_helpers
    small, large = unit * (5_000 // len(unit)), unit * (20_000 // len(unit))
    assert rendering._markdown().render(small) == theirs.render(small)
    times = []
    for body in (small, large):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            render_markdown(body)
            best = min(best, time.process_time() - started)
        times.append(best)
    assert times[1] <= 8 * times[0] + 0.01, times  # Quadratic would be 16×.


@pytest.mark.parametrize(
    "body",
    [
        "a & b &amp; c < d > e",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&&&&&&&<<<<>>>>",
        "tab\x01control\x7f & \x0bvertical &amp;",
        "&copy; &#169; &#x3C;b&#x3E; &nbsp;&",
        "\"quoted\" & 'single'",
    ],
)
def test_escaped_text_cleans_as_bleach_s_full_parse_does(body):
    html = rendering._demote_headings(rendering._markdown().render(body))
    cleaner = rendering._cleaner()
    assert cleaner.clean(html) == cleaner.clean(html, fast=False)
    assert "<script" not in cleaner.clean(html)


def test_setext_headings_parse_as_markdown_it_does():
    """Skipping the setext rule when no line could underline changes the time, never the HTML
    (fixed-seed fuzz against markdown-it's own rule, in quotes, lists and tables too)."""
    ours = rendering._markdown()
    theirs = rendering._markdown.__wrapped__()
    theirs.block.ruler.at("lheading", markdown_lheading)
    pieces = ["a", "b c", "-", "=", "---", "===", " ", "\t", "\n", "\n\n", "> ", "- ", "1. "]
    pieces += ["    ", "|a|b|\n|-|-|\n", "```\n", "# ", "*", "[a]: /u\n", "a -", "=\t"]
    generator = random.Random(5)
    for _ in range(2_000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 30)))
        assert ours.render(text) == theirs.render(text), repr(text)
    assert render_markdown("Title\n===\n\n> Quote\n> ---\n\n- item\n  ===") == (
        "<h3>Title</h3>\n<blockquote>\n<h3>Quote</h3>\n</blockquote>\n<ul>\n<li>\n<h3>item</h3>\n"
        "</li>\n</ul>"
    )


def test_a_list_nested_past_the_limit_shows_twenty_levels_and_nothing_unsafe():
    body = "".join("  " * depth + f"- item {depth}\n" for depth in range(30)) + "\nAfter.\n"
    html = render_markdown(body)
    assert html.count("<li>") == MAX_NESTING // 2
    assert html.count("<ul>") == html.count("</ul>")
    assert {tag for tag, _ in _parse(html).tags} <= ALLOWED_TAGS


# Renderer version 4: caps on links, headings and table cells -------------------------------


def test_links_past_the_cap_are_their_text_and_the_first_ones_stay_links():
    cap = rendering.MAX_LINKS
    html = render_markdown("[a]: https://x.example/\n\n" + "[a] " * (cap + 20))
    assert html.count("<a ") == cap
    assert html.count(REL) == cap
    assert html.endswith("[a]</p>")
    assert html.count("[a]") == 20
    # Inline links past the cap show their brackets; the bare URL inside is still linked.
    html = render_markdown("[t](https://x.org/) " * (cap + 3))
    assert html.count(">t</a>") == cap
    assert html.count("[t](") == 3
    assert 'href="javascript' not in render_markdown("[t](/u) " * cap + "[x](javascript:y)")


def test_headings_past_the_cap_are_their_text():
    cap = rendering.MAX_HEADINGS
    html = render_markdown("# a\n" * (cap + 5))
    assert html.count("<h3>") == cap
    assert html.count("# a") == 5
    html = render_markdown("a\n-\n" * (cap + 5))
    assert html.count("<h3>") == cap
    mixed = render_markdown("# a\n\nb\n=\n\n" * cap + "# past\n\nc\n-\n")
    assert mixed.count("<h3>") == cap and "# past" in mixed and "<h3>past" not in mixed


def test_one_post_s_caps_do_not_carry_over_to_the_next():
    render_markdown("# a\n" * (rendering.MAX_HEADINGS + 1))
    render_markdown("[a](/u) " * (rendering.MAX_LINKS + 1))
    assert render_markdown("# b") == "<h3>b</h3>"
    assert render_markdown("[b](/u)") == f'<p><a href="/u" {REL}>b</a></p>'


def test_ordinary_posts_are_far_under_the_caps():
    assert rendering.MAX_LINKS >= 100 and rendering.MAX_HEADINGS >= 50
    assert rendering.MAX_TABLE_CELLS >= 500
    body = "\n\n".join(f"## Part {n}\n\nSee [source {n}](https://x.org/{n})." for n in range(40))
    html = render_markdown(body)
    assert html.count("<h3>") == 40 and html.count("<a ") == 40


def test_emphasis_markers_past_the_caps_are_their_characters():
    run = "_" * (rendering.MAX_MARKER_RUN + 1)
    assert render_markdown(f"{run}a{run}") == f"<p>{run}a{run}</p>"
    ok = "_" * 3
    assert render_markdown(f"{ok}a{ok}") == "<p><em><strong>a</strong></em></p>"
    markers = rendering.MAX_EMPHASIS_MARKERS
    html = render_markdown("*a* " * (markers // 2) + "*b* *c*")
    assert html.count("<em>") == markers // 2
    assert html.endswith("*b* *c*</p>")
    # The count is per paragraph: the next one has emphasis again.
    assert "<em>d</em>" in render_markdown("*a* " * markers + "\n\n*d*")


def test_a_table_wider_than_the_column_cap_is_its_text():
    wide = rendering.MAX_TABLE_COLUMNS + 5
    html = render_markdown("|" + "a|" * wide + "\n|" + "-|" * wide + "\n|" + "b|" * wide)
    assert "<table>" not in html and html.startswith("<p>|a|a|")
    fits = rendering.MAX_TABLE_COLUMNS
    html = render_markdown("|" + "a|" * fits + "\n|" + "-|" * fits + "\n|" + "b|" * fits)
    assert html.count("<th>") == fits and html.count("<td>") == fits
    # A wide "table" inside a paragraph does not interrupt it either.
    assert "<table>" not in render_markdown("text\n|" + "a|" * wide + "\n|" + "-|" * wide)


def test_bare_urls_count_toward_the_link_cap():
    cap = rendering.MAX_LINKS
    html = render_markdown("see x.co " * (cap + 10))
    assert html.count("<a ") == cap and html.endswith("see x.co</p>")
    html = render_markdown("[a](/u) " * (cap - 2) + "https://x.org/a " * 5)
    assert html.count("<a ") == cap
    # Outside a render (another caller of the linkifier) nothing is counted.
    assert rendering._Linkifier._links_left() is None
