import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from community.models import AuditEntry
from moderation.models import Flag
from moderation.services import dismiss_flags, flag_member, flag_post, flag_thread
from tests.conftest import make_member
from threads.models import Notification, Post

from .conftest import act, make_post


def test_member_flags_a_post_with_a_reason_and_details(a_post, other_member, space):
    flag = flag_post(
        actor=other_member, post=a_post, reason="personal_attack", details="Name-calling"
    )
    assert flag.status == Flag.Status.OPEN
    assert flag.space == space and flag.kind == "post" and flag.target_user == a_post.author
    assert not AuditEntry.objects.exists()  # flagging is not a moderation action


def test_second_open_flag_on_the_same_item_is_refused(a_post, other_member):
    flag_post(actor=other_member, post=a_post, reason="spam")
    with pytest.raises(ValidationError, match="already flagged"):
        flag_post(actor=other_member, post=a_post, reason="other")
    assert Flag.objects.count() == 1


def test_member_can_flag_again_after_resolution(a_post, other_member, moderator):
    flag_post(actor=other_member, post=a_post, reason="spam")
    dismiss_flags(actor=moderator, target=a_post)
    flag_post(actor=other_member, post=a_post, reason="spam")
    assert Flag.objects.filter(status="open").count() == 1


def test_unknown_reason_is_refused(a_post, other_member):
    with pytest.raises(ValidationError):
        flag_post(actor=other_member, post=a_post, reason="dislike")
    assert not Flag.objects.exists()


def test_flag_on_a_post_in_a_space_the_member_cannot_read_is_404(a_post, other_moderator, outsider):
    for actor in (other_moderator, outsider):
        with pytest.raises(Http404):
            flag_post(actor=actor, post=a_post, reason="spam")
    assert not Flag.objects.exists()


def test_flag_on_a_hidden_post_is_404(a_post, other_member, moderator):
    act(moderator, a_post, "hide", reason="Off topic")
    with pytest.raises(Http404):
        flag_post(actor=other_member, post=Post.objects.get(pk=a_post.pk), reason="spam")


def test_flag_on_a_pending_post_is_404(a_thread, member, other_member):
    pending = make_post(a_thread, member, status="pending")
    with pytest.raises(Http404):
        flag_post(actor=other_member, post=pending, reason="spam")


def test_cannot_flag_own_post(a_post, member):
    with pytest.raises(PermissionDenied):
        flag_post(actor=member, post=a_post, reason="spam")


def test_suspended_member_cannot_flag(a_post, suspended_member):
    with pytest.raises(PermissionDenied, match="suspended"):
        flag_post(actor=suspended_member, post=a_post, reason="spam")
    assert not Flag.objects.exists()


def test_flag_a_member_needs_a_shared_space(space, member, other_member, outsider):
    flag_member(actor=other_member, member=member, space=space, reason="personal_attack")
    with pytest.raises(Http404):
        flag_member(actor=outsider, member=member, space=space, reason="personal_attack")
    with pytest.raises(Http404):
        flag_member(actor=other_member, member=outsider, space=space, reason="spam")
    assert Flag.objects.count() == 1


def test_flag_a_thread(a_thread, other_member):
    assert flag_thread(actor=other_member, thread=a_thread, reason="racist").kind == "thread"


def test_item_is_hidden_when_distinct_members_reach_the_threshold(space, a_post, flaggers):
    space.autohide_threshold = 3
    space.save()
    flag_post(actor=flaggers[0], post=a_post, reason="spam")
    flag_post(actor=flaggers[1], post=a_post, reason="spam")
    a_post.refresh_from_db()
    assert a_post.status == "published"
    flag_post(actor=flaggers[2], post=a_post, reason="racist")
    a_post.refresh_from_db()
    assert a_post.status == "hidden"
    entry = AuditEntry.objects.get()
    assert entry.action == "post.autohide" and entry.actor is None
    assert Notification.objects.filter(recipient=a_post.author, text__contains="hidden").exists()
    # a fourth flag neither hides again nor writes another entry
    a_post.refresh_from_db()
    with pytest.raises(Http404):  # a hidden post can no longer be flagged
        flag_post(actor=flaggers[3], post=a_post, reason="spam")
    assert AuditEntry.objects.count() == 1


def test_repeated_flags_by_one_member_do_not_reach_the_threshold(
    space, a_post, other_member, moderator
):
    space.autohide_threshold = 2
    space.save()
    flag_post(actor=other_member, post=a_post, reason="spam")
    with pytest.raises(ValidationError):
        flag_post(actor=other_member, post=a_post, reason="spam")
    a_post.refresh_from_db()
    assert a_post.status == "published"


def test_threshold_zero_never_hides(space, a_post, flaggers):
    space.autohide_threshold = 0
    space.save()
    for flagger in flaggers:
        flag_post(actor=flagger, post=a_post, reason="spam")
    a_post.refresh_from_db()
    assert a_post.status == "published"


def test_dismissing_restores_an_autohidden_post_and_tells_flaggers(
    space, a_post, flaggers, moderator
):
    space.autohide_threshold = 2
    space.save()
    flag_post(actor=flaggers[0], post=a_post, reason="spam")
    flag_post(actor=flaggers[1], post=a_post, reason="spam")
    assert dismiss_flags(actor=moderator, target=a_post)
    a_post.refresh_from_db()
    assert a_post.status == "published"
    assert not Flag.objects.open().exists()
    for flagger in flaggers[:2]:
        note = Notification.objects.get(recipient=flagger)
        assert "We left it up" in note.text
    assert not dismiss_flags(actor=moderator, target=a_post)


def test_hiding_upholds_flags_and_tells_flagger(a_post, other_member, moderator):
    flag_post(actor=other_member, post=a_post, reason="racist")
    act(moderator, a_post, "hide", reason="Racist language")
    flag = Flag.objects.get()
    assert flag.status == "upheld" and flag.resolved_by == moderator
    assert "We hid it: Racist language" in Notification.objects.get(recipient=other_member).text


def test_muted_member_cannot_flag(a_post, muted_member):
    with pytest.raises(PermissionDenied, match="muted"):
        flag_post(actor=muted_member, post=a_post, reason="spam")


def test_flag_unique_constraint_in_database(a_post, other_member):
    from django.db import IntegrityError, transaction

    flag = flag_post(actor=other_member, post=a_post, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(
            flagger=other_member,
            kind="post",
            target_type=flag.target_type,
            target_id=flag.target_id,
            space=flag.space,
            reason="other",
        )


def test_another_member_of_the_space_can_flag_too(a_post, space):
    first, second = make_member(space), make_member(space)
    flag_post(actor=first, post=a_post, reason="spam")
    flag_post(actor=second, post=a_post, reason="spam")
    assert Flag.objects.count() == 2
