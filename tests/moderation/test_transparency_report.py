"""The transparency report: counts per quarter, small numbers suppressed, no names, no content."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from community import sanctions
from community.models import AuditAction, AuditEntry
from moderation.models import Flag
from moderation.transparency import quarters, shown
from tests.conftest import make_member

from .conftest import make_post


def _report(space, author, reporters, reason="racist", details="Names Priya"):
    post = make_post(
        space.threads.first() or _thread(space, author), author, body="Secret body text"
    )
    for reporter in reporters:
        Flag.objects.create(
            flagger=reporter,
            kind="post",
            target_type_id=_post_type(),
            target_id=post.pk,
            target_user=author,
            space=space,
            reason=reason,
            details=details,
        )
    return post


def _post_type():
    from django.contrib.contenttypes.models import ContentType

    from threads.models import Post

    return ContentType.objects.get_for_model(Post).pk


def _thread(space, author):
    from .conftest import make_thread

    return make_thread(space, author, title="Secret title")


def test_small_numbers_are_never_shown_exactly():
    assert [shown(n) for n in (0, 1, 4)] == ["fewer than 5"] * 3
    assert shown(5) == "5" and shown(1234) == "1,234"


def test_quarters_are_the_current_one_and_the_three_before(db):
    labels = [q.label for q in quarters(date(2026, 2, 10))]
    assert labels == [
        "January to March 2026",
        "October to December 2025",
        "July to September 2025",
        "April to June 2025",
    ]


def test_member_reads_counts_without_names_or_content(
    space, member, other_member, moderator, login
):
    reporters = [make_member(space, f"Reporter {n}") for n in range(6)]
    _report(space, member, reporters)
    for reporter in reporters[:2]:
        sanctions.warn_member(actor=moderator, space=space, member=reporter, reason="Tone")
    html = login(other_member).get(reverse("transparency_report")).content.decode()
    assert "How the forum is moderated" in html
    current = html.split("<section")[1]
    assert '<td class="nhsuk-table__cell">6</td>' in current  # six racism reports waiting
    assert "fewer than 5" in current  # the two warnings
    for secret in ("Reporter 0", member.display_name, "Names Priya", "Secret body", "Secret title"):
        assert secret not in html
    assert moderator.display_name not in html and space.name not in html


def test_counts_fall_in_their_quarter(space, member):
    reporters = [make_member(space, f"R{n}") for n in range(5)]
    _report(space, member, reporters, reason="spam")
    old = timezone.now() - timedelta(days=100)
    QuerySet.update(Flag.objects.all(), created_at=old)
    shown_quarters = quarters()
    assert dict(shown_quarters[0].reports)["Spam"] == ["fewer than 5"] * 4
    then = next(q for q in shown_quarters if q.start <= timezone.localdate(old))
    assert then is not shown_quarters[0]
    assert dict(then.reports)["Spam"] == ["fewer than 5"] * 3 + ["5"]  # five waiting


def test_automatic_flags_are_not_counted_as_members_reports(space, member):
    post = _report(space, member, [])
    for _ in range(6):
        Flag.objects.create(
            flagger=None,
            kind="post",
            target_type_id=_post_type(),
            target_id=post.pk,
            space=space,
            reason="other",
        )
    assert dict(quarters()[0].reports)["Other"] == ["fewer than 5"] * 4


def test_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, db):
    response = client.get(reverse("transparency_report"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_report_runs_the_same_queries_with_more_data(
    space, member, moderator, login, django_assert_max_num_queries
):
    client = login(member)
    _report(space, member, [make_member(space, "One")])
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("transparency_report"))
    reporters = [make_member(space, f"Many {n}") for n in range(30)]
    _report(space, member, reporters, reason="personal_attack")
    for reporter in reporters[:10]:
        sanctions.warn_member(actor=moderator, space=space, member=reporter, reason="Tone")
    assert AuditEntry.objects.filter(action=AuditAction.MEMBER_WARN).count() == 10
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("transparency_report")).content.decode()
    assert ">30<" in html and ">10<" in html
