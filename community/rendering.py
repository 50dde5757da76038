"""Markdown to sanitized HTML: the one place user text becomes markup.

1. markdown-it-py renders with raw HTML off (the ``js-default`` preset) and linkifies bare URLs
   itself (linkify-it-py), so links exist as tokens before any HTML does. A link whose text
   reads like a URL, domain or address on another host gets the real host beside it.
2. **Then** bleach cleans the result against an allow-list and gives every link
   ``rel="nofollow noopener noreferrer ugc"``. Sanitizing after rendering matters: sanitizing
   the Markdown first lets ``[x](javascript:…)`` through.

Every step is linear in the size of the body (tests/threads/test_rendering_performance.py,
bench/render.py). bleach 6.4 is its final release; docs/security.md says how to swap
:func:`sanitize` for nh3.
"""

from __future__ import annotations

import html
import json
import os
import re
import select
import subprocess
import sys
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from html import escape
from pathlib import Path
from urllib.parse import unquote

import bleach
from bleach.html5lib_shim import Filter, getTreeWalker
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it import helpers as markdown_helpers
from markdown_it.common.utils import unescapeAll as markdown_unescape_all
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block import heading as markdown_heading
from markdown_it.rules_block import lheading as markdown_lheading
from markdown_it.rules_block import table as markdown_table
from markdown_it.rules_core import StateCore
from markdown_it.rules_core import linkify as markdown_linkify_core
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import link as markdown_link
from markdown_it.rules_inline.emphasis import tokenize as markdown_emphasis
from markdown_it.token import Token

from community import rendering_block
from community.rendering_inline import MarkerInlineParser

# Bump when the pipeline or allow-list changes: `manage.py rerender_posts` re-renders older rows.
# 2: linkify in markdown-it instead of bleach's LinkifyFilter (linear time); link-host disclosure.
RENDERER_VERSION = 4
# 3: blocks and inline markup nest at most MAX_NESTING deep (was markdown-it's default of 100).
# 4: at most MAX_LINKS links (Markdown and bare URLs) and MAX_HEADINGS headings a post, tables stop at MAX_TABLE_CELLS
#    (1,000, was 2,000) and MAX_TABLE_COLUMNS, emphasis markers bounded per paragraph and per run: past each, the
#    markup is shown as its text.

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
        "blockquote", "code", "pre", "ul", "ol", "li", "a", "span",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
LINK_HOST_CLASS = "link-host"

# Top-level domains bleach's linkifier knew that linkify-it-py does not (it has every two-letter
# one): kept so the same bare domains (who.int, …) still become links.
EXTRA_TLDS = ["cat", "int", "jobs", "mil", "mobi", "post", "ss", "tel", "travel"]

# Links may carry at most this many characters of href and title in all. Inline links spell
# theirs out in the body, but one reference definition can be used thousands of times: 20,000
# characters of ``[a]: <10,000-character URL>`` and ``[a] [a] …`` rendered 18 MB of HTML.
LINK_ATTRIBUTE_BUDGET = 200_000

# A table stops after this many cells (rows × columns) and the rest of its lines are text:
# a row of one character gets a cell for every column of the header, so 20,000 characters of
# rows under a 100-column header made 65,536 empty cells (700 KB of HTML, seconds to render).
MAX_TABLE_CELLS = 1_000
# A table of more columns than this is not one (its lines are text): 1,875 columns of "a|" made
# 3,750 cells from three lines.
MAX_TABLE_COLUMNS = 64

# Markdown links (inline and reference) and headings (``#`` and underlined) in one post: past
# these the markup is shown as its text. Each costs markdown-it several tokens and bleach a tag
# to decide: 5,000 uses of one reference took 126 ms to render, 5,000 headings 92 ms. No post
# people write comes near (a long resource list has a few dozen links).
MAX_LINKS = 500
MAX_HEADINGS = 200

# Emphasis and strikethrough deeper than this are shown as their characters: html5lib (in
# bleach) walks the open formatting elements for every piece of text, so depth costs time.
MAX_INLINE_DEPTH = 20

# Emphasis markers (``*`` and ``_``) one paragraph may use, and the longest run of one that can
# open or close emphasis: past either, markers are their own characters. markdown-it makes a
# token and a delimiter of every marker and pairs them after the paragraph: 10,000 ``_``
# around a word took 155 ms (on a loaded machine), 5,000 ``*a_`` 140 ms.
MAX_EMPHASIS_MARKERS = 1_000
MAX_MARKER_RUN = 2 * MAX_INLINE_DEPTH

# markdown-it's ``maxNesting`` (its ``default`` preset says 100, ``commonmark`` 20): quotes and
# lists deeper than this end there and what is deeper is not shown (inside a list, nor is the
# rest of the post: markdown-it's own behaviour), and brackets or emphasis deeper than this
# inside a paragraph are shown as their characters. A quote is one level, a list two (the list
# and its item). Every level costs each bracket or line nested inside it (a run of "- " took
# 57 ms at 100, 22 ms at 40).
MAX_NESTING = 40


# markdown-it's ``env`` while one of its linkify rules runs (the linkifier is shared).
_LINKIFY_ENV: ContextVar[dict | None] = ContextVar("linkify_env", default=None)


def _with_link_count(rule):
    """A linkify rule of markdown-it that lets the linkifier see the post's link count."""

    @wraps(rule)
    def counted(state, *args):
        token = _LINKIFY_ENV.set(state.env)
        try:
            return rule(state, *args)
        finally:
            _LINKIFY_ENV.reset(token)

    return counted


# What markdown-it's scheme pattern ``[a-z][a-z0-9.+-]*`` matches, case-insensitively: Python's
# case folding adds four letters outside ASCII.
_SCHEME_LETTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u0130\u0131\u017f\u212a"
)
_SCHEME_CHARACTERS = _SCHEME_LETTERS | frozenset("0123456789.+-")


def _linkify_inline(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline ``linkify`` rule (``scheme://…`` as it is typed), finding the scheme
    by walking back over the scheme characters at the end of the pending text instead of
    searching all of it with a regular expression anchored at its end: each ``://`` searched
    the whole paragraph so far (2,857 ``http://`` with no link between them: 890 ms). Same
    scheme: the longest run of letters, digits, ``.``, ``+`` and ``-`` ending the text, if it
    starts with a letter. Past MAX_LINKS links it finds none."""
    if not state.md.options.linkify or state.linkLevel > 0:
        return False
    pos, maximum, src = state.pos, state.posMax, state.src
    if pos + 3 > maximum or src[pos : pos + 3] != "://":
        return False
    if state.env.get(_LINKS, 0) >= MAX_LINKS:
        return False
    pending = state.pending
    start = len(pending)
    while start > 0 and pending[start - 1] in _SCHEME_CHARACTERS:
        start -= 1
    proto = pending[start:]
    if not proto or proto[0] not in _SCHEME_LETTERS:
        return False
    link = state.md.linkify.match_at_start(src[pos - len(proto) :])
    if not link:
        return False
    url = link.url.rstrip("*")  # markdown-it: no "*" at the end (emphasis).
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if not silent:
        state.pending = pending[: -len(proto)]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": full_url}
        token.markup = "linkify"
        token.info = "auto"
        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup = "linkify"
        token.info = "auto"
    state.pos += len(url) - len(proto)
    return True


class _Linkifier(LinkifyIt):
    """linkify-it without the trailing ``~`` and ``*`` of a URL, so that ``~~https://x.org~~``
    and ``*https://x.org*`` stay strikethrough and emphasis around a link (as they were)."""

    @staticmethod
    def _trimmed(match):
        if match is None:
            return None
        cut = len(match.raw) - len(match.raw.rstrip("~*"))
        if cut and len(match.raw) - cut > len(match.schema):
            match.last_index -= cut
            match.raw, match.text, match.url = match.raw[:-cut], match.text[:-cut], match.url[:-cut]
        return match

    # Past MAX_LINKS links in the post being rendered (``env`` of markdown-it's linkify rules,
    # see :func:`_with_link_count`), bare URLs stay text.
    @staticmethod
    def _links_left() -> int | None:
        env = _LINKIFY_ENV.get()
        return None if env is None else MAX_LINKS - env.get(_LINKS, 0)

    @staticmethod
    def _count(found: int) -> None:
        env = _LINKIFY_ENV.get()
        if env is not None and found:
            env[_LINKS] = env.get(_LINKS, 0) + found

    def _could_link(self, text: str) -> bool:
        """False when no link can be in ``text``: every scheme this instance links ends in
        ``:``, a fuzzy link has a ``.`` before its top-level domain, and emails are not
        fuzzy-linked. Most text of a post has neither, and linkify-it's test runs two large
        regular expressions over each piece of text (markdown-it asks it of every text
        token of a paragraph that has a ``.`` or ``:`` anywhere)."""
        return ":" in text or "." in text or not self._cheap_test

    @property
    def _cheap_test(self) -> bool:
        return not self._opts.get("fuzzy_email") and all(
            name.endswith(":")
            for name in self._compiled
            if name  # "": the fuzzy links'.
        )

    def pretest(self, text):
        return self._could_link(text) and super().pretest(text)

    def test(self, text):
        left = self._links_left()
        return (left is None or left > 0) and self._could_link(text) and super().test(text)

    def match(self, text):
        left = self._links_left()
        if left is not None and left <= 0:
            return None
        matches = super().match(text)
        if not matches:
            return matches
        if left is not None:
            matches = matches[:left]
        self._count(len(matches))
        return [self._trimmed(m) for m in matches]

    def match_at_start(self, text):
        left = self._links_left()
        if left is not None and left <= 0:
            return None
        found = self._trimmed(super().match_at_start(text))
        self._count(found is not None)
        return found


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
    if tag == "span":
        return name == "class" and value == LINK_HOST_CLASS
    return False


class _TreeWalker(getTreeWalker("etree")):
    """html5lib's etree walker, but linear: on leaving an element it found the element's place
    among its siblings with ``list.index`` (and asserted it with ``list.count``), which made a
    fragment of many sibling elements (table rows, paragraphs, links) quadratic. This one keeps
    each ancestor's index on the stack. Nodes are (element, index, ancestors, flag) as before."""

    def getFirstChild(self, node):
        if isinstance(node, tuple):
            element, key, parents, flag = node
        else:
            element, key, parents, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, key, parents, "text"
        if len(element):
            parents.append((element, key))
            return element[0], 0, parents, None
        return None

    def getNextSibling(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            if len(element):
                parents.append((element, key))
                return element[0], 0, parents, None
            return None
        if element.tail and flag != "tail":
            return element, key, parents, "tail"
        if key < len(parents[-1][0]) - 1:
            return parents[-1][0][key + 1], key + 1, parents, None
        return None

    def getParentNode(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent, parent_key = parents.pop()
        return (parent, parent_key, parents, None) if parents else parent


# markdown-it's own output, read without html5lib's parser: with raw HTML off its renderer writes
# only these tags, attributes in double quotes with ``&<>"`` escaped, and text with ``<`` escaped.
_NAMESPACE = "http://www.w3.org/1999/xhtml"
_VOID = frozenset({"br", "hr"})
_MARKUP = re.compile(r'<(/?)([a-z][a-z0-9]*)((?: [a-z][a-z-]*="[^"<>]*")*)>')
_ATTRIBUTE = re.compile(r' ([a-z][a-z-]*)="([^"]*)"')
_SPACES = " \t\n\r\f"


_TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
_TABLE_PARENTS = frozenset({"table", "thead", "tbody", "tr"})


def _table_child_allowed(name: str, parent: str | None) -> bool:
    """Tables only as markdown-it builds them: table > thead|tbody > tr > th|td."""
    if name == "table":
        return parent not in {"table", "thead", "tbody", "tr", "p"}
    if name in {"thead", "tbody"}:
        return parent == "table"
    if name == "tr":
        return parent in {"thead", "tbody"}
    if name in {"th", "td"}:
        return parent == "tr"
    return False


def _text_tokens(data: str):
    """Text as html5lib's walker gives it: leading and trailing whitespace as their own tokens."""
    middle = data.lstrip(_SPACES)
    if len(middle) < len(data):
        yield {"type": "SpaceCharacters", "data": data[: len(data) - len(middle)]}
    core = middle.rstrip(_SPACES)
    if core:
        yield {"type": "Characters", "data": core}
    if len(core) < len(middle):
        yield {"type": "SpaceCharacters", "data": middle[len(core) :]}


def _markdown_tokens(html: str) -> list[dict] | None:
    """The token stream html5lib's parser and walker would give for ``html``, when ``html`` is
    markup markdown-it writes: only allowed tags, balanced, no ``<`` outside a tag, no element
    html5lib would move (``p``, ``a`` and tables never nest in ways the tree builder repairs).
    Anything else (``None``) goes through the full parser."""
    tokens: list[dict] = []
    stack: list[str] = []
    position = 0
    for match in _MARKUP.finditer(html):
        if match.start() > position:
            text = html[position : match.start()]
            if "<" in text:
                return None
            tokens.extend(_text_tokens(text))
        position = match.end()
        closing, name, attributes = match.groups()
        if name not in ALLOWED_TAGS:
            return None
        if closing:
            if attributes or not stack or stack.pop() != name or name in _VOID:
                return None
            tokens.append({"type": "EndTag", "name": name, "namespace": _NAMESPACE})
            continue
        data = {(None, key): value for key, value in _ATTRIBUTE.findall(attributes)}
        if name in _VOID:
            tokens.append({"type": "EmptyTag", "name": name, "namespace": _NAMESPACE, "data": data})
            continue
        if name in {"p", "a"} and name in stack:
            return None
        if name in _TABLE_TAGS or (stack and stack[-1] in _TABLE_PARENTS):
            parent = stack[-1] if stack else None
            if not _table_child_allowed(name, parent):
                return None
        tokens.append({"type": "StartTag", "name": name, "namespace": _NAMESPACE, "data": data})
        stack.append(name)
    rest = html[position:]
    if "<" in rest or stack:
        return None
    tokens.extend(_text_tokens(rest))
    return tokens


# Text as markdown-it writes it: ``&<>"`` escaped as ``&amp;``, ``&lt;``, ``&gt;`` and
# ``&quot;``, no other ``&``. bleach's filter and serializer give such text back byte for byte
# (``&amp;`` becomes ``&`` and is escaped again, the other three are kept as entities), except
# for the invisible characters it replaces in non-space text.
_MARKDOWN_TEXT = re.compile(r"[^&<>]*(?:&(?:amp|lt|gt|quot);[^&<>]*)*")
_INVISIBLE_TEXT = bleach.sanitizer.INVISIBLE_CHARACTERS_RE

# Each distinct tag of markdown-it's output as bleach's filter, our filters and bleach's
# serializer give it back ("" when the tag is stripped), by its source text.
_TAG_DECISIONS: dict[str, str] = {}
_TAG_DECISIONS_MAX = 8_192


def _visible_text(data: str) -> str:
    """bleach's handling of markdown-it's text: invisible characters replaced outside the
    leading and trailing spaces (html5lib's walker gives those as their own tokens)."""
    if _INVISIBLE_TEXT.search(data) is None:
        return data
    middle = data.lstrip(_SPACES)
    core = middle.rstrip(_SPACES)
    replaced = _INVISIBLE_TEXT.sub(bleach.sanitizer.INVISIBLE_REPLACEMENT_CHAR, core)
    return data[: len(data) - len(middle)] + replaced + middle[len(core) :]


def _tag_token(closing: str, name: str, attributes: str) -> dict:
    if closing:
        return {"type": "EndTag", "name": name, "namespace": _NAMESPACE}
    data = {(None, key): value for key, value in _ATTRIBUTE.findall(attributes)}
    kind = "EmptyTag" if name in _VOID else "StartTag"
    return {"type": kind, "name": name, "namespace": _NAMESPACE, "data": data}


# markdown-it's tags, whole (group 1) and in parts: "/" or "", the name, the attributes.
_MARKUP_SPLIT = re.compile(r'(<(/?)([a-z][a-z0-9]*)((?: [a-z][a-z-]*="[^"<>]*")*)>)')


def _markdown_pieces(html: str) -> list[str] | None:
    """markdown-it's output split at its tags (:data:`_MARKUP_SPLIT`: text, tag, "/", name,
    attributes, text, …), after the same checks as :func:`_markdown_tokens`; ``None`` when it
    is not exactly markup markdown-it writes."""
    parts = _MARKUP_SPLIT.split(html)
    # The texts, kept apart by a newline so that no two can make an entity together.
    if _MARKDOWN_TEXT.fullmatch("\n".join(parts[0::5])) is None:
        return None
    stack: list[str] = []
    allowed, void, table_tags, table_parents = ALLOWED_TAGS, _VOID, _TABLE_TAGS, _TABLE_PARENTS
    for index in range(2, len(parts), 5):
        closing, name = parts[index], parts[index + 1]
        if name not in allowed:
            return None
        if closing:
            if parts[index + 2] or not stack or stack.pop() != name or name in void:
                return None
            continue
        if name in void:
            continue
        if (name == "p" or name == "a") and name in stack:
            return None
        if (name in table_tags or (stack and stack[-1] in table_parents)) and (
            not _table_child_allowed(name, stack[-1] if stack else None)
        ):
            return None
        stack.append(name)
    if stack:
        return None
    return parts


def _decide_tags(cleaner: _Cleaner, sources: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """Ask bleach's filter (with ours) and bleach's serializer about each of ``sources`` once,
    in one stream: an empty space token after each tag marks where its output ends."""
    stream: list[dict] = []
    marks: list[dict] = []
    for groups in sources.values():
        stream.append(_tag_token(*groups))
        mark = {"type": "SpaceCharacters", "data": ""}
        stream.append(mark)
        marks.append(mark)
    outputs: list[str] = []
    group: list[dict] = []
    serializer = cleaner.serializer
    for token in cleaner.filtered(stream):
        if len(outputs) < len(marks) and token is marks[len(outputs)]:
            outputs.append("".join(serializer.serialize(iter(group))))
            group = []
        elif token["type"] != "Characters" or token["data"]:
            group.append(token)
    if group or len(outputs) != len(sources):  # pragma: no cover - the filters drop no marks.
        raise RuntimeError("bleach's filters changed the stream's shape")
    decided = dict(zip(sources, outputs, strict=True))
    if len(_TAG_DECISIONS) + len(decided) > _TAG_DECISIONS_MAX:
        _TAG_DECISIONS.clear()
    _TAG_DECISIONS.update(decided)
    return decided


def _clean_markdown(html: str) -> tuple[str, str] | None:
    """(clean HTML, the raw text) of markdown-it's own output, or ``None`` for anything else.

    Every distinct tag is decided by bleach's sanitizer filter and written by bleach's
    serializer (once, then remembered); the text between tags is what bleach's filter and
    serializer would give back for it (:data:`_MARKDOWN_TEXT`). Same bytes as bleach's full
    parse: tests/threads/test_rendering_equivalence.py compares them on the corpus, every XSS
    vector and seeded random bodies."""
    parts = _markdown_pieces(html)
    if parts is None:
        return None
    texts = parts[0::5]
    tags = parts[1::5]
    decisions = _TAG_DECISIONS
    known: dict[str, str] = {}
    unknown: dict[str, tuple[str, str, str]] = {}
    for index, source in enumerate(tags):
        if source in known or source in unknown:
            continue
        decided = decisions.get(source)
        if decided is not None:
            known[source] = decided
        else:
            at = 5 * index + 2
            unknown[source] = (parts[at], parts[at + 1], parts[at + 2])
    if unknown:
        known.update(_decide_tags(_cleaner(), unknown))
    raw = "".join(texts)
    out = [""] * (len(texts) + len(tags))
    out[0::2] = texts if _INVISIBLE_TEXT.search(raw) is None else map(_visible_text, texts)
    out[1::2] = map(known.__getitem__, tags)
    return "".join(out), raw


def _copy_token(token):
    if isinstance(token, dict):
        return {**token, "data": dict(token["data"])} if "data" in token else dict(token)
    if isinstance(token, list):
        return [_copy_token(item) for item in token]
    return token


# Text as markdown-it escapes it: no "<", and every "&" starts one of its own escapes.
_ESCAPED_TEXT = re.compile(r"[^&<]*(?:&(?:amp|lt|gt);[^&<]*)*")


class _SanitizerFilter(bleach.sanitizer.BleachSanitizerFilter):
    """bleach's sanitizer filter, deciding once per distinct start tag: sanitizing a tag depends
    only on its name and attributes, and a body can repeat one link thousands of times.

    Text that markdown-it escaped (``&amp;``, ``&lt;``, ``&gt;`` and nothing else that starts
    with ``&``) is handed on as the characters it stands for, which bleach's serializer escapes
    again to the same bytes: bleach's own entity walk did that one ``&`` at a time (20,000 ``&``
    took 37 ms). Invisible characters are still replaced as bleach replaces them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._decided: dict = {}

    def sanitize_token(self, token):
        if token["type"] not in {"StartTag", "EmptyTag"} or not token.get("data"):
            return super().sanitize_token(token)
        key = (token["type"], token["name"], tuple(token["data"].items()))
        if key not in self._decided:
            self._decided[key] = super().sanitize_token(_copy_token(token))
        return _copy_token(self._decided[key])

    def sanitize_characters(self, token):
        data = token.get("data", "")
        if "&" not in data or _ESCAPED_TEXT.fullmatch(data) is None:
            return super().sanitize_characters(token)
        data = bleach.sanitizer.INVISIBLE_CHARACTERS_RE.sub(
            bleach.sanitizer.INVISIBLE_REPLACEMENT_CHAR, data
        )
        token["data"] = data.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return token


class _Cleaner(bleach.sanitizer.Cleaner):
    """bleach's cleaner: its sanitizer filter and serializer always run. Markup that is exactly
    what markdown-it writes is read by :func:`_markdown_tokens` (a regular expression) instead of
    html5lib's character-by-character parser, which was half of the time of a long post; the
    stream is the same (tests/threads/test_rendering_performance.py compares both)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.walker = _TreeWalker

    def clean(self, text: str, *, fast: bool = True) -> str:
        if fast and isinstance(text, str):
            done = _clean_markdown(text)
            if done is not None:
                return done[0]
        tokens = _markdown_tokens(text) if fast and isinstance(text, str) else None
        if tokens is None:
            return super().clean(text)
        return self.clean_tokens(tokens)

    def clean_tokens(self, tokens: list[dict]) -> str:
        """bleach's sanitizer filter, our filters and bleach's serializer over ``tokens``."""
        return self.serializer.render(self.filtered(tokens))

    def filtered(self, tokens: list[dict]):
        """bleach's sanitizer filter and our filters over ``tokens``."""
        filtered = _SanitizerFilter(
            source=iter(tokens),
            allowed_tags=self.tags,
            attributes=self.attributes,
            strip_disallowed_tags=self.strip,
            strip_html_comments=self.strip_comments,
            css_sanitizer=self.css_sanitizer,
            allowed_protocols=self.protocols,
        )
        for filter_class in self.filters:
            filtered = filter_class(source=filtered)
        return filtered


class _LinkRel(Filter):
    """Sets ``rel`` on every ``<a>`` that survived sanitizing (one pass over the token stream)."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                token["data"][(None, "rel")] = LINK_REL
            yield token


# Link-host disclosure -----------------------------------------------------------------------

# What a reader may take for a dot, and characters that show nothing (or reorder what is shown).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_INVISIBLE = str.maketrans(dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff")))
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPECIAL_SCHEME = re.compile(r"(?:https?:)?[/\\]{2,}|https?:[/\\]*", re.IGNORECASE)
_AUTHORITY_END = re.compile(r"[/\\?#]")


def _ascii_host(host: str) -> str:
    """``host`` as a browser would look it up: lower case, punycode, no trailing dot."""
    host = host.translate(_DOTS).rstrip(".").lower()
    if not host.isascii():
        # Not a valid name: compared as it is, and shown escaped.
        with suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host


def _same_site(shown: str, real: str) -> bool:
    shown, real = shown.removeprefix("www."), real.removeprefix("www.")
    return shown == real


@lru_cache(maxsize=512)
def _href_target(href: str) -> tuple[str, bool] | None:
    """(host, has user info) of an ``http``, ``https``, scheme-relative or ``mailto`` link, read
    the way a browser reads it (``\\`` is ``/``, ``https:host`` has a host); else ``None``."""
    href = href.strip()
    if href[:7].lower() == "mailto:":
        address = unquote(href[7:].split("?", 1)[0])
        _local, at, domain = address.rpartition("@")
        return (_ascii_host(domain), False) if at and domain else None
    scheme = _SPECIAL_SCHEME.match(href)
    if scheme is None:
        return None
    authority = _AUTHORITY_END.split(href[scheme.end() :], maxsplit=1)[0]
    _userinfo, at, host = authority.rpartition("@")
    host = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
    host = _ascii_host(unquote(host))
    return (host, bool(at)) if host else None


def _shown_host(schema: str, text: str) -> str:
    """The host a reader takes from a URL-like piece of link text: for
    ``https://nhs.uk@evil.example`` that is ``nhs.uk``, whatever the browser does with it."""
    if schema == "mailto:" or (not schema and "@" in text):
        return text.rpartition("@")[2]
    if schema:
        text = text[len(schema) :] if text[: len(schema)].lower() == schema else text
        text = text.lstrip("/\\")
    return re.split(r"[@:/\\?#]", text, maxsplit=1)[0].rstrip(".").lower()


@lru_cache(maxsize=1)
def _detector() -> LinkifyIt:
    """Finds anything in link text that reads as a URL, domain or email address."""
    return LinkifyIt(options={"fuzzy_link": True, "fuzzy_email": True, "fuzzy_ip": True}).tlds(
        EXTRA_TLDS, True
    )


@lru_cache(maxsize=512)
def _disclosed_host(text: str, href: str) -> str | None:
    """The href's real host, when the link text could make a reader believe it goes elsewhere."""
    target = _href_target(href)
    if target is None:
        return None
    host, has_userinfo = target
    if has_userinfo or _BIDI.search(text):
        return host
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_DOTS)
    detector = _detector()
    if not detector.test(text):
        return None
    for match in detector.match(text) or []:
        if not _same_site(_shown_host(match.schema.lower(), match.text), host):
            return host
    return None


def _link_text(children: list[Token], start: int) -> tuple[str, int]:
    """The visible text of the link opened at ``children[start]`` and its ``link_close`` index."""
    parts: list[str] = []
    depth = 0
    for index in range(start, len(children)):
        token = children[index]
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
            if depth == 0:
                return "".join(parts), index
        elif token.type in {"text", "code_inline", "text_special"}:
            parts.append(token.content.replace("\n", " "))  # Soft breaks kept in the text.
        elif token.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return "".join(parts), len(children) - 1


def _links(state: StateCore) -> None:
    """Core rule, once per link: the link-host note after a link whose text names another host,
    and the attribute budget (a link past it is shown as its text)."""
    budget = LINK_ATTRIBUTE_BUDGET
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        out: list[Token] = []
        index = 0
        while index < len(children):
            token = children[index]
            if token.type != "link_open":
                out.append(token)
                index += 1
                continue
            text, close = _link_text(children, index)
            href = str(token.attrs.get("href", ""))
            budget -= len(href) + len(str(token.attrs.get("title", "")))
            if budget < 0:
                out.extend(children[index + 1 : close])
                index = close + 1
                continue
            out.extend(children[index : close + 1])
            if token.info == "auto":
                # Autolinks and bare URLs show their own href: only user info (nhs.uk@…) or an
                # internationalized host (shown in Unicode) can mislead.
                target = _href_target(href)
                host = target[0] if target and (target[1] or "xn--" in target[0]) else None
            else:
                host = _disclosed_host(text, href)
            if host:
                note = Token("link_host", "span", 0)
                note.content = host
                out.append(note)
            index = close + 1
        block.children = out


def _render_link_host(self, tokens: list[Token], idx: int, options, env) -> str:
    return f' <span class="{LINK_HOST_CLASS}">({escape(tokens[idx].content)})</span>'


# Linear-time guards ---------------------------------------------------------------------------


def _parse_link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """markdown-it's ``parseLinkLabel``, remembering where each label ends (or that it does not).

    The original walks from every ``[`` to its ``]``, so ``[[[[…`` (or ``[a`` repeated) walked
    the rest of the paragraph once per bracket, up to ``maxNesting`` levels deep. A plain ``[``
    met inside a label has had its own label measured already (skipToken just ran the link rule
    there), so the walk jumps to that label's end, or gives up if it has none.
    """
    labels = state.__dict__.setdefault("_forum_link_labels", {})
    key = (start, state.posMax, disable_nested)
    if key in labels:
        return labels[key]
    last_close = labels.get(state.posMax)
    if last_close is None:
        last_close = labels[state.posMax] = state.src.rfind("]", 0, state.posMax)
    if last_close < start:
        # No "]" after this "[": no label (``[[[[…`` without closers ends here at once).
        labels[key] = -1
        return -1
    old_pos = state.pos
    state.pos = start + 1
    level = 1
    found = -1
    src, end = state.src, state.posMax
    skip_token = state.md.inline.skipToken
    bracket_is_link = state.__dict__.get("_forum_bracket_is_link")
    if bracket_is_link is None:
        dispatch = getattr(state.md.inline, "_rules_by_character", lambda: None)()
        bracket_is_link = dispatch is not None and dispatch[1].get("[") == (_bounded_link,)
        state.__dict__["_forum_bracket_is_link"] = bracket_is_link
    cache, max_nesting = state.cache, state.md.options["maxNesting"]
    while state.pos < end:
        marker = src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                found = state.pos
                break
        prev_pos = state.pos
        if (
            marker == "["
            and bracket_is_link
            and prev_pos not in cache
            and (state.level < max_nesting)
        ):
            # skipToken here would ask the link rule, whose first question is this label (at
            # one level deeper): asked directly, a "[" with none moves skipToken on by one.
            state.level += 1
            inner_end = _parse_link_label(state, prev_pos, True)
            state.level -= 1
            if inner_end < 0:
                state.pos = cache[prev_pos] = prev_pos + 1
            else:
                skip_token(state)
        else:
            skip_token(state)
        if marker == "[":
            if prev_pos == state.pos - 1:
                level += 1
                inner = labels.get((prev_pos, end, disable_nested))
                if inner is not None:
                    if inner < 0:
                        break
                    state.pos = inner  # The "]" closing it: the loop counts it.
            elif disable_nested:
                break
    labels[key] = found
    state.pos = old_pos
    return found


class _Destination:
    """What markdown-it's ``parseLinkDestination`` returns: ``ok``, ``pos`` and ``str``."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self) -> None:
        self.ok = False
        self.pos = 0
        self.str = ""


# The characters markdown-it's destination walk acts on: the rest it steps over one by one.
_DESTINATION_STOPS = re.compile(r"[\x00-\x20\x7f\\()]")
# A destination walk that has met this many parentheses and backslashes goes on with the text's
# :class:`_DestinationIndex` (built once per text, then used from the start of every walk in
# it) instead of one at a time.
DESTINATION_WALK_STOPS = 4
# markdown-it's limit: a destination with more than this many unclosed "(" is none.
_DESTINATION_MAX_LEVEL = 32
# What the walk does, in one left-to-right reading of the text: a backslash and the character
# after it (not a space) are stepped over together; "(" and ")" change the level; a space, a
# control character, or a backslash before a space (or at the end) ends it.
_DESTINATION_TOKENS = re.compile(r"\\[^ ]|[\x00-\x20\x7f()\\]")


class _DestinationIndex:
    """Where markdown-it's destination walk would stop, from any start, in O(log n).

    ``parens`` are the positions of the unescaped parentheses and ``depth[k]`` the count of
    "(" less ")" up to and including the k-th; ``breaks`` the positions that end a walk. A
    walk starting before the k-th parenthesis (at level 0) ends at the first later one that
    takes it below level 0 (a ")": the destination ends there) or above 32 (a "(": no
    destination), or at the first break, whichever comes first: ``down[k]`` and ``up[k]`` are
    those parentheses, found for every k in one backward pass. A walk from inside a
    backslash escape reads the text differently: :func:`_parse_link_destination` does not come
    here for one."""

    __slots__ = ("breaks", "depth", "down", "parens", "text", "up")

    def __init__(self, text: str) -> None:
        parens: list[int] = []
        depth: list[int] = []
        breaks: list[int] = []
        level = 0
        for match in _DESTINATION_TOKENS.finditer(text):
            token = match.group()
            if token == "(":
                level += 1
            elif token == ")":
                level -= 1
            elif len(token) == 1:
                breaks.append(match.start())
                continue
            else:
                continue  # An escape: both characters stepped over.
            parens.append(match.start())
            depth.append(level)
        count = len(parens)
        down = [count] * count
        up = [count] * count
        first_at: dict[int, int] = {}
        for k in range(count - 1, -1, -1):
            first_at[depth[k]] = k
            before = depth[k - 1] if k else 0
            down[k] = first_at.get(before - 1, count)
            up[k] = first_at.get(before + _DESTINATION_MAX_LEVEL + 1, count)
        self.text, self.parens, self.depth, self.down, self.up = text, parens, depth, down, up
        self.breaks = breaks

    def end(self, start: int, maximum: int) -> int | None:
        """Where the walk from ``start`` (not inside an escape) stops with its level back at
        0, or ``None`` when it finds no destination (too deep, or unclosed at its end)."""
        text, breaks, parens = self.text, self.breaks, self.parens
        at = bisect_left(breaks, start)
        stop = breaks[at] if at < len(breaks) else len(text)
        if stop >= maximum - 1 and (stop >= maximum or text[stop] == "\\"):
            # The end of the range (a last backslash is an ordinary character there).
            stop = maximum
        first, last = bisect_left(parens, start), bisect_left(parens, stop)
        if first == last:
            return stop
        before = self.depth[first - 1] if first else 0
        down, up = self.down[first], self.up[first]
        if min(down, up) < last:
            return parens[down] if down < up else None
        return stop if self.depth[last - 1] == before else None


_DESTINATION_INDEX = threading.local()


def _destination_index(text: str) -> _DestinationIndex:
    """The index of ``text``, kept for the last text each thread asked about."""
    index = getattr(_DESTINATION_INDEX, "last", None)
    if index is None or index.text is not text:
        index = _DESTINATION_INDEX.last = _DestinationIndex(text)
    return index


def _parse_link_destination(string: str, pos: int, maximum: int):
    """markdown-it's ``parseLinkDestination``, jumping from one space, control character,
    backslash or parenthesis to the next instead of stepping through every character, and
    past DESTINATION_WALK_STOPS parentheses and backslashes going on with the text's
    :class:`_DestinationIndex`: each ``[a](`` of ``[a](b[a](b…`` walked 33 ``(`` ahead before
    failing (20,000 characters: 85 ms, then 40 ms with the jumps)."""
    if string[pos : pos + 1] == "<":
        return markdown_helpers.parseLinkDestination(string, pos, maximum)
    maximum = min(maximum, len(string))
    start = pos
    result = _Destination()
    level = 0
    if string[start - 1 : start] != "\\":  # Not inside an escape: the index can answer.
        index = getattr(_DESTINATION_INDEX, "last", None)
        walked = DESTINATION_WALK_STOPS if index is not None and index.text is string else 0
    else:
        walked = -len(string)  # Never.
    stops = _DESTINATION_STOPS
    while pos < maximum:
        stop = stops.search(string, pos, maximum)
        if stop is None:
            pos = maximum
            break
        pos = stop.start()
        char = string[pos]
        if char in "\\()":
            walked += 1
            if walked > DESTINATION_WALK_STOPS:
                end = _destination_index(string).end(start, maximum)
                if end is None:
                    return result
                pos, level = end, 0
                break
        if char == "\\":
            if pos + 1 < maximum:
                if string[pos + 1] == " ":
                    break
                pos += 2
                continue
        elif char == "(":
            level += 1
            if level > _DESTINATION_MAX_LEVEL:
                return result
        elif char == ")":
            if level == 0:
                break
            level -= 1
        else:
            break  # A space or a control character.
        pos += 1
    if start == pos or level != 0:
        return result
    result.str = markdown_unescape_all(string[start:pos])
    result.pos = pos
    result.ok = True
    return result


def _bounded_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's table rule, told that the table ends after MAX_TABLE_CELLS cells; a
    delimiter row of more than MAX_TABLE_COLUMNS columns starts no table (its lines are text)."""
    if start_line + 2 <= end_line:
        # The second line is the delimiter row (|---|:-:|) if this is a table at all.
        start = state.bMarks[start_line + 1] + state.tShift[start_line + 1]
        delimiter = state.src[start : state.eMarks[start_line + 1]]
        if delimiter[:1] in {"|", "-", ":"}:
            if delimiter.count("|") > MAX_TABLE_COLUMNS + 1:
                return False
            if silent:
                # Only "could a table start here?" (a paragraph asks it of each of its lines):
                # the header and delimiter rows answer that, wherever the table would end.
                return markdown_table(state, start_line, end_line, silent)
            columns = sum(1 for part in delimiter.split("|") if part.strip()) or 1
            rows = max(MAX_TABLE_CELLS // columns - 1, 1)
            end_line = min(end_line, start_line + 2 + rows)
    return markdown_table(state, start_line, end_line, silent)


# Counts kept in markdown-it's ``env`` (one per render, shared by the block and inline rules).
_HEADINGS = "forum_headings"
_LINKS = "forum_links"


def _bounded_heading(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's ``heading`` rule, until the post has MAX_HEADINGS headings (then text)."""
    if state.env.get(_HEADINGS, 0) >= MAX_HEADINGS:
        return False
    if not markdown_heading(state, start_line, end_line, silent):
        return False
    if not silent:
        state.env[_HEADINGS] = state.env.get(_HEADINGS, 0) + 1
    return True


def _bounded_link(state: StateInline, silent: bool) -> bool:
    """markdown-it's ``link`` rule, until the post has MAX_LINKS links (then text). A ``[``
    whose label is known to have no end, or with no ``]`` after it, is no link (the rule's
    first question), answered without asking the rule."""
    if state.env.get(_LINKS, 0) >= MAX_LINKS:
        return False
    labels = state.__dict__.get("_forum_link_labels")
    if labels is not None:
        if labels.get((state.pos, state.posMax, True)) == -1:
            return False
        last_close = labels.get(state.posMax)  # See _parse_link_label.
        if last_close is not None and last_close < state.pos:
            return False
    if not markdown_link(state, silent):
        return False
    if not silent:
        state.env[_LINKS] = state.env.get(_LINKS, 0) + 1
    return True


_MARKER_RUN = re.compile(r"\*+|_+")


def _bounded_emphasis(state: StateInline, silent: bool) -> bool:
    """markdown-it's ``emphasis`` rule, with a run of markers longer than MAX_MARKER_RUN, or past
    MAX_EMPHASIS_MARKERS in the paragraph, kept as its characters."""
    if silent:
        return False  # markdown-it's rule does nothing when silent.
    run = _MARKER_RUN.match(state.src, state.pos, state.posMax)
    if run is None:
        return False
    used = state.__dict__.get("_forum_markers", 0) + run.end() - run.start()
    state.__dict__["_forum_markers"] = used
    if run.end() - run.start() <= MAX_MARKER_RUN and used <= MAX_EMPHASIS_MARKERS:
        return markdown_emphasis(state, silent)
    state.append_pending(run.group())
    state.pos = run.end()
    return True


# A line that could underline a setext heading: it ends with "-" or "=" (and spaces or tabs).
_UNDERLINE_END = re.compile(r"[-=][ \t]*$", re.MULTILINE)


def _setext_heading(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's ``lheading`` rule, skipped when no later line could be an underline.

    The rule walks the whole paragraph (asking every other block rule at each line) looking for
    one, then fails and the paragraph rule walks it again: 10,000 short lines were walked twice.
    Skipped, it leaves the state as its own failure does (``parentType`` set to paragraph)."""
    ends = state.__dict__.get("_forum_underline_ends")
    if ends is None:
        ends = state.__dict__["_forum_underline_ends"] = [
            match.end() for match in _UNDERLINE_END.finditer(state.src)
        ]
    if start_line + 1 < end_line and state.env.get(_HEADINGS, 0) < MAX_HEADINGS:
        first = bisect_right(ends, state.eMarks[start_line])
        if first < len(ends) and ends[first] <= state.eMarks[end_line - 1]:
            if markdown_lheading(state, start_line, end_line, silent):
                state.env[_HEADINGS] = state.env.get(_HEADINGS, 0) + 1
                return True
            return False
    if not state.is_code_block(start_line):
        state.parentType = "paragraph"
    return False


class _Helpers:
    """markdown-it's link helpers with the linear ``parseLinkLabel`` and the faster
    ``parseLinkDestination``, for our instance only."""

    parseLinkDestination = staticmethod(_parse_link_destination)
    parseLinkLabel = staticmethod(_parse_link_label)
    parseLinkTitle = staticmethod(markdown_helpers.parseLinkTitle)


_FLATTENED = {"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"}


def _limit_inline_depth(state: StateCore) -> None:
    """Core rule: emphasis nested deeper than MAX_INLINE_DEPTH becomes its own characters."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        depth = 0
        flattened: list[bool] = []
        for index, token in enumerate(block.children):
            if token.nesting == 1:
                depth += 1
                flat = depth > MAX_INLINE_DEPTH and token.type in _FLATTENED
                flattened.append(flat)
            elif token.nesting == -1:
                depth -= 1
                flat = flattened.pop() if flattened else False
            else:
                continue
            if flat:
                text = Token("text", "", 0)
                text.content = token.markup
                block.children[index] = text


# Pipeline -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt(
        "js-default",
        {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING},
    )
    md.enable("table").enable("strikethrough")
    # Images are never rendered (no requests to other origins): they fall back to their text.
    # The raw-HTML rules do nothing with ``html`` off; disabled, they cost nothing per ``<``.
    md.disable(["image", "html_inline", "html_block"])
    # Bare URLs and domains become links, as bleach's linkifier did: emails stay text
    # (``mailto:`` ones are links), and only schemes the allow-list keeps are linked.
    md.linkify = (
        _Linkifier(options={"fuzzy_link": True, "fuzzy_email": False, "fuzzy_ip": False})
        .tlds(EXTRA_TLDS, True)
        .add("ftp:", None)
        .add("//", None)
    )
    md.helpers = _Helpers
    # The same inline parser, asking at each character only the rules that can start there.
    md.inline.__class__ = MarkerInlineParser
    # The same block parser, asking at each block's first line only the rules that can start
    # there.
    md.block.__class__ = rendering_block.MarkerBlockParser
    md.inline.soft_breaks_in_text = True  # _link_text reads "\n" in text as a soft break.
    # Pure functions of one URL that parse it each time (mdurl): a body repeating one link
    # thousands of times (bare ``x.co``, a reused reference) parsed it thousands of times.
    md.normalizeLink = lru_cache(maxsize=1024)(md.normalizeLink)
    md.normalizeLinkText = lru_cache(maxsize=1024)(md.normalizeLinkText)
    md.validateLink = lru_cache(maxsize=1024)(md.validateLink)
    md.core.ruler.push("limit_inline_depth", _limit_inline_depth)
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.block.ruler.at("lheading", _setext_heading)
    md.block.ruler.at(
        "heading", _bounded_heading, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    md.inline.ruler.at("link", _bounded_link)
    md.inline.ruler.at("emphasis", _bounded_emphasis)
    md.inline.ruler.at("linkify", _with_link_count(_linkify_inline))
    md.core.ruler.at("linkify", _with_link_count(markdown_linkify_core))
    # The same paragraph rule, asking whether a line ends it only of lines that could.
    md.block.ruler.at("paragraph", rendering_block.paragraph)
    md.core.ruler.push("links", _links)
    md.add_render_rule("link_host", _render_link_host)
    # Headings in a post start at h3 so they nest under the page's own h1/h2.
    return md


@lru_cache(maxsize=1)
def _cleaner() -> bleach.sanitizer.Cleaner:
    return _Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_LinkRel],
    )


def _demote_headings(html: str) -> str:
    for level in (2, 1):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return html


def sanitize(html: str) -> str:
    """Clean already-rendered HTML against the allow-list. Every output path goes through this."""
    return _cleaner().clean(html)


@dataclass(frozen=True)
class Rendered:
    """One rendering of a body: the sanitized HTML and the words readers see (plain text)."""

    html: str
    text: str


# Bodies rendered ahead of a write (see :func:`prerendered`), by their exact text.
_PRERENDERED: ContextVar[dict[str, Rendered] | None] = ContextVar("prerendered", default=None)


def _words(source_html: str, tokens: list[dict] | None = None) -> str:
    """The text of markdown-it's output, tags removed and entities decoded, spaces collapsed."""
    tokens = _markdown_tokens(source_html) if tokens is None else tokens
    if tokens is None:
        text = bleach.clean(source_html, tags=set(), strip=True)
    else:
        text = "".join(token["data"] for token in tokens if "Characters" in token["type"])
    return " ".join(html.unescape(text).split())


def _render_now(text: str) -> Rendered:
    source = _demote_headings(_markdown().render(text or ""))
    done = _clean_markdown(source)
    if done is not None:
        return Rendered(html=done[0].strip(), text=" ".join(html.unescape(done[1]).split()))
    tokens = _markdown_tokens(source)
    if tokens is None:
        return Rendered(html=sanitize(source).strip(), text=_words(source))
    # One reading of the markup for both: the sanitizer filter does not change the token dicts'
    # text, and the words are taken first.
    words = _words(source, tokens)
    return Rendered(html=_cleaner().clean_tokens(tokens).strip(), text=words)


# A long body can be rendered in a worker process when a write path asks (:func:`prerendered`):
# rendering is pure Python, so in a thread it would hold the interpreter lock and slow every
# other request of the daphne process; in a worker only a core is shared. The worker is this
# module run as a program (``python -m community.rendering``), one per process that writes,
# started on first use: one JSON line in (the text), one out (html and text).
# Opt-in with ``RENDER_WORKER=1`` in the environment: on a 2-core machine at load 2-4 it halved
# a reader's slowdown during pathological posts (docs/performance.md); bench/interference.py
# compares both.
WORKER_MIN_CHARS = 2_000
WORKER_TIMEOUT_SECONDS = 30


class _Worker:
    lock = threading.Lock()
    process: subprocess.Popen | None = None

    @classmethod
    def _start(cls) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        }
        return subprocess.Popen(
            [sys.executable, "-m", "community.rendering"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=root,
            env=env,
            text=True,
            encoding="ascii",
        )

    @classmethod
    def render(cls, text: str) -> Rendered:
        """Render in the worker, or here when the worker fails (it is restarted next time)."""
        with cls.lock:
            try:
                if cls.process is None or cls.process.poll() is not None:
                    cls.process = cls._start()
                cls.process.stdin.write(json.dumps(text) + "\n")
                cls.process.stdin.flush()
                ready, _, _ = select.select([cls.process.stdout], [], [], WORKER_TIMEOUT_SECONDS)
                line = cls.process.stdout.readline() if ready else ""
                answer = json.loads(line)
                return Rendered(html=answer["html"], text=answer["text"])
            except (OSError, ValueError, KeyError, TypeError):
                if cls.process is not None:
                    cls.process.kill()
                    cls.process.wait()
                cls.process = None
        return _render_now(text)


def _serve() -> None:
    """The worker's loop: render each JSON line of standard input until it closes."""
    for line in sys.stdin:
        done = _render_now(json.loads(line))
        sys.stdout.write(json.dumps({"html": done.html, "text": done.text}) + "\n")
        sys.stdout.flush()


def _render_for_write(text: str) -> Rendered:
    if len(text) < WORKER_MIN_CHARS or os.environ.get("RENDER_WORKER", "0") != "1":
        return _render_now(text)
    return _Worker.render(text)


@contextmanager
def prerendered(*texts: str) -> Iterator[None]:
    """Render ``texts`` now, so that :func:`render_markdown` and :func:`plain_text` of the same
    text inside the block reuse the result instead of rendering again.

    Write paths wrap their transaction in this: a long body is rendered once, before any row
    lock is taken (a 20,000-character post holds nobody up while it renders)."""
    memo = dict(_PRERENDERED.get() or {})
    for text in texts:
        if text and text not in memo:
            memo[text] = _render_for_write(text)
    token = _PRERENDERED.set(memo)
    try:
        yield
    finally:
        _PRERENDERED.reset(token)


def rendered_first(*fields):
    """Decorator for a write service taking keyword arguments: the Markdown in ``fields``
    (keyword names, or functions of the keyword arguments; stripped, as the services clean it)
    is rendered before the service runs, so that inside its transaction :func:`render_markdown`
    and screening's :func:`plain_text` reuse it. Put it above ``@transaction.atomic``."""

    def decorate(function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            values = [f(kwargs) if callable(f) else kwargs.get(f) for f in fields]
            texts = [value.strip() for value in values if isinstance(value, str)]
            with prerendered(*texts):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def _prerendered(text: str) -> Rendered | None:
    memo = _PRERENDERED.get()
    return memo.get(text) if memo and text else None


def render_markdown(text: str) -> str:
    """Render member-written Markdown to HTML that is safe to print with ``|safe``."""
    done = _prerendered(text)
    if done is not None:
        return done.html
    html = _markdown().render(text or "")
    return sanitize(_demote_headings(html)).strip()


def render_plain(text: str) -> str:
    """A one-line, tag-free rendering (titles, previews, email subjects)."""
    return bleach.clean(text or "", tags=set(), strip=True).strip()


def plain_text(markdown: str) -> str:
    """The words of a post without markup, for snippets and emails (not HTML-escaped)."""
    done = _prerendered(markdown)
    if done is not None:
        return done.text
    return _words(_markdown().render(markdown or ""))


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


if __name__ == "__main__":
    _serve()
