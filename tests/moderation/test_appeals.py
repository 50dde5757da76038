"""Appeals: once, within 14 days, decided by someone other than the moderator who acted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community import sanctions
from community.models import AuditAction, AuditEntry, Membership
from moderation.appeals import appealable_entries, decide_appeal, submit_appeal
from moderation.models import Appeal
from tests.conftest import make_member
from threads.models import Notification, Post

from .conftest import act


@pytest.fixture
def second_moderator(space):
    return make_member(space, "Sol Second", is_moderator=True)


def _entry(action):
    return AuditEntry.objects.filter(action=action).latest("created_at")


def _hidden(a_post, moderator):
    act(moderator, a_post, "hide", reason="Reads as a personal attack")
    return _entry(AuditAction.POST_HIDE)


def test_author_appeals_a_hide_and_a_second_moderator_overturns_it(
    a_post, member, moderator, second_moderator, login
):
    entry = _hidden(a_post, moderator)
    client = login(member)
    assert entry in appealable_entries(member)
    page = client.get(reverse("my_decisions")).content.decode()
    assert "Appeal this decision" in page and "Maya Moderator" not in page  # nobody named
    response = client.post(
        reverse("appeal_create", args=[entry.pk]), {"statement": "It was about a policy."}
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.space == a_post.thread.space and appeal.status == Appeal.Status.OPEN

    listed = login(second_moderator).get(reverse("moderation_appeals")).content.decode()
    assert member.display_name in listed
    response = login(second_moderator).post(
        reverse("appeal_detail", args=[appeal.pk]),
        {"decision": "overturn", "reason": "It criticises a policy, not a person."},
    )
    assert response.status_code == 302
    a_post.refresh_from_db()
    assert a_post.status == "published"
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OVERTURNED and appeal.decided_by == second_moderator
    overturn = _entry(AuditAction.APPEAL_OVERTURN)
    assert overturn.actor == second_moderator and "It criticises a policy" in overturn.reason
    told = Notification.objects.filter(recipient=member).latest("pk").text
    assert "appeal was successful" in told and "It criticises a policy" in told


def test_upheld_appeal_changes_nothing_but_is_told_and_audited(
    a_post, member, moderator, second_moderator
):
    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="Please")
    decide_appeal(actor=second_moderator, appeal=appeal, overturn=False, reason="It names her.")
    a_post.refresh_from_db()
    assert a_post.status == "hidden"
    assert _entry(AuditAction.APPEAL_UPHOLD).reason.endswith("It names her.")
    assert "kept the decision" in Notification.objects.filter(recipient=member).latest("pk").text


def test_overturning_a_moderators_edit_brings_back_the_original_text(
    a_post, member, moderator, second_moderator
):
    original = a_post.body
    act(moderator, a_post, "edit", body="[removed by a moderator]", reason="Names a colleague")
    appeal = submit_appeal(
        actor=member, entry=_entry(AuditAction.POST_EDIT), statement="No name was in it."
    )
    decide_appeal(actor=second_moderator, appeal=appeal, overturn=True, reason="It named nobody.")
    a_post.refresh_from_db()
    assert a_post.body == original
    # the restoring edit is not itself offered for appeal
    assert not appealable_entries(member).filter(appeal__isnull=True).exists()


def test_overturning_a_mute_and_a_ban_lifts_them(space, member, moderator, second_moderator):
    until = timezone.now() + timedelta(days=2)
    sanctions.mute_member(actor=moderator, space=space, member=member, until=until, reason="Heat")
    appeal = submit_appeal(actor=member, entry=_entry(AuditAction.MEMBER_MUTE), statement="Sorry")
    decide_appeal(actor=second_moderator, appeal=appeal, overturn=True, reason="Fair point.")
    assert not Membership.objects.get(space=space, user=member).is_muted

    sanctions.ban_member(actor=moderator, space=space, member=member, reason="Again")
    appeal = submit_appeal(actor=member, entry=_entry(AuditAction.MEMBERSHIP_BAN), statement="No")
    decide_appeal(actor=second_moderator, appeal=appeal, overturn=True, reason="Too harsh.")
    assert not Membership.objects.filter(
        space=space, user=member, status=Membership.Status.BANNED
    ).exists()


def test_suspension_appeal_is_for_staff_and_overturning_lifts_it(
    space, member, staff, moderator, second_moderator
):
    other_staff = type(staff).objects.create_user(
        "s2@example.org", display_name="Sid", is_staff=True
    )
    sanctions.suspend_member(
        actor=staff, member=member, until=timezone.now() + timedelta(days=3), reason="Leak"
    )
    appeal = submit_appeal(
        actor=member, entry=_entry(AuditAction.MEMBER_SUSPEND), statement="Not me"
    )
    assert appeal.space is None
    with pytest.raises(PermissionDenied):
        decide_appeal(actor=moderator, appeal=appeal, overturn=True, reason="x")
    with pytest.raises(PermissionDenied, match="You made this decision"):
        decide_appeal(actor=staff, appeal=appeal, overturn=True, reason="x")
    decide_appeal(actor=other_staff, appeal=appeal, overturn=True, reason="Wrong account.")
    member.refresh_from_db()
    assert not member.is_suspended


def test_warned_member_can_appeal_a_warning(space, member, moderator, second_moderator):
    sanctions.warn_member(actor=moderator, space=space, member=member, reason="Tone")
    appeal = submit_appeal(actor=member, entry=_entry(AuditAction.MEMBER_WARN), statement="Why")
    assert decide_appeal(actor=second_moderator, appeal=appeal, overturn=True, reason="Unfair")


# Bad input: a clear message, nothing changed -----------------------------------------------


def test_appeal_after_14_days_is_refused(a_post, member, moderator, login):
    entry = _hidden(a_post, moderator)
    # The audit log refuses updates; backdating the entry is the test's only way to age it.
    QuerySet.update(
        AuditEntry.objects.filter(pk=entry.pk), created_at=timezone.now() - timedelta(days=15)
    )
    with pytest.raises(ValidationError, match="14 days"):
        submit_appeal(actor=member, entry=entry, statement="Late")
    assert login(member).get(reverse("appeal_create", args=[entry.pk])).status_code == 404
    assert not Appeal.objects.exists()


def test_second_appeal_is_refused_with_the_statement_kept(a_post, member, moderator, login):
    entry = _hidden(a_post, moderator)
    submit_appeal(actor=member, entry=entry, statement="First")
    response = login(member).post(
        reverse("appeal_create", args=[entry.pk]), {"statement": "Second try"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "already appealed" in html and "Second try" in html
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize("statement", ["", "   ", "x" * 2001])
def test_empty_or_too_long_statement_is_refused(a_post, member, moderator, login, statement):
    entry = _hidden(a_post, moderator)
    response = login(member).post(
        reverse("appeal_create", args=[entry.pk]), {"statement": statement}
    )
    assert response.status_code == 200 and "nhsuk-error-message" in response.content.decode()
    assert not Appeal.objects.exists()


def test_nobody_else_can_appeal_someone_elses_decision(a_post, other_member, moderator, login):
    entry = _hidden(a_post, moderator)
    with pytest.raises(Http404):
        submit_appeal(actor=other_member, entry=entry, statement="On her behalf")
    assert (
        login(other_member)
        .post(reverse("appeal_create", args=[entry.pk]), {"statement": "x"})
        .status_code
        == 404
    )
    assert not Appeal.objects.exists()


def test_moderator_who_acted_cannot_decide_and_is_told(a_post, member, moderator, login):
    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="Please")
    response = login(moderator).post(
        reverse("appeal_detail", args=[appeal.pk]),
        {"decision": "overturn", "reason": "Changed my mind"},
    )
    assert response.status_code == 403
    assert "another moderator" in response.content.decode()
    appeal.refresh_from_db()
    a_post.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN and a_post.status == "hidden"
    assert not AuditEntry.objects.filter(action=AuditAction.APPEAL_OVERTURN).exists()


def test_non_moderators_cannot_see_or_decide_appeals(
    a_post, member, other_member, moderator, other_moderator, login
):
    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="Please")
    assert login(other_member).get(reverse("moderation_appeals")).status_code == 403
    assert (
        login(other_member)
        .post(reverse("appeal_detail", args=[appeal.pk]), {"decision": "overturn", "reason": "x"})
        .status_code
        == 403
    )
    # a moderator of another space: the appeal looks missing
    assert login(other_moderator).get(reverse("appeal_detail", args=[appeal.pk])).status_code == 404
    assert (
        "Please" not in login(other_moderator).get(reverse("moderation_appeals")).content.decode()
    )
    with pytest.raises(PermissionDenied):
        decide_appeal(actor=other_member, appeal=appeal, overturn=True, reason="x")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN


def test_decision_without_a_reason_keeps_the_choice(
    a_post, member, moderator, second_moderator, login
):
    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="Please")
    response = login(second_moderator).post(
        reverse("appeal_detail", args=[appeal.pk]), {"decision": "overturn", "reason": ""}
    )
    assert response.status_code == 200 and "Give a reason" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN


def test_a_decided_appeal_cannot_be_decided_again(
    a_post, member, moderator, second_moderator, staff
):
    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="Please")
    decide_appeal(actor=second_moderator, appeal=appeal, overturn=False, reason="Kept")
    with pytest.raises(ValidationError, match="already been decided"):
        decide_appeal(actor=staff, appeal=appeal, overturn=True, reason="Reverse")
    assert Post.objects.get(pk=a_post.pk).status == "hidden"


def test_appeals_list_runs_constant_queries(
    space, moderator, second_moderator, login, django_assert_max_num_queries
):
    def appeal_from(n):
        m = make_member(space, f"Member {n}")
        sanctions.warn_member(actor=moderator, space=space, member=m, reason="Tone")
        submit_appeal(actor=m, entry=_entry(AuditAction.MEMBER_WARN), statement="Why")

    for n in range(3):
        appeal_from(n)
    client = login(second_moderator)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("moderation_appeals"))
    for n in range(3, 15):
        appeal_from(n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("moderation_appeals")).content.decode()
    assert html.count("appealed by") == 15


def test_member_exports_their_appeal_and_erasure_forgets_the_statement(
    a_post, member, moderator, login
):
    import json

    from community.site.account_data import erase_account

    appeal = submit_appeal(actor=member, entry=_hidden(a_post, moderator), statement="My words")
    export = json.loads(login(member).get(reverse("account_export")).content)
    appeals_exported = next(v for k, v in _walk(export) if k == "appeals")
    assert appeals_exported[0]["statement"] == "My words"
    assert "Maya Moderator" not in json.dumps(appeals_exported)
    erase_account(member)
    appeal.refresh_from_db()
    assert appeal.statement == ""


def _walk(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key, value
            yield from _walk(value)


def test_the_hidden_posts_author_is_told_they_can_appeal(a_post, member, moderator, login):
    _hidden(a_post, moderator)
    told = Notification.objects.filter(recipient=member).latest("pk").text
    assert "Reads as a personal attack. If you think this is wrong, you can appeal" in told
    page = login(member).get(reverse("account_settings")).content.decode()
    assert reverse("my_decisions") in page and reverse("my_reports") in page


def test_a_new_appeal_is_told_to_the_other_moderators_never_to_the_one_who_acted(
    a_post, member, moderator, second_moderator, django_capture_on_commit_callbacks
):
    entry = _hidden(a_post, moderator)
    before = set(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        submit_appeal(actor=member, entry=entry, statement="It was about a policy.")
    told = Notification.objects.exclude(pk__in=before)
    assert {n.recipient_id for n in told} == {second_moderator.pk}
    text = told.get().text
    assert "appeal" in text and member.display_name not in text and "policy" not in text


def test_an_appeal_against_a_suspension_is_told_to_staff_other_than_who_suspended(
    member, staff, moderator, django_capture_on_commit_callbacks
):
    other_staff = type(staff).objects.create_user(
        "s3@example.org", display_name="Sam Staff", is_staff=True
    )
    sanctions.suspend_member(
        actor=staff, member=member, until=timezone.now() + timedelta(days=3), reason="Leak"
    )
    before = set(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        submit_appeal(actor=member, entry=_entry(AuditAction.MEMBER_SUSPEND), statement="Not me")
    told = Notification.objects.exclude(pk__in=before)
    assert {n.recipient_id for n in told} == {other_staff.pk}
