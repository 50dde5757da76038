"""Pathological post bodies for the renderer: shared by bench/render.py and
tests/threads/test_rendering_performance.py.

Each case builds a body of about ``size`` characters (never more), so the same shapes can be
rendered at the body limit and at half of it to see how the time grows. Many shapes follow
CommonMark's own pathological tests (cmark's test/pathological_tests.py) and the inputs that
were slow in bleach's linkifier.
"""

from __future__ import annotations

from collections.abc import Callable

# threads.models.BODY_MAX, repeated so the bench runs without Django set up (a test checks it).
BODY_MAX = 20_000


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """``head``, as many ``unit`` as fit, then ``tail``: at most ``size`` characters."""
    count = max((size - len(head) - len(tail)) // len(unit), 0)
    return head + unit * count + tail


def _nested(open_: str, middle: str, close: str, size: int) -> str:
    """``open_`` n times, ``middle``, ``close`` n times."""
    count = max((size - len(middle)) // (len(open_) + len(close)), 0)
    return open_ * count + middle + close * count


def _lines(make: Callable[[int], str], size: int) -> str:
    """Lines ``make(0)``, ``make(1)``, … while they fit in ``size``."""
    out: list[str] = []
    used = 0
    index = 0
    while True:
        line = make(index) + "\n"
        if used + len(line) > size:
            break
        out.append(line)
        used += len(line)
        index += 1
    return "".join(out)


def _backtick_runs(size: int) -> str:
    # "e`e``e```…": every run of backticks is a different length, so none closes another.
    out: list[str] = []
    used = 0
    run = 1
    while used + run + 1 <= size:
        out.append("e" + "`" * run)
        used += run + 1
        run += 1
    return "".join(out)


RUN_CHARACTERS = "([<>*_`~|-:"

CASES: dict[str, Callable[[int], str]] = {
    # Long runs of one character (bleach's linkifier took ~11 s on 20,000 of "(").
    **{f"run of {ch!r}": (lambda size, ch=ch: ch * size) for ch in RUN_CHARACTERS},
    "run of '( '": lambda size: _fill("( ", size),
    "run of '(a'": lambda size: _fill("(a", size),
    "run of ')'": lambda size: ")" * size,
    "run of '\\'": lambda size: "\\" * size,
    "run of '&'": lambda size: "&" * size,
    "run of '#'": lambda size: "#" * size,
    "run of '!['": lambda size: _fill("![", size),
    "run of '&#'": lambda size: _fill("&#", size),
    "run of '&amp;'": lambda size: _fill("&amp;", size),
    "run of '@'": lambda size: "@" * size,
    "run of '.'": lambda size: "." * size,
    "run of '/'": lambda size: "/" * size,
    "run of newlines": lambda size: "a" + "\n" * (size - 2) + "b",
    # Linkifier stress: bleach's was quadratic on these.
    "'a-' repeated": lambda size: _fill("a-", size),
    "'a.' repeated": lambda size: _fill("a.", size),
    "'a.b' repeated": lambda size: _fill("a.b", size),
    "'a@' repeated": lambda size: _fill("a@", size),
    "'a@b.' repeated": lambda size: _fill("a@b.", size),
    "'a:' repeated": lambda size: _fill("a:", size),
    "'http://' repeated": lambda size: _fill("http://", size),
    "'www.' repeated": lambda size: _fill("www.", size),
    "'-.' repeated": lambda size: _fill("-.", size),
    "'x.co(' repeated": lambda size: _fill("x.co(", size),
    "'http://x.co/(' repeated": lambda size: _fill("(", size, head="http://x.co/"),
    "long autolink": lambda size: _fill("a", size, head="https://example.org/"),
    "long autolink in <>": lambda size: _fill("a", size, head="<https://example.org/", tail=">"),
    "long fuzzy link": lambda size: _fill("a", size, head="www.example.org/"),
    "long domain": lambda size: _fill("a.", size, tail="org"),
    "long link path of '-'": lambda size: _fill("-", size, head="https://example.org/"),
    "long link path of '('": lambda size: _fill("(", size, head="https://example.org/"),
    "long link path of '_'": lambda size: _fill("_", size, head="https://example.org/"),
    "many autolinks": lambda size: _fill("https://a.example/ ", size),
    "many fuzzy links": lambda size: _fill("a.org ", size),
    "many emails": lambda size: _fill("a@b.org ", size),
    "many markdown links": lambda size: _fill("[a](https://b.example) ", size),
    "many spoofed links": lambda size: _fill("[https://nhs.uk](https://evil.example) ", size),
    "long spoofed link text": lambda size: _fill(
        "nhs.uk ", size, head="[", tail="](https://evil.example)"
    ),
    # Emphasis and links (cmark's pathological tests).
    "nested emphasis": lambda size: _nested("*a **a ", "b", " a** a*", size),
    "emphasis closers without openers": lambda size: _fill("a_ ", size),
    "emphasis openers without closers": lambda size: _fill("_a ", size),
    "mismatched emphasis": lambda size: _fill("*a_ ", size),
    "emphasis multiple of 3": lambda size: _fill("c* ", size, head="a**b"),
    "nested strong": lambda size: _nested("**", "a", "**", size),
    "nested underscores": lambda size: _nested("_", "a", "_", size),
    "nested strikethrough": lambda size: _nested("~~", "a", "~~", size),
    "link closers without openers": lambda size: _fill("a]", size),
    "link openers without closers": lambda size: _fill("[a", size),
    "link openers and emphasis closers": lambda size: _fill("[ a_", size),
    "'[ (](' repeated": lambda size: _fill("[ (](", size),
    "nested brackets": lambda size: _nested("[", "a", "]", size),
    "nested links": lambda size: _nested("[", "a", "](b)", size),
    "unclosed links <": lambda size: _fill("[a](<b", size),
    "unclosed links": lambda size: _fill("[a](b", size),
    "unclosed link titles": lambda size: _fill('[a](b "', size),
    "reference links": lambda size: "[a]: https://x.example\n\n" + _fill("[a] ", size - 25),
    "reused long reference": lambda size: _fill(
        "[a] ", size, head="[a]: https://x.example/" + "a" * (size // 2) + "\n\n"
    ),
    "reused long reference title": lambda size: _fill(
        "[a] ", size, head='[a]: /u "' + "t" * (size // 2) + '"\n\n'
    ),
    "unclosed reference definitions": lambda size: _fill("[a]: <", size),
    "backtick runs": _backtick_runs,
    "unclosed '<!--'": lambda size: _fill("<!--", size, head="</"),
    "unclosed '<a '": lambda size: _fill("<a ", size),
    "html-looking attributes": lambda size: _fill('<a href="', size),
    # Blocks.
    "nested quotes '> '": lambda size: _fill("> ", size, tail="a"),
    "nested quotes '>'": lambda size: _fill(">", size, tail="a"),
    "nested quotes, emphasis": lambda size: _fill(">", size // 2) + _fill("a*", size // 2),
    "nested lists '- '": lambda size: _fill("- ", size, tail="x"),
    "nested lists '* '": lambda size: _fill("* ", size, tail="x"),
    "nested ordered lists": lambda size: _fill("1. ", size, tail="x"),
    "nested list lines": lambda size: _lines(lambda i: "  " * i + "* a", size),
    "nested lists, blank lines": lambda size: (
        _fill("- ", size // 2, tail="x") + "\n" * (size // 2 - 1)
    ),
    "nested lists in quote, blank lines": lambda size: (
        "> " + _fill("- ", size // 2, tail="x\n") + _fill(">\n", size // 2 - 2)
    ),
    "quotes and lists": lambda size: _fill("> - ", size, tail="a"),
    "lists and emphasis": lambda size: _lines(lambda i: "  " * (i % 50) + "- *a* _b_ **c**", size),
    "many short lines": lambda size: _fill("a\n", size),
    "many headings": lambda size: _fill("# a\n", size),
    "many rules": lambda size: _fill("---\n", size),
    "setext headings": lambda size: _fill("a\n-\n", size),
    "many fences": lambda size: _fill("```\n", size),
    "unclosed fence": lambda size: _fill("a\n", size, head="```\n"),
    "indented code": lambda size: _fill("    a\n", size),
    # Tables.
    "wide table": lambda size: (
        "|" + "a|" * (size // 8) + "\n|" + "-|" * (size // 8) + "\n|" + "b|" * (size // 8)
    ),
    "table with many rows": lambda size: _fill("|a|b|\n", size, head="|a|b|\n|-|-|\n"),
    "table header, many empty rows": lambda size: _fill("|\n", size, head="a|b\n-|-\n"),
    "table, many columns then rows": lambda size: (
        "|" + "a|" * 100 + "\n|" + "-|" * 100 + "\n" + _fill("x\n", size - 405)
    ),
    # Mixed.
    "mixed punctuation": lambda size: _fill("*_[(`<~|>-:)]!\\&#", size),
    "mixed markup soup": lambda size: _fill(
        "> *a [b](https://c.example) `d` ~~e~~ www.f.org g@h.org (i) <j> |k|\n", size
    ),
    "realistic post": lambda size: _fill(
        "## Heading\n\nSome **bold** and _italic_ text with a [link](https://www.nhs.uk) and "
        "https://www.england.nhs.uk/about/equality/ and `code`.\n\n- one\n- two\n\n"
        "> A quote\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n",
        size,
    ),
}


def corpus(size: int = BODY_MAX) -> list[tuple[str, str]]:
    """(name, body) for every case, each body at most ``size`` characters."""
    bodies = []
    for name, make in CASES.items():
        body = make(size)
        if len(body) > size:
            raise AssertionError(f"{name}: {len(body)} characters, over {size}")
        bodies.append((name, body))
    return bodies
