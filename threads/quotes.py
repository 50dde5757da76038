"""Quotes copied into a reply's Markdown, as :func:`threads.services.quote_for_reply` writes them:

    **Name** wrote:

    > first line
    >
    > second line

and quoted again in a later reply, one ``>`` deeper. When the quoted member is erased, the
header names them no more, and when they asked for what they wrote to be removed, the quoted
block goes too (erasure's rewrite, :func:`threads.services.erase_author_content`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

QUOTE_REMOVED = "(removed by its author)"

_PREFIX = re.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")
_HEADER = re.compile(r"\*\*(.+)\*\* wrote:")


def _split(line: str) -> tuple[str, int, str]:
    """A line as (its quote markers, how deep it is quoted, its text)."""
    match = _PREFIX.match(line)
    prefix = match.group(0) if match else ""
    return prefix, prefix.count(">"), line[len(prefix) :].strip()


def _is_blank_within(line: str, depth: int) -> bool:
    """An empty line quoted at least ``depth`` deep (it separates paragraphs of one quote)."""
    _, line_depth, text = _split(line)
    return line_depth >= depth and not text


def first_quoted_name(body: str) -> str | None:
    """Whom the first quote header of ``body`` names (not inside another quote), if any."""
    for line in body.split("\n"):
        _, depth, text = _split(line)
        match = _HEADER.fullmatch(text)
        if match and not depth:
            return match.group(1)
    return None


def quoted_lines(bodies: Iterable[str]) -> set[str]:
    """The lines a quote of one of ``bodies`` would hold, as :func:`_split` reads them back."""
    return {line.strip() for body in bodies for line in (body or "").splitlines() if line.strip()}


def rewrite_quotes(
    body: str, *, names: Collection[str], label: str, removed: Collection[str] | None = None
) -> str:
    """``body`` with each quote header naming one of ``names`` naming ``label`` instead.

    With ``removed`` (the lines the erased member wrote), the quoted text under such a header,
    and any quoted line that is one of theirs (a quote of an anonymous post of theirs, or one
    its quoter trimmed), becomes a single ``(removed by its author)`` line.
    """
    headers = {f"**{name}** wrote:" for name in names}
    lines = body.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        prefix, depth, text = _split(lines[i])
        if text in headers:
            out.append(f"{prefix}**{label}** wrote:")
            i += 1
            if removed is None:
                continue
            j = i
            while j < len(lines) and _split(lines[j])[1] == depth and not _split(lines[j])[2]:
                j += 1  # the blank line between the header and the quoted block
            k = j
            while k < len(lines) and _split(lines[k])[1] > depth:
                k += 1
            if k > j:
                out.extend(lines[i:j])
                out.append(f"{prefix}> {QUOTE_REMOVED}")
                i = k
            continue
        if removed is not None and depth and text in removed:
            placeholder = f"{prefix}{QUOTE_REMOVED}"
            # One placeholder for a run of their lines (blank quoted lines between them too).
            previous = len(out) - 1
            while previous >= 0 and _is_blank_within(out[previous], depth):
                previous -= 1
            if previous >= 0 and out[previous] == placeholder:
                del out[previous + 1 :]
            else:
                out.append(placeholder)
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)
