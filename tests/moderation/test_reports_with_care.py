"""Reporting with care: reasons, confidentiality, the outcome told to the reporter, withdrawal."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from community.models import AuditEntry
from community.sanctions import warn_member
from moderation.forms import FlagForm
from moderation.models import Flag, FlagReason
from moderation.services import dismiss_flags, flag_member, flag_post, withdraw_flag
from realtime.services import flag_reason
from tests.conftest import make_member
from threads.models import Notification

from .conftest import act

REPORTER = "Olu Other"  # the other_member fixture's name


def test_racism_is_the_first_reason_offered_and_other_the_last():
    choices = [value for value, _ in FlagForm().fields["reason"].choices]
    assert choices[0] == "racist" and choices[-1] == "other"
    assert FlagReason.RACIST.label == "Racism, discrimination or a microaggression"
    assert choices == ["racist", "personal_attack", "confidentiality", "spam", "other"]


def test_live_flag_reason_takes_the_same_list_and_maps_unknown_text_to_other():
    assert flag_reason("racist")["reason"] == "racist"
    assert flag_reason("Racism, discrimination or a microaggression")["reason"] == "racist"
    unknown = flag_reason("they were rude to me")
    assert unknown == {"reason": "other", "details": "they were rude to me"}


def test_report_confirmation_signposts_support(a_post, other_member, login):
    client = login(other_member)
    response = client.post(
        f"/moderation/flag/post/{a_post.pk}/", {"reason": "racist", "details": "Slur"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("report_sent"))
    assert "Thank you for your report" in html
    assert "Samaritans" in html and "116 123" in html  # the seeded support entries


def test_reporter_is_told_we_hid_it_with_the_moderators_reason(a_post, other_member, moderator):
    flag_post(actor=other_member, post=a_post, reason="racist")
    act(moderator, a_post, "hide", reason="It stereotypes a group of colleagues")
    note = Notification.objects.get(recipient=other_member)
    assert "We hid it: It stereotypes a group of colleagues" in note.text
    assert Flag.objects.get().outcome_reason == "It stereotypes a group of colleagues"


def test_reporter_is_told_we_left_it_up_because(a_post, other_member, moderator, login):
    flag_post(actor=other_member, post=a_post, reason="personal_attack")
    response = login(moderator).post(
        f"/moderation/posts/{a_post.pk}/dismiss/", {"reason": "it criticises an idea, not a person"}
    )
    assert response.status_code == 302
    note = Notification.objects.get(recipient=other_member)
    assert "We left it up, because it criticises an idea, not a person" in note.text
    page = login(other_member).get(reverse("my_reports")).content.decode()
    assert "Because it criticises an idea, not a person" in page


def test_reporter_hears_the_outcome_of_a_sanction_without_its_details(
    space, member, other_member, moderator
):
    flag_member(actor=other_member, member=member, space=space, reason="personal_attack")
    warn_member(actor=moderator, space=space, member=member, reason="Private: repeated pattern")
    note = Notification.objects.get(recipient=other_member)
    assert "We took action" in note.text and "Private" not in note.text


def test_outcome_email_only_when_the_reporter_asked(
    a_post, other_member, moderator, django_capture_on_commit_callbacks
):
    third = make_member(a_post.thread.space, "Tia Third")
    flag_post(actor=other_member, post=a_post, reason="racist")
    Flag.objects.filter(flagger=other_member).update(email_outcome=True)
    flag_post(actor=third, post=a_post, reason="racist")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(moderator, a_post, "hide", reason="A slur")
    assert [m.to for m in mail.outbox] == [[other_member.email]]
    assert "We hid it: A slur" in mail.outbox[0].body


def test_email_choice_is_taken_from_the_report_form(a_post, other_member, login):
    login(other_member).post(
        f"/moderation/flag/post/{a_post.pk}/", {"reason": "spam", "email_outcome": "on"}
    )
    assert Flag.objects.get().email_outcome is True


def test_reported_member_never_learns_who_reported(a_post, member, other_member, moderator, login):
    flag_post(actor=other_member, post=a_post, reason="racist", details="By Olu")
    act(moderator, a_post, "hide", reason="Breaks guideline 2")
    client = login(member)
    notices = " ".join(Notification.objects.filter(recipient=member).values_list("text", flat=True))
    export = client.get(reverse("account_export")).content.decode()
    thread_page = client.get(a_post.thread.get_absolute_url()).content.decode()
    for seen in (notices, export, thread_page):
        assert REPORTER not in seen and "By Olu" not in seen
    assert client.get(reverse("moderation_audit")).status_code == 403
    assert REPORTER not in " ".join(AuditEntry.objects.values_list("reason", flat=True))


def test_moderator_sees_who_reported(a_post, other_member, moderator, login):
    flag_post(actor=other_member, post=a_post, reason="racist")
    assert REPORTER in login(moderator).get(reverse("moderation_queue")).content.decode()


def test_reporter_withdraws_an_open_report(a_post, other_member, login):
    flag = flag_post(actor=other_member, post=a_post, reason="spam")
    client = login(other_member)
    response = client.post(reverse("withdraw_report", args=[flag.pk]), follow=True)
    assert "withdrawn" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.WITHDRAWN
    assert not Flag.objects.open().exists()
    # and can report it again
    flag_post(actor=other_member, post=a_post, reason="racist")


def test_withdrawing_a_decided_report_changes_nothing(a_post, other_member, moderator):
    flag = flag_post(actor=other_member, post=a_post, reason="spam")
    dismiss_flags(actor=moderator, target=a_post)
    assert withdraw_flag(actor=other_member, flag=flag) is False
    flag.refresh_from_db()
    assert flag.status == Flag.Status.DISMISSED


def test_nobody_else_can_withdraw_a_report(a_post, member, other_member, moderator, login):
    flag = flag_post(actor=other_member, post=a_post, reason="spam")
    with pytest.raises(Http404):
        withdraw_flag(actor=moderator, flag=flag)
    assert login(member).post(reverse("withdraw_report", args=[flag.pk])).status_code == 404
    assert login(moderator).get(reverse("withdraw_report", args=[flag.pk])).status_code == 405
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_second_open_report_is_refused_and_points_to_withdrawal(a_post, other_member):
    flag_post(actor=other_member, post=a_post, reason="spam")
    with pytest.raises(ValidationError, match="withdraw"):
        flag_post(actor=other_member, post=a_post, reason="racist")
    assert Flag.objects.count() == 1


def test_my_reports_lists_only_mine_in_constant_queries(
    a_post, other_member, member, login, django_assert_max_num_queries
):
    space = a_post.thread.space
    for n in range(3):
        flag_member(
            actor=other_member, member=make_member(space, f"P{n}"), space=space, reason="spam"
        )
    client = login(other_member)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("my_reports"))
    for n in range(3, 20):
        flag_member(
            actor=other_member, member=make_member(space, f"P{n}"), space=space, reason="spam"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("my_reports")).content.decode()
    assert page.count("Withdraw this report") == 20
    assert login(member).get(reverse("my_reports")).content.decode().count("Withdraw") == 0
