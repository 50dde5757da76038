"""Links in posts: bare URLs are linked by markdown-it (as bleach's linkifier did before), only
with allowed schemes and always with the safe rel; a link whose text names another host shows
the real host beside it."""

import random

import pytest
from linkify_it import LinkifyIt

from community import rendering
from community.rendering import RENDERER_VERSION, render_markdown, sanitize

REL = 'rel="nofollow noopener noreferrer ugc"'


def _link(href: str, text: str) -> str:
    return f'<a href="{href}" {REL}>{text}</a>'


def _host(host: str) -> str:
    return f' <span class="link-host">({host})</span>'


def test_renderer_version_was_bumped_for_markdown_it_linkify():
    assert RENDERER_VERSION >= 2


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("https://example.org", f"<p>{_link('https://example.org', 'https://example.org')}</p>"),
        (
            "see https://example.org/a?q=1#f.",
            f"<p>see {_link('https://example.org/a?q=1#f', 'https://example.org/a?q=1#f')}.</p>",
        ),
        ("www.example.org", f"<p>{_link('http://www.example.org', 'www.example.org')}</p>"),
        ("nhs.uk", f"<p>{_link('http://nhs.uk', 'nhs.uk')}</p>"),
        ("who.int", f"<p>{_link('http://who.int', 'who.int')}</p>"),
        ("(https://example.org/x)", f"<p>({_link('https://example.org/x', 'https://example.org/x')})</p>"),
        (
            "mailto:help@nhs.uk",
            f"<p>{_link('mailto:help@nhs.uk', 'mailto:help@nhs.uk')}</p>",
        ),
        (
            "**https://example.org**",
            f"<p><strong>{_link('https://example.org', 'https://example.org')}</strong></p>",
        ),
        (
            "~~https://example.org~~",
            f"<p><s>{_link('https://example.org', 'https://example.org')}</s></p>",
        ),
        (
            "<https://example.org>",
            f"<p>{_link('https://example.org', 'https://example.org')}</p>",
        ),
    ],
)  # fmt: skip
def test_bare_urls_and_domains_become_safe_links(body, html):
    assert render_markdown(body) == html


@pytest.mark.parametrize(
    "body",
    [
        "help@nhs.uk",  # Emails stay text, as with bleach's parse_email=False.
        "`https://example.org`",
        "```\nhttps://example.org\n```",
        "    https://example.org",
        "ftp://example.org/file",  # Schemes outside the allow-list are never linked.
        "irc://example.org/room",
        "xmpp:someone@example.org",
        "javascript:alert(1)//example.org",
        "file.txt and Node.js",
    ],
)
def test_text_that_is_not_linked(body):
    assert "<a " not in render_markdown(body)


def test_every_link_gets_the_safe_rel_once():
    html = render_markdown("[a](https://a.example) https://b.example www.c.org <https://d.example>")
    assert html.count("<a ") == html.count(REL) == 4


@pytest.mark.parametrize(
    "body",
    [
        "[NHS](https://nhs.uk)",
        "[NHS website](https://www.nhs.uk/conditions/)",
        "[Read more at NHS.UK](https://www.nhs.uk)",
        "[nhs.uk](https://www.nhs.uk/conditions/)",
        "[www.nhs.uk](https://nhs.uk)",
        "[https://NHS.UK/](https://nhs.uk/a)",
        "[help@nhs.uk](mailto:help@nhs.uk)",
        "[https://nhs.uk](/spaces/equality/)",
        "https://www.nhs.uk/conditions/",
        "www.nhs.uk",
        "<https://nhs.uk>",
        "[Node.js](https://nodejs.org)",
    ],
)
def test_honest_links_and_autolinks_show_no_host(body):
    assert "link-host" not in render_markdown(body)


def test_normal_link_html_is_unchanged():
    assert render_markdown("[NHS](https://nhs.uk)") == f"<p>{_link('https://nhs.uk', 'NHS')}</p>"


def test_link_text_naming_another_host_shows_the_real_one():
    assert render_markdown("[https://nhs.uk](https://evil.example/login)") == (
        f"<p>{_link('https://evil.example/login', 'https://nhs.uk')}{_host('evil.example')}</p>"
    )


@pytest.mark.parametrize(
    ("body", "host"),
    [
        ("[nhs.uk](https://evil.example)", "evil.example"),
        ("[www.nhs.uk/login](http://evil.example)", "evil.example"),
        ("[Sign in at nhs.uk now](https://evil.example/)", "evil.example"),
        ("[**https://nhs.uk**](https://evil.example)", "evil.example"),
        ("[`nhs.uk`](https://evil.example)", "evil.example"),
        ("[help@nhs.uk](mailto:help@evil.example)", "evil.example"),
        ("[https://nhs.uk](https://www.evil.example)", "www.evil.example"),
        # Browsers read these as hosts too.
        ("[https://nhs.uk](//evil.example/x)", "evil.example"),
        ("[https://nhs.uk](https:evil.example)", "evil.example"),
        ("[https://nhs.uk](https://%65vil.example)", "evil.example"),
        ("[https://nhs.uk](HTTPS://EVIL.EXAMPLE)", "evil.example"),
        # User info: what is read as the host is not the host.
        ("[https://nhs.uk](https://nhs.uk@evil.example)", "evil.example"),
        ("[NHS](https://nhs.uk@evil.example/login)", "evil.example"),
        ("https://nhs.uk@evil.example/login", "evil.example"),
        ("<https://nhs.uk@evil.example>", "evil.example"),
        # Lookalikes: the real host in punycode, whichever side the lookalike is on.
        ("[https://nhs.uk](https://nh\u0455.uk)", "xn--nh-foc.uk"),
        ("https://nh\u0455.uk", "xn--nh-foc.uk"),
        ("<https://nh\u0455.uk/login>", "xn--nh-foc.uk"),
        ("[https://nhs.uk](https://xn--nh-foc.uk)", "xn--nh-foc.uk"),
        ("https://xn--nh-foc.uk", "xn--nh-foc.uk"),
        ("[https://nh\u0455.uk](https://nhs.uk)", "nhs.uk"),
        ("[\uff4e\uff48\uff53\uff0e\uff55\uff4b](https://evil.example)", "evil.example"),
        ("[nhs\u200b.uk](https://evil.example)", "evil.example"),
        ("[nhs\u3002uk](https://evil.example)", "evil.example"),
        ("[\u202eku.shn//:sptth](https://evil.example)", "evil.example"),
    ],
)
def test_spoofing_links_show_the_real_host(body, host):
    html = render_markdown(body)
    assert html.count('<span class="link-host">') == 1, html
    assert _host(host) in html, html
    assert html.index("</a>") < html.index("link-host"), html


def test_the_host_shown_is_escaped_and_survives_sanitizing_again():
    html = render_markdown("[https://nhs.uk](https://%3Cb%3E.example)")
    assert _host("&lt;b&gt;.example") in html
    assert "<b>" not in html
    for body in [
        "[https://nhs.uk](https://evil.example)",
        "https://nh\u0455.uk",
        "[a](https://b.example)",
    ]:
        html = render_markdown(body)
        assert sanitize(html) == html


def test_only_our_link_host_spans_survive_sanitizing():
    # Raw HTML is off, so a member cannot write one; and the sanitizer keeps no other class.
    assert "<span" not in render_markdown('<span class="link-host">(nhs.uk)</span>')
    assert sanitize('<span class="x" title="t">a</span>') == "<span>a</span>"
    assert sanitize('<span class="link-host" onclick="x()">(a)</span>') == (
        '<span class="link-host">(a)</span>'
    )


def test_text_without_a_colon_or_dot_is_not_asked_of_linkify_it_and_links_the_same():
    """The linkifier answers "no link" at once for text with neither ``:`` nor ``.``; on
    any text it answers as linkify-it does with the same options (fixed-seed fuzz)."""
    ours = rendering._markdown().linkify
    assert ours._cheap_test
    stock = (
        LinkifyIt(options={"fuzzy_link": True, "fuzzy_email": False, "fuzzy_ip": False})
        .tlds(rendering.EXTRA_TLDS, True)
        .add("ftp:", None)
        .add("//", None)
    )
    pieces = ["a", " ", "localhost", "www", ".", ":", "@", "http", "https", "mailto", "//"]
    pieces += ["org", "co", "uk", "1", "x", "\u3002", "\uff0e", "-", "_", "\n", "ftp", "<", ">"]
    generator = random.Random(3)
    for _ in range(3_000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 12)))
        assert ours.test(text) == stock.test(text), repr(text)
        assert ours.pretest(text) <= stock.pretest(text), repr(text)
        if not ours.pretest(text):
            assert not stock.test(text), repr(text)
    assert render_markdown("see localhost and www.nhs.uk or mailto:a@b.org") == (
        f"<p>see localhost and {_link('http://www.nhs.uk', 'www.nhs.uk')} or "
        f"{_link('mailto:a@b.org', 'mailto:a@b.org')}</p>"
    )
