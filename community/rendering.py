"""Markdown to sanitized HTML: the one place user text becomes markup.

markdown-it-py renders with raw HTML off (the ``js-default`` preset), **then** bleach cleans the
result against an allow-list and linkifies bare URLs in the same pass. Sanitizing after rendering
matters: sanitizing the Markdown first lets ``[x](javascript:…)`` through. bleach 6.4 is its
final release; docs/security.md says how to swap :func:`sanitize` for nh3.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html import escape

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

# Bump when the pipeline or allow-list changes: `manage.py rerender_posts` re-renders older rows.
RENDERER_VERSION = 1

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
        "blockquote", "code", "pre", "ul", "ol", "li", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in {"href", "title", "rel"}
    if tag in {"th", "td"}:
        return name == "align" and value in {"left", "right", "center"}
    if tag == "code":
        return (
            name == "class"
            and value.startswith("language-")
            and value[9:].replace("-", "").replace("_", "").isalnum()
        )
    return False


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    # Images are never rendered (no requests to other origins): they fall back to their text.
    md.disable("image")
    # Headings in a post start at h3 so they nest under the page's own h1/h2.
    return md


@lru_cache(maxsize=1)
def _cleaner() -> bleach.sanitizer.Cleaner:
    return bleach.sanitizer.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            lambda source: LinkifyFilter(
                source, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False
            )
        ],
    )


def _demote_headings(html: str) -> str:
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return html


def sanitize(html: str) -> str:
    """Clean already-rendered HTML against the allow-list. Every output path goes through this."""
    return _cleaner().clean(html)


def render_markdown(text: str) -> str:
    """Render member-written Markdown to HTML that is safe to print with ``|safe``."""
    html = _markdown().render(text or "")
    return sanitize(_demote_headings(html)).strip()


def render_plain(text: str) -> str:
    """A one-line, tag-free rendering (titles, previews, email subjects)."""
    return bleach.clean(text or "", tags=set(), strip=True).strip()


def plain_text(markdown: str) -> str:
    """The words of a post without markup, for snippets and emails (not HTML-escaped)."""
    text = bleach.clean(_markdown().render(markdown or ""), tags=set(), strip=True)
    return " ".join(html.unescape(text).split())


def highlight_snippet(markdown: str, terms: list[str], *, width: int = 240) -> str:
    """An escaped excerpt around the first matching term with every term in ``<mark>``: safe to
    print with ``|safe`` because every character of member text is escaped here."""
    text = plain_text(markdown)
    lowered = text.lower()
    hits = [lowered.find(term.lower()) for term in terms if term]
    hits = [hit for hit in hits if hit >= 0]
    start = max(min(hits) - width // 3, 0) if hits else 0
    excerpt = text[start : start + width]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    if not terms:
        return escape(prefix + excerpt + suffix)
    pattern = re.compile("|".join(re.escape(term) for term in terms if term), re.IGNORECASE)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(excerpt):
        pieces.append(escape(excerpt[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(excerpt[position:]))
    return escape(prefix) + "".join(pieces) + escape(suffix)
