"""The transparency report: per quarter, how many reports (by reason and outcome), appeals (by
outcome) and sanctions (by kind, from the audit log), for every signed-in member.

No names and no content, only counts; a count under 5 is shown as "fewer than 5" so that no one
can be singled out. Three queries, whatever the amount of data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count
from django.db.models.functions import TruncQuarter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from community.models import AuditAction, AuditEntry

from .models import Appeal, Flag, FlagReason

QUARTERS_SHOWN = 4
SMALL = 5
FEWER = "fewer than 5"

REPORT_OUTCOMES = [
    (Flag.Status.UPHELD, "Acted on"),
    (Flag.Status.DISMISSED, "Left up"),
    (Flag.Status.WITHDRAWN, "Withdrawn"),
    (Flag.Status.OPEN, "Waiting"),
]
APPEAL_OUTCOMES = [
    (Appeal.Status.UPHELD, "Decision upheld"),
    (Appeal.Status.OVERTURNED, "Decision overturned"),
    (Appeal.Status.OPEN, "Waiting"),
]
SANCTIONS = [
    (AuditAction.MEMBER_WARN, "Warnings"),
    (AuditAction.MEMBER_MUTE, "Mutes"),
    (AuditAction.MEMBERSHIP_REMOVE, "Removals from a space"),
    (AuditAction.MEMBERSHIP_BAN, "Bans from a space"),
    (AuditAction.MEMBER_SUSPEND, "Suspensions"),
]


def shown(count: int) -> str:
    """A count as the page shows it: small numbers are never shown exactly."""
    return FEWER if count < SMALL else f"{count:,}"


@dataclass
class Quarter:
    start: date
    reports: list[tuple[str, list[str]]] = field(default_factory=list)
    appeals: list[tuple[str, str]] = field(default_factory=list)
    sanctions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        end_month = self.start.month + 2
        end = date(self.start.year, end_month, 1)
        return f"{self.start:%B} to {end:%B %Y}"


def _quarter_starts(today: date) -> list[date]:
    starts = []
    year, month = today.year, (today.month - 1) // 3 * 3 + 1
    for _ in range(QUARTERS_SHOWN):
        starts.append(date(year, month, 1))
        month -= 3
        if month < 1:
            month += 12
            year -= 1
    return starts


def _counts(queryset, *keys: str, since: date) -> dict[tuple, int]:
    """Rows of ``queryset`` created since ``since``, counted by quarter and ``keys``: one query."""
    rows = (
        queryset.filter(created_at__date__gte=since)
        .annotate(quarter=TruncQuarter("created_at"))
        .values("quarter", *keys)
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple, int] = {}
    for row in rows:
        start = row["quarter"]
        start = start.date() if hasattr(start, "date") else start
        key = (start, *(row[k] for k in keys))
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def quarters(today: date | None = None) -> list[Quarter]:
    starts = _quarter_starts(today or timezone.localdate())
    since = starts[-1]
    # Members' reports, not the automatic (watched word) checks.
    report_counts = _counts(Flag.objects.exclude(flagger=None), "reason", "status", since=since)
    appeal_counts = _counts(Appeal.objects.all(), "status", since=since)
    sanction_counts = _counts(
        AuditEntry.objects.filter(action__in=[a for a, _ in SANCTIONS]), "action", since=since
    )
    result = []
    for start in starts:
        quarter = Quarter(start=start)
        for reason, label in FlagReason.choices:
            cells = [shown(report_counts.get((start, reason, s), 0)) for s, _ in REPORT_OUTCOMES]
            quarter.reports.append((label, cells))
        quarter.appeals = [
            (label, shown(appeal_counts.get((start, s), 0))) for s, label in APPEAL_OUTCOMES
        ]
        quarter.sanctions = [
            (label, shown(sanction_counts.get((start, a), 0))) for a, label in SANCTIONS
        ]
        result.append(quarter)
    return result


def report(request: HttpRequest) -> HttpResponse:
    """/moderation/report/: open to every signed-in member (sign-in is required site-wide)."""
    return render(
        request,
        "moderation/report.html",
        {
            "quarters": quarters(),
            "outcomes": [label for _, label in REPORT_OUTCOMES],
            "small": SMALL,
        },
    )
