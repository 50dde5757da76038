"""The renderer's fast paths change the time, never the result.

- markdown-it's own output is cleaned tag by tag (:func:`rendering._clean_markdown`): each
  distinct tag is still decided by bleach's sanitizer filter and written by bleach's serializer,
  and the text between tags comes out as bleach gives it back. Compared with bleach's full
  parse on the whole corpus, every XSS vector and seeded random bodies.
- The inline parser asks only the rules that can start at each character
  (:mod:`community.rendering_inline`): compared with markdown-it's own parser.
"""

import random

import bleach
import pytest
from markdown_it.parser_inline import ParserInline

from bench.render_corpus import BODY_MAX, corpus
from community import rendering
from community.rendering_block import MarkerBlockParser
from community.rendering_inline import INLINE_MARKERS, MarkerInlineParser
from tests.security.xss_vectors import VECTORS


def _stock_cleaner() -> bleach.sanitizer.Cleaner:
    return bleach.sanitizer.Cleaner(
        tags=rendering.ALLOWED_TAGS,
        attributes=rendering._allowed_attribute,
        protocols=rendering.ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[rendering._LinkRel],
    )


def _markup(body: str) -> str:
    return rendering._demote_headings(rendering._markdown().render(body))


@pytest.fixture
def fresh_decisions(monkeypatch):
    """No tag decided by an earlier test: every tag of the body is asked of bleach here."""
    monkeypatch.setattr(rendering, "_TAG_DECISIONS", {})


@pytest.mark.parametrize("size", [BODY_MAX // 4, 400])
def test_markdown_output_cleaned_tag_by_tag_is_bleach_s_full_parse(size, fresh_decisions):
    stock = _stock_cleaner()
    for body in [body for _, body in corpus(max(size, 1000))] + list(VECTORS):
        html = _markup(body)
        done = rendering._clean_markdown(html)
        assert done is not None, body[:60]  # The fast path is the one taken.
        assert done[0] == stock.clean(html), body[:60]
        assert rendering.render_markdown(body) == stock.clean(html).strip(), body[:60]


def test_random_bodies_clean_tag_by_tag_as_bleach_does(fresh_decisions):
    """Seeded fuzz: control characters, form feeds, entities, quotes, markup, links."""
    pieces = [*"ab <>&\"'`*_[]()!#-|:~\\\n\t\x0c\x01\x0b\x7f\x85\u2028\ufeff\ud800é.;/="]
    pieces += ["http://x.co", "&amp;", "&quot;", "&#0;", "&#x110000;", "```", "> ", "1. "]
    pieces += ["[a]: /u\n", "<script>", "javascript:", "[x](javascript:y)", "**", "~~", "|-|\n"]
    pieces += ['[t](https://x.org "a&b")', "[n](https://nhs.uk.evil.example)", "# ", "\x0c\x0b"]
    stock = _stock_cleaner()
    rng = random.Random(29)
    taken = 0
    for _ in range(600):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        html = _markup(body)
        done = rendering._clean_markdown(html)
        taken += done is not None
        assert (done[0] if done else rendering.sanitize(html)) == stock.clean(html), repr(body)
    assert taken > 500


def test_text_outside_markdown_it_s_grammar_is_not_cleaned_tag_by_tag():
    for html in ["<p>a > b</p>", "<p>a &copy; b</p>", "<p>a &#0; b</p>", "<p>'&'</p>", "<p>a<"]:
        assert rendering._clean_markdown(html) is None, html
        assert rendering.sanitize(html) == _stock_cleaner().clean(html), html


def test_a_tag_bleach_refuses_is_refused_every_time_tag_by_tag(fresh_decisions):
    bad = '<a href="javascript:alert(1)" title="t">x</a>'
    good = '<a href="https://example.org">y</a>'
    html = "<p>" + (bad + good) * 30 + '<span class="other">z</span></p>'
    done = rendering._clean_markdown(html)
    assert done is not None
    assert done[0] == _stock_cleaner().clean(html)
    assert "javascript:" not in done[0] and "other" not in done[0]
    assert done[0].count('rel="nofollow noopener noreferrer ugc"') == 60
    # Decided once: the second time every tag is remembered, with the same answer.
    assert rendering._clean_markdown(html) == done


def test_remembered_tag_decisions_are_bounded(monkeypatch):
    monkeypatch.setattr(rendering, "_TAG_DECISIONS", {})
    monkeypatch.setattr(rendering, "_TAG_DECISIONS_MAX", 50)
    html = "".join(f'<p><a href="https://x.org/{n}">{n}</a></p>' for n in range(120))
    assert rendering._clean_markdown(html)[0] == _stock_cleaner().clean(html)
    assert len(rendering._TAG_DECISIONS) <= 50 + 121
    # Tags remembered before, with new ones past the bound: the memory is emptied, and the
    # tags it held are still written.
    more = html + "".join(f'<p><a href="https://y.org/{n}">{n}</a></p>' for n in range(60))
    assert rendering._clean_markdown(more)[0] == _stock_cleaner().clean(more)


def _stock_inline_markdown():
    md = rendering._markdown.__wrapped__()
    md.inline.__class__ = ParserInline
    return md


def test_inline_parser_dispatch_gives_markdown_it_s_tokens():
    ours, theirs = rendering._markdown(), _stock_inline_markdown()
    assert isinstance(ours.inline, MarkerInlineParser)
    assert ours.inline._rules_by_character() is not None  # Dispatching, not falling back.
    pieces = [*"[]()<>!`*_~\\&:#\n -=|\"'a1"]
    pieces += ["http://x.co", "https://", "&amp;", "&#x41;", "<http://a.b>", "[a]: /u\n"]
    pieces += ["](b)", "[a]", "**", "~~", "  \n", "\\\n", "mailto:a@b.co", "x.co("]
    pieces += [" \n", "\n\t", "\n  ", "\t", "http://x.org\n", "\nwww.x.org"]
    rng = random.Random(31)
    for _ in range(1_500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 50)))
        assert ours.render(text) == theirs.render(text), repr(text)
    for _, body in corpus(3_000):
        assert ours.render(body) == theirs.render(body), body[:60]
    # Content no inline rule starts in is one text token, field for field.
    for text in ["a", "one two", "| 1 | 2 |\n|-|-|\n| é | 1.5 |", '- x (y) "z" #h =', "A quote"]:
        mine = [token.as_dict() for token in ours.parse(text)]
        stock = [token.as_dict() for token in theirs.parse(text)]
        assert mine == stock, text


def test_inline_parser_falls_back_for_a_rule_it_does_not_know():
    md = rendering._markdown.__wrapped__()
    md.inline.ruler.push("plugin", lambda state, silent: False)
    assert md.inline._rules_by_character() is None
    assert md.render("a *b* [c](d)") == '<p>a <em>b</em> <a href="d">c</a></p>\n'


def test_every_listed_marker_rule_exists_in_markdown_it():
    names = {rule.name for rule in ParserInline().ruler.__rules__}
    assert set(INLINE_MARKERS) <= names
    assert names - set(INLINE_MARKERS) == {"text"}


def _stock_paragraph_markdown():
    from markdown_it.parser_block import ParserBlock
    from markdown_it.rules_block import paragraph

    md = rendering._markdown.__wrapped__()
    md.block.ruler.at("paragraph", paragraph)
    md.block.__class__ = ParserBlock
    return md


def test_paragraph_rule_with_the_line_filter_gives_markdown_it_s_tokens():
    """Both block fast paths (the paragraph's line filter and the block parser's choice of
    rules by first character) against markdown-it's own rule and loop."""
    ours, theirs = rendering._markdown(), _stock_paragraph_markdown()
    assert isinstance(ours.block, MarkerBlockParser)
    assert ours.block._rules_by_character() is not None  # Dispatching, not falling back.
    lines = ["a", "b c", "# h", "#x", "> q", "- i", "* i", "+ i", "1. i", "2) i", "10. i", "---"]
    lines += ["***", "___", "```", "~~~", "| a | b |", "|-|-|", "-|-", ":-:", "a|b", "    code"]
    lines += ["", "  ", "\t- t", "   # h", "[a]: /u", "=", "-", "<div>", "x\\", "1.", "-a"]
    lines += ["|", "||", "| - |", "|\t-", ":|", "--", "- -", "|:-", "|-x", "a | b", ":"]
    lines += ["> - a", "> > b", "- > c", "  - d", "    - e", "> ```", "- ---", "> [b]: /v", "[b]"]
    lines += ["> # h", "-\t*", "2. 1. x", "> a|b", "> -|-", "~~~x", "===", "> ===", "-   ", "*"]
    rng = random.Random(37)
    for _ in range(3_000):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 14)))
        assert ours.render(text) == theirs.render(text), repr(text)
    for _, body in corpus(3_000):
        assert ours.render(body) == theirs.render(body), body[:60]


def test_paragraph_rule_asks_every_line_for_a_terminator_it_does_not_know():
    from types import SimpleNamespace

    from community.rendering_block import _terminator_check

    md = rendering._markdown.__wrapped__()
    asked = []

    def plugin(state, start, end, silent):
        asked.append(start)
        return False

    md.block.ruler.before("paragraph", "plugin", plugin, {"alt": ["paragraph"]})
    terminators = md.block.ruler.getRules("paragraph")
    assert _terminator_check(SimpleNamespace(md=md), terminators) is None
    assert md.render("a\nb\nc") == "<p>a\nb\nc</p>\n"
    assert 1 in asked and 2 in asked  # Lines that no built-in rule would stop at.


def test_block_parser_falls_back_for_a_rule_it_does_not_know():
    md = rendering._markdown.__wrapped__()
    asked = []

    def plugin(state, start, end, silent):
        asked.append(start)
        return False

    md.block.ruler.before("paragraph", "plugin", plugin)
    assert md.block._rules_by_character() is None
    assert md.render("a\n\n# b") == "<p>a</p>\n<h1>b</h1>\n"
    assert asked == [0]  # markdown-it's own loop: asked at the paragraph, not at the heading.


def test_soft_breaks_kept_in_text_render_and_disclose_as_soft_break_tokens(monkeypatch):
    """The link-host note reads a link's text the same with the soft break as a token."""
    pieces = ["[", "](", ")", "https://evil.example", "nhs.uk", "\n", " ", "a", "www.nhs.uk", "*"]
    pieces += ["https://nhs.uk/x", "  \n", "<https://nhs.uk>", "x@nhs.uk", "\n\n"]
    rng = random.Random(41)
    bodies = ["[nhs.uk\nlogin](https://evil.example)", "[see\nwww.nhs.uk](https://x.org)"]
    bodies += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(800)]
    ours = [rendering.render_markdown(body) for body in bodies]
    monkeypatch.setattr(rendering._markdown().inline, "soft_breaks_in_text", False)
    assert [rendering.render_markdown(body) for body in bodies] == ours
    assert "(evil.example)" in ours[0]


def test_inline_linkify_finds_the_scheme_as_markdown_it_s_rule_does():
    from markdown_it.rules_inline import linkify as markdown_linkify

    ours = rendering._markdown()
    theirs = rendering._markdown.__wrapped__()
    theirs.inline.ruler.at("linkify", markdown_linkify)
    pieces = ["http", "https", "ftp", "x", "1", "-", ".", "+", "://", ":", "/", " ", "\n", "a.b"]
    pieces += ["\u017f", "\u0130", "K", "é", "*", "_", "[", "](", ")", "mailto:", "x.org", "<"]
    rng = random.Random(43)
    for _ in range(2_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        assert ours.render(text) == theirs.render(text), repr(text)


def test_many_schemes_without_links_render_in_linear_time():
    import time

    from community.rendering import render_markdown

    def cpu(body):
        started = time.process_time()
        render_markdown(body)
        return time.process_time() - started

    # Each "://" searched the whole paragraph before it for a scheme: quadratic.
    half, full = "http://" * 1_400, "http://" * 2_800
    for _ in range(3):
        if cpu(full) < 3 * cpu(half) + 0.01:
            return
    pytest.fail("'http://' repeated grows faster than linearly")
