"""Moderator wellbeing: racism reports reviewed this week, stepping out of the rota (no report
notices meanwhile), and reports never routed to the reporter or the reported member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from community.models import User
from moderation.models import Flag, FlagReason, RotaPause
from moderation.selectors import week_start
from moderation.services import flag_post
from tests.conftest import make_member
from threads.models import Notification, Post

from .conftest import make_post, make_thread


def _told_of_reports(user: User) -> int:
    return Notification.objects.filter(recipient=user, text__contains="new report").count()


def _resolved(space, by, *, reason, when, status="upheld"):
    post = make_post(make_thread(space, make_member(space)), make_member(space))
    return Flag.objects.create(
        flagger=make_member(space),
        kind="post",
        target_type=ContentType.objects.get_for_model(Post),
        target_id=post.pk,
        space=space,
        reason=reason,
        status=status,
        resolved_by=by,
        resolved_at=when,
    )


def test_moderator_sees_racism_reports_they_reviewed_this_week(space, moderator, login):
    now = timezone.now()
    second = make_member(space, is_moderator=True)
    _resolved(space, moderator, reason="racist", when=now)
    _resolved(space, moderator, reason=FlagReason.RACIST, when=now, status="dismissed")
    _resolved(space, moderator, reason="racist", when=week_start() - timedelta(minutes=1))
    _resolved(space, moderator, reason="spam", when=now)
    _resolved(space, second, reason="racist", when=now)
    response = login(moderator).get("/moderation/wellbeing/")
    assert response.status_code == 200
    assert response.context["racism_reviewed"] == 2
    assert "You reviewed <strong>2</strong> reports of racism" in response.content.decode()


def test_member_cannot_open_the_wellbeing_page(member, login):
    assert login(member).get("/moderation/wellbeing/").status_code == 403


def test_moderators_are_told_of_a_new_report(space, moderator, member, other_member):
    post = make_post(make_thread(space, member), member)
    flag_post(actor=other_member, post=post, reason="racist")
    assert _told_of_reports(moderator) == 1
    text = Notification.objects.get(recipient=moderator).text
    assert space.name in text and other_member.display_name not in text


def test_moderator_who_stepped_out_is_not_told_until_they_step_back(
    space, moderator, member, other_member, login
):
    client = login(moderator)
    until = timezone.localdate() + timedelta(days=7)
    response = client.post("/moderation/wellbeing/", {"until": until.isoformat()})
    assert response.status_code == 302
    assert RotaPause.objects.get(moderator=moderator).until == until
    assert "stepped out of the rota until" in client.get("/moderation/wellbeing/").content.decode()
    thread = make_thread(space, member)
    flag_post(actor=other_member, post=make_post(thread, member), reason="spam")
    assert _told_of_reports(moderator) == 0

    client.post("/moderation/wellbeing/", {"step_back": "1"})
    assert not RotaPause.objects.exists()
    flag_post(actor=other_member, post=make_post(thread, member), reason="spam")
    assert _told_of_reports(moderator) == 1


def test_a_step_out_that_has_ended_no_longer_holds_notices_back(
    space, moderator, member, other_member
):
    RotaPause.objects.create(moderator=moderator, until=timezone.localdate() - timedelta(days=1))
    flag_post(actor=other_member, post=make_post(make_thread(space, member), member), reason="spam")
    assert _told_of_reports(moderator) == 1


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("", "Choose the last day you are away."),
        ("next tuesday", "Enter a date, such as 2027-01-31."),
        ("2020-01-01", "Choose today or a later date."),
    ],
)
def test_bad_step_out_date_is_refused_with_the_text_kept(moderator, login, until, message):
    response = login(moderator).post("/moderation/wellbeing/", {"until": until})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if until:
        assert f'value="{until}"' in html
    assert not RotaPause.objects.exists()


def test_report_is_not_routed_to_the_reported_moderator_or_the_reporting_one(space, member):
    reported = make_member(space, "Reported Moderator", is_moderator=True)
    reporter = make_member(space, "Reporting Moderator", is_moderator=True)
    bystander = make_member(space, "Other Moderator", is_moderator=True)
    post = make_post(make_thread(space, reported), reported)
    flag_post(actor=reporter, post=post, reason="racist")
    assert _told_of_reports(reported) == 0
    assert _told_of_reports(reporter) == 0
    assert _told_of_reports(bystander) == 1


# --- report notices are gathered: one unread notice per moderator ----------------------------


def test_many_reports_make_one_unread_notice_per_moderator_that_counts_them(
    login, space, moderator, member, other_member
):
    second = make_member(space, "Second Moderator", is_moderator=True)
    thread = make_thread(space, member)
    for reason in ("spam", "confidentiality", "racist"):
        flag_post(actor=other_member, post=make_post(thread, member), reason=reason)
    for person in (moderator, second):
        notice = Notification.objects.get(recipient=person)
        assert notice.read_at is None and notice.gathered == 3
        assert notice.text.startswith("3 new reports to review: the latest (")
        assert space.name in notice.text and other_member.display_name not in notice.text
    # The header counts one notice, not three.
    client = login(moderator)
    assert client.get("/notifications/").status_code == 200
    assert Notification.objects.filter(recipient=moderator, read_at__isnull=True).count() == 1


def test_once_read_the_next_report_starts_a_new_notice(space, moderator, member, other_member):
    from threads.services import mark_notifications_read

    thread = make_thread(space, member)
    flag_post(actor=other_member, post=make_post(thread, member), reason="spam")
    flag_post(actor=other_member, post=make_post(thread, member), reason="spam")
    mark_notifications_read(actor=moderator)
    flag_post(actor=other_member, post=make_post(thread, member), reason="spam")
    read, unread = Notification.objects.filter(recipient=moderator).order_by("pk")
    assert read.read_at is not None and read.gathered == 2
    assert read.text.startswith("2 new reports to review")
    assert unread.read_at is None and unread.gathered == 1
    assert unread.text.startswith("A new report (spam) is waiting in")


def test_reports_in_two_spaces_gather_into_one_notice_naming_the_latest(
    space, other_space, member, other_member
):
    both = make_member(space, "Moderates Both", is_moderator=True)
    from community.models import Membership

    Membership.objects.create(user=both, space=other_space, is_moderator=True)
    there = make_member(other_space, "Member There")
    flag_post(actor=other_member, post=make_post(make_thread(space, member), member), reason="spam")
    flag_post(
        actor=make_member(other_space),
        post=make_post(make_thread(other_space, there), there),
        reason="spam",
    )
    notice = Notification.objects.get(recipient=both)
    assert notice.gathered == 2 and other_space.name in notice.text


def test_a_gathered_notice_is_one_unread_row_per_key_in_the_database(moderator):
    from django.db import IntegrityError, transaction

    Notification.objects.create(recipient=moderator, kind="moderation", gather="new-reports")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=moderator, kind="moderation", gather="new-reports")
    # Ordinary notices are not gathered.
    Notification.objects.create(recipient=moderator, kind="moderation", text="One")
    Notification.objects.create(recipient=moderator, kind="moderation", text="Two")
