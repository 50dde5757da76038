"""markdown-it-py's paragraph rule, asking "does this line end the paragraph?" only of lines that
could.

markdown-it's paragraph rule asks every rule that may interrupt a paragraph (table, fence,
quote, rule, list, heading) about every line of the paragraph: six calls a line, each of which
looks at the line's first character (the table at the next line's) and returns ``False``,
having changed nothing, unless it is one of its markers. 10,000 short lines made 60,000 calls.
This rule asks them only about a line whose first character is one of their markers (or whose
next line could be a table's delimiter row); everything else is markdown-it's own rule, so
the tokens are the same (tests/threads/test_rendering_equivalence.py fuzzes it).

:class:`MarkerBlockParser` does the same for the block parser's own loop: at each block's first
line it asks only the rules that can start at that line's first character (and the rules that
look at every line: the table, indented code, setext headings and the paragraph).

Used by :mod:`community.rendering` only; a rule not listed here (a plugin) makes every line be
asked, as markdown-it does.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import mdTrim
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock

# The first characters of a line each built-in rule can interrupt a paragraph at. The table
# looks at the line after (its delimiter row): see _DELIMITER_ROW.
TERMINATOR_MARKERS = {
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*-+0123456789",
    "html_block": "<",
    "heading": "#",
}
# The block rules asked at every block's first line whatever its first character: the table
# looks at the next line (asked only when that could be its delimiter row), indented code at
# the indent, and the setext-heading rule's failure
# sets ``parentType`` (markdown-it's own behaviour, kept); the paragraph takes any line.
EVERY_LINE_RULES = frozenset({"table", "code", "lheading", "paragraph"})
# The rules that start a block only at these first characters (and a line starting with
# ``[`` may be a reference definition).
BLOCK_MARKERS = {**TERMINATOR_MARKERS, "reference": "["}

# A line that could be a table's delimiter row: markdown-it's table rule wants ``[-:|]`` then
# only ``-:|``, spaces and tabs, and a ``-`` in some column.
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]+")

_checks: dict[int, tuple] = {}


def _terminator_check(state: StateBlock, terminators: list) -> tuple | None:
    """({first character: the rules to ask there, in order}, the table rule or ``None``) for
    these terminating rules, or ``None`` (ask all). The table, if any, must come first."""
    key = id(terminators)
    cached = _checks.get(key)
    if cached is not None and cached[0] is terminators:
        return cached[1]
    rules = [
        rule for rule in state.md.block.ruler.__rules__ if rule.enabled and "paragraph" in rule.alt
    ]
    check = None
    names = [rule.name for rule in rules]
    if (
        len(rules) == len(terminators)
        and all(rule.fn is fn for rule, fn in zip(rules, terminators, strict=True))
        and all(name == "table" or name in TERMINATOR_MARKERS for name in names)
        and "table" not in names[1:]
    ):
        table = rules[0].fn if names[:1] == ["table"] else None
        by_character: dict[str, tuple] = {}
        for rule in rules:
            for character in TERMINATOR_MARKERS.get(rule.name, ""):
                by_character[character] = (*by_character.get(character, ()), rule.fn)
        check = (by_character, table)
    _checks[key] = (terminators, check)
    return check


def paragraph(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's ``paragraph`` rule (rules_block/paragraph.py), with the line filter."""
    nextLine = startLine + 1
    terminatorRules = state.md.block.ruler.getRules("paragraph")
    check = _terminator_check(state, terminatorRules)
    endLine = state.lineMax

    oldParentType = state.parentType
    state.parentType = "paragraph"

    src, bMarks, tShift, sCount = state.src, state.bMarks, state.tShift, state.sCount
    while nextLine < endLine:
        if state.isEmpty(nextLine):
            break
        if sCount[nextLine] - state.blkIndent > 3:
            nextLine += 1
            continue
        if sCount[nextLine] < 0:
            nextLine += 1
            continue
        asked = terminatorRules
        if check is not None:
            by_character, table = check
            first = bMarks[nextLine] + tShift[nextLine]
            asked = by_character.get(src[first : first + 1], ())
            after = nextLine + 1
            if table is not None and after < endLine:
                row = src[bMarks[after] + tShift[after] : state.eMarks[after]]
                if "-" in row and _DELIMITER_ROW.fullmatch(row) is not None:
                    asked = (table, *asked)
            if not asked:
                nextLine += 1
                continue
        terminate = False
        for terminatorRule in asked:
            if terminatorRule(state, nextLine, endLine, True):
                terminate = True
                break
        if terminate:
            break
        nextLine += 1

    content = mdTrim(state.getLines(startLine, nextLine, state.blkIndent, False))

    state.line = nextLine

    token = state.push("paragraph_open", "p", 1)
    token.map = [startLine, state.line]

    token = state.push("inline", "", 0)
    token.content = content
    token.map = [startLine, state.line]
    token.children = []

    token = state.push("paragraph_close", "p", -1)

    state.parentType = oldParentType

    return True


class MarkerBlockParser(ParserBlock):
    """:class:`ParserBlock` whose loop asks, at each block's first line, only the rules that
    can start there: the EVERY_LINE_RULES, and the others only at a first character listed
    for them in BLOCK_MARKERS (each returns ``False``, having changed nothing, at any other).
    The same rules in the same order; any other rule makes it markdown-it's own loop."""

    _dispatch_for: list | None = None
    _dispatch: tuple | None = None

    def _rules_by_character(self) -> tuple | None:
        """({first character: rules}, rules for any other character), or ``None``."""
        rules = self.ruler.getRules("")
        if self._dispatch_for is rules:
            return self._dispatch
        enabled = [rule for rule in self.ruler.__rules__ if rule.enabled]
        dispatch = None
        if [rule.fn for rule in enabled] == list(rules) and all(
            rule.name in EVERY_LINE_RULES or rule.name in BLOCK_MARKERS for rule in enabled
        ):
            # The table, when it is the first rule, only where the next line could be its
            # delimiter row (the rule's own first test, as the paragraph's filter does).
            table = enabled[0].fn if enabled[0].name == "table" else None
            rest = enabled[1:] if table is not None else enabled
            characters = set("".join(BLOCK_MARKERS.get(rule.name, "") for rule in rest))
            by_character = {
                character: tuple(
                    rule.fn
                    for rule in rest
                    if rule.name in EVERY_LINE_RULES or character in BLOCK_MARKERS[rule.name]
                )
                for character in characters
            }
            other = tuple(rule.fn for rule in rest if rule.name in EVERY_LINE_RULES)
            dispatch = (by_character, other, table)
        self._dispatch_for, self._dispatch = rules, dispatch
        return dispatch

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        """markdown-it's ``ParserBlock.tokenize``, with the rules chosen by first character."""
        dispatch = self._rules_by_character()
        if dispatch is None:
            return super().tokenize(state, startLine, endLine)
        by_character, other, table = dispatch
        src, bMarks, tShift, eMarks = state.src, state.bMarks, state.tShift, state.eMarks
        line = startLine
        maxNesting = state.md.options.maxNesting
        hasEmptyLines = False

        while line < endLine:
            state.line = line = state.skipEmptyLines(line)
            if line >= endLine:
                break
            if state.sCount[line] < state.blkIndent:
                break
            if state.level >= maxNesting:
                state.line = endLine
                break

            first = bMarks[line] + tShift[line]
            asked = by_character.get(src[first : first + 1], other)
            after = line + 1
            if table is not None and after < endLine:
                row = src[bMarks[after] + tShift[after] : eMarks[after]]
                if "-" in row and _DELIMITER_ROW.fullmatch(row) is not None:
                    asked = (table, *asked)
            ok = False
            for rule in asked:
                ok = rule(state, line, endLine, False)
                if ok:
                    if state.line <= line:
                        raise RuntimeError("block rule didn't increment state.line")
                    break

            if not ok:
                raise RuntimeError("none of the block rules matched")

            state.tight = not hasEmptyLines

            line = state.line

            if (line - 1) < endLine and state.isEmpty(line - 1):
                hasEmptyLines = True

            if line < endLine and state.isEmpty(line):
                hasEmptyLines = True
                line += 1
                state.line = line
        return None
