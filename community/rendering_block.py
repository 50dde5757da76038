"""markdown-it-py's paragraph rule, asking "does this line end the paragraph?" only of lines that
could.

markdown-it's paragraph rule asks every rule that may interrupt a paragraph (table, fence,
quote, rule, list, heading) about every line of the paragraph: six calls a line, each of which
looks at the line's first character (the table at the next line's) and returns ``False``,
having changed nothing, unless it is one of its markers. 10,000 short lines made 60,000 calls.
This rule asks them only about a line whose first character is one of their markers (or whose
next line could be a table's delimiter row); everything else is markdown-it's own rule, so
the tokens are the same (tests/threads/test_rendering_equivalence.py fuzzes it).

Used by :mod:`community.rendering` only; a terminating rule not listed here (a plugin) makes
every line be asked, as markdown-it does.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import mdTrim
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
# A line that could be a table's delimiter row: markdown-it's table rule wants ``[-:|]`` then
# only ``-:|``, spaces and tabs, and a ``-`` in some column.
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]+")

_checks: dict[int, tuple] = {}


def _terminator_check(state: StateBlock, terminators: list) -> tuple | None:
    """(first characters, ask the table?) for these terminating rules, or ``None`` (ask all)."""
    key = id(terminators)
    cached = _checks.get(key)
    if cached is not None and cached[0] is terminators:
        return cached[1]
    names = [
        rule.name
        for rule in state.md.block.ruler.__rules__
        if rule.enabled and "paragraph" in rule.alt
    ]
    check = None
    if len(names) == len(terminators) and all(
        name == "table" or name in TERMINATOR_MARKERS for name in names
    ):
        starts = frozenset("".join(TERMINATOR_MARKERS.get(name, "") for name in names))
        check = (starts, "table" in names)
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
        if check is not None:
            starts, table = check
            first = bMarks[nextLine] + tShift[nextLine]
            if src[first : first + 1] not in starts:
                after = nextLine + 1
                if not table or after >= endLine:
                    nextLine += 1
                    continue
                row = src[bMarks[after] + tShift[after] : state.eMarks[after]]
                if "-" not in row or _DELIMITER_ROW.fullmatch(row) is None:
                    nextLine += 1
                    continue
        terminate = False
        for terminatorRule in terminatorRules:
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
