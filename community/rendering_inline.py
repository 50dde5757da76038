"""markdown-it-py's inline parser, asking only the rules that can start at each character.

markdown-it's inline tokenizer tries every inline rule, in order, at every position the ``text``
rule stops at (each ``[``, ``]``, ``*``, newline, …): a dozen calls per position, each of which
looks at the character under it and returns ``False`` unless it is its own marker. A paragraph
of 10,000 brackets or lines made 120,000 such calls. This parser asks, at each position, only
the rules whose marker is the character there, in the same order: ``text`` for any character
that is not one of its terminators, and for a terminator the rules listed in
:data:`INLINE_MARKERS` for it. The tokens are the same
(tests/threads/test_rendering_performance.py fuzzes it against markdown-it's own parser).

Used by :mod:`community.rendering` only; any rule not listed here (a plugin) makes the parser
fall back to markdown-it's own loop.
"""

from __future__ import annotations

import re

from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import fragments_join as markdown_fragments_join
from markdown_it.rules_inline import newline as markdown_newline
from markdown_it.rules_inline import text as markdown_text
from markdown_it.rules_inline.balance_pairs import link_pairs as markdown_balance_pairs
from markdown_it.rules_inline.emphasis import postProcess as markdown_emphasis_post
from markdown_it.rules_inline.strikethrough import postProcess as markdown_strikethrough_post
from markdown_it.token import Token

# Each built-in inline rule and the characters it can start at: every one of them returns
# False, having changed nothing, when ``state.src[state.pos]`` is not one of these.
INLINE_MARKERS = {
    "linkify": ":",
    "newline": "\n",
    "escape": "\\",
    "backticks": "`",
    "strikethrough": "~",
    "emphasis": "_*",
    "link": "[",
    "image": "!",
    "autolink": "<",
    "html_inline": "<",
    "entity": "&",
}


# The post-processing rules (markdown-it's ``ruler2``) that do nothing to a single text token
# with no delimiters: they pair emphasis and strikethrough delimiters and join text tokens.
PLAIN_POST_RULES = (
    markdown_balance_pairs,
    markdown_strikethrough_post,
    markdown_emphasis_post,
    markdown_fragments_join,
)


class MarkerInlineParser(ParserInline):
    """:class:`ParserInline` with ``tokenize`` and ``skipToken`` dispatching on the character."""

    _dispatch_for: list | None = None
    _dispatch: tuple | None = None
    # A soft line break kept in the text as its "\n" instead of a ``softbreak`` token: the same
    # HTML when the renderer writes soft breaks as "\n" (``breaks`` off), two tokens fewer a
    # line. Set on an instance whose renderer does so, and whose core rules read a "\n" in text
    # as they read a soft break.
    soft_breaks_in_text = False

    def _rules_by_character(self) -> tuple | None:
        """(text rule, {character: rules}, terminator pattern), or ``None`` to fall back."""
        rules = self.ruler.getRules("")
        if self._dispatch_for is rules and self._dispatch is not None:
            return self._dispatch
        enabled = [rule for rule in self.ruler.__rules__ if rule.enabled]
        if (
            not enabled
            or enabled[0].name != "text"
            or enabled[0].fn is not markdown_text
            or any(rule.name not in INLINE_MARKERS for rule in enabled[1:])
        ):
            self._dispatch_for, self._dispatch = rules, None
            return None
        by_character: dict[str, tuple] = {}
        for rule in enabled[1:]:
            for character in INLINE_MARKERS[rule.name]:
                by_character[character] = (*by_character.get(character, ()), rule.fn)
        # A run of characters no rule starts at: markdown-it's loop takes it as the text rule's
        # stretches (up to each terminator) and single terminators no rule wants, one by one.
        plain = re.compile("[^" + re.escape("".join(sorted(by_character))) + "]+")
        self._dispatch_for = rules
        self._dispatch = (enabled[0].fn, by_character, self.terminator_re, plain)
        return self._dispatch

    @staticmethod
    def _rules_at(dispatch: tuple, character: str) -> tuple:
        text, by_character, terminators, _plain = dispatch
        if terminators.match(character) is None:
            return (text,)  # ``text`` always moves past a non-terminator.
        return by_character.get(character, ())

    def skipToken(self, state: StateInline) -> None:
        dispatch = self._rules_by_character()
        if dispatch is None:
            return super().skipToken(state)
        ok = False
        pos = state.pos
        cache = state.cache
        if pos in cache:
            state.pos = cache[pos]
            return None
        if state.level < state.md.options["maxNesting"]:
            for rule in self._rules_at(dispatch, state.src[pos]):
                state.level += 1
                ok = rule(state, True)
                state.level -= 1
                if ok:
                    if state.pos <= pos:
                        raise RuntimeError("inline rule didn't increment state.pos")
                    break
        else:
            state.pos = state.posMax  # markdown-it's own answer to too much nesting.
        if not ok:
            state.pos += 1
        cache[pos] = state.pos
        return None

    def parse(self, src, md, env, tokens: list[Token]) -> list[Token]:
        """markdown-it's ``parse``; content no rule starts anywhere in (a table cell, a list
        item, a heading of plain words) is one text token, as the tokenizer and the
        post-processing rules would make it, without building their state."""
        dispatch = self._rules_by_character()
        if (
            dispatch is not None
            and src
            and dispatch[3].fullmatch(src) is not None
            and tuple(self.ruler2.getRules("")) == PLAIN_POST_RULES
        ):
            token = Token("text", "", 0)
            token.content = src
            tokens.append(token)
            return tokens
        return super().parse(src, md, env, tokens)

    def tokenize(self, state: StateInline) -> None:
        dispatch = self._rules_by_character()
        if dispatch is None:
            return super().tokenize(state)
        text, by_character, terminators, plain = dispatch
        is_terminator = terminators.match
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        src = state.src
        soft_breaks = self.soft_breaks_in_text and not state.md.options.get("breaks")
        while state.pos < end:
            pos = state.pos
            ok = False
            if state.level < max_nesting:
                character = src[pos]
                if character not in by_character:
                    # Text, and terminators no rule starts at (``]``, ``#``, …), up to the next
                    # character a rule starts at: the same pending text as one at a time.
                    run = plain.match(src, pos, end)
                    state.append_pending(run.group())
                    state.pos = run.end()
                    continue
                if (
                    character == "\n"
                    and soft_breaks
                    and by_character.get("\n") == (markdown_newline,)
                    and not state.pending.endswith(" ")
                ):
                    # markdown-it's newline rule, for a soft break: "\n" then the next line's
                    # leading spaces and tabs skipped.
                    state.append_pending("\n")
                    pos += 1
                    while pos < end and src[pos] in " \t":
                        pos += 1
                    state.pos = pos
                    continue
                rules = (
                    (text,) if is_terminator(character) is None else by_character.get(character, ())
                )
                for rule in rules:
                    ok = rule(state, False)
                    if ok:
                        if state.pos <= pos:
                            raise RuntimeError("inline rule didn't increment state.pos")
                        break
            if ok:
                if state.pos >= end:
                    break
                continue
            state.append_pending(src[state.pos])
            state.pos += 1
        if state.pending:
            state.pushPending()
        return None
