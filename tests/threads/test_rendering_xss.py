"""Every vector goes through community.rendering and nothing executable survives."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from community.rendering import highlight_snippet, render_markdown

VECTORS = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](java\tscript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    "![img](https://evil.example/x.png)",
    "[ref]: javascript:alert(1)\n\n[ref]",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">x</math>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<span style="x:expression(alert(1))">x</span>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input onfocus=alert(1) autofocus>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a id="x" name="y" href="https://ok.example">x</a>',
    "<img src=x onerror=alert(1)",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "> > > <img src=x onerror=alert(1)>\n> > [x](javascript:alert(1))",
    "> quote\n>> <script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<details open ontoggle="alert(1)">x</details>',
    '<video><source onerror="alert(1)"></video>',
    '<base href="javascript:alert(1)//">',
    "`<img src=x onerror=alert(1)>`",
    "```\n<script>alert(1)</script>\n```",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    '<code class="language-x onmouseover=alert(1)">x</code>',
    '[x](https://ok.example "title" onmouseover=alert(1))',
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x](javascript:alert(1))",
]

ALLOWED_TAGS = {
    "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
    "blockquote", "code", "pre", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRS = {"a": {"href", "title", "rel"}, "th": {"align"}, "td": {"align"}, "code": {"class"}}


class Elements(HTMLParser):
    """What a browser would build from the HTML: tags, attributes, comments."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.comments.append(data)


def _parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def _scheme(url: str) -> str:
    cleaned = "".join(ch for ch in unescape(url) if ch > " ").lower()
    return urlparse(cleaned).scheme


def test_there_are_at_least_forty_vectors():
    assert len(VECTORS) >= 40


@pytest.mark.parametrize("vector", VECTORS)
def test_no_xss_vector_survives_rendering(vector):
    html = render_markdown(vector)
    parsed = _parse(html)
    assert not parsed.comments, (vector, html)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (vector, html)
        for name, value in attrs:
            assert name in ALLOWED_ATTRS.get(tag, set()), (vector, html)
            if name == "href":
                assert _scheme(value or "") in {"", "http", "https", "mailto"}, (vector, html)
            if name == "class":
                assert re.fullmatch(r"language-[\w-]+", value or ""), (vector, html)


@pytest.mark.parametrize("vector", VECTORS)
def test_no_xss_vector_survives_search_snippets(vector):
    html = highlight_snippet(vector, ["alert", "script"])
    assert "<" not in html.replace("<mark>", "").replace("</mark>", "")


def test_links_get_safe_rel():
    html = render_markdown("[ok](https://example.org) and https://example.net")
    assert html.count('rel="nofollow noopener noreferrer ugc"') == 2


def test_headings_nest_under_the_page():
    assert "<h1>" not in render_markdown("# Big") and "<h3>" in render_markdown("# Big")
