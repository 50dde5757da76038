"""Text that leaves the forum in calendar files and mail headers: cleaned on input, escaped and
folded on output (RFC 5545, sections 3.1 and 3.3.11)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings

from community import mail

# Characters that end a line somewhere: in calendar apps, mail clients or Python's splitlines.
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_NEWLINES = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
FOLD_OCTETS = 75


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _LINE_BREAKS


def single_line(value: str) -> str:
    """``value`` on one line: every control character becomes a space, runs of spaces one."""
    return " ".join("".join(" " if _is_control(c) else c for c in value).split())


def _line_breaks_as_newlines(value: str) -> str:
    value = _NEWLINES.sub("\n", value)
    return "".join(c for c in value if c in "\n\t" or not _is_control(c))


def multi_line(value: str) -> str:
    """``value`` with its line breaks as ``\\n`` and no other control character but tab."""
    return _line_breaks_as_newlines(value).strip()


def text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``,
    other control characters (which TEXT cannot carry) dropped."""
    value = _line_breaks_as_newlines(value).replace("\t", " ")
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets, never inside a character."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > FOLD_OCTETS:
            parts.append(current)
            current, size = " ", 1  # a continuation line starts with one space
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def calendar(lines: list[str]) -> str:
    """The calendar file of ``lines`` (already escaped content lines), folded, CRLF-terminated."""
    return "".join(fold(line) + "\r\n" for line in lines)


def utc(moment) -> str:
    """A UTC date-time value (``Z``), which every calendar app reads whatever its zone."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def session_event(session, *, stamp, note: str = "") -> list[str]:
    """The VEVENT lines of one live session: its title, times and a link, nothing said in it.
    Links and the UID are on ``SITE_URL`` (calendar files live on outside the browser, like
    email), never on the host a request named."""
    url = mail.site_url(session.get_absolute_url())
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    description = f"{session.space.name} live session. Join at {url}"
    if note:
        description = f"{note} {description}"
    return [
        "BEGIN:VEVENT",
        f"UID:live-session-{session.pk}@{host}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(session.starts_at)}",
        f"DTEND:{utc(session.ends_at)}",
        f"SUMMARY:{text(session.title)}",
        f"DESCRIPTION:{text(description)}",
        f"URL:{url}",
        "END:VEVENT",
    ]


def feed(events: list[list[str]], *, name: str = "") -> str:
    """A calendar of events (each from :func:`session_event`), named when ``name`` is given."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Race Equality Peer Forum//Live sessions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{text(name)}")
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return calendar(lines)
