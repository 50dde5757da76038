"""A summary the participants agree to: drafted after the end with themes and quotes picked by
seq (shown without names), everyone quoted told in-app and able to withdraw for 48 hours, and
published (by Publish or the scheduled job) only after that, as an unattributed resource thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from community.site.account_data import erase_account
from realtime import summaries
from realtime.models import LiveEvent, LiveSession, LiveSummary, SummaryQuote
from threads.commitments.models import ActionProposal
from threads.models import Notification, Post, Thread, ThreadKind
from threads.services import edit_post

from ..conftest import make_member
from .conftest import make_session

pytestmark = pytest.mark.django_db

SECRET = "I was passed over for the ward manager post twice"


@pytest.fixture
def ended(space, facilitator):
    return make_session(space, facilitator, status=LiveSession.Status.ENDED)


def say(session, author, body, *, kind=LiveEvent.Kind.MESSAGE, removed=False) -> LiveEvent:
    session.last_seq += 1
    session.save(update_fields=["last_seq"])
    return LiveEvent.objects.create(
        session=session,
        seq=session.last_seq,
        kind=kind,
        author=author,
        body=body,
        body_html=f"<p>{body}</p>",
        removed=removed,
    )


@pytest.fixture
def stream(ended, member, other_member):
    return [
        say(ended, member, SECRET),
        say(ended, other_member, "Allyship means acting, not posting"),
        say(ended, member, "A third thing"),
    ]


def edit_url(session) -> str:
    return reverse("live_summary", args=[session.pk])


def quotes_url(session) -> str:
    return reverse("live_summary_quotes", args=[session.pk])


def draft(session, actor, seqs, themes="Being heard; **acting** together") -> LiveSummary:
    return summaries.save_summary_draft(actor=actor, session=session, themes=themes, seqs=seqs)


def age(summary: LiveSummary, hours: float = 49) -> None:
    """Move the draft and its quotes back in time, as if the window had passed."""
    back = timezone.now() - timedelta(hours=hours)
    LiveSummary.objects.filter(pk=summary.pk).update(created_at=back)
    SummaryQuote.objects.filter(summary=summary).update(added_at=back)


# --- drafting ---------------------------------------------------------------------------


def test_facilitator_drafts_and_each_quoted_member_is_told_in_app_without_the_words(
    login, ended, stream, facilitator, member, other_member, mailoutbox
):
    response = login(facilitator).post(
        edit_url(ended),
        {"themes": "Being **heard**", "quote": [str(stream[0].seq), str(stream[1].seq)]},
    )
    assert response.status_code == 302
    summary = LiveSummary.objects.get(session=ended)
    assert "<strong>heard</strong>" in summary.themes_html
    assert [q.event_id for q in summary.quotes.all()] == [stream[0].pk, stream[1].pk]
    for person in (member, other_member):
        notice = Notification.objects.get(recipient=person)
        assert quotes_url(ended) in notice.text and SECRET not in notice.text
    assert not Notification.objects.filter(recipient=facilitator).exists()
    assert not any(SECRET in m.body for m in mailoutbox)


def test_two_quotes_from_one_member_tell_them_once(ended, stream, facilitator, member):
    draft(ended, facilitator, [stream[0].seq, stream[2].seq])
    assert Notification.objects.filter(recipient=member).count() == 1


def test_editing_keeps_old_quotes_times_and_tells_only_the_newly_quoted(
    ended, stream, facilitator, member, other_member
):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary, hours=10)
    draft(ended, facilitator, [stream[0].seq, stream[1].seq], themes="Edited")
    assert Notification.objects.filter(recipient=member).count() == 1
    assert Notification.objects.filter(recipient=other_member).count() == 1
    first, second = SummaryQuote.objects.order_by("event__seq")
    assert timezone.now() - first.added_at > timedelta(hours=9)
    assert timezone.now() - second.added_at < timedelta(minutes=1)
    # The window runs from the latest quote: not yet publishable though the first is 10 h old.
    assert summaries.publishable_from(summary) > timezone.now() + timedelta(hours=47)


def test_leaving_a_quote_out_removes_it(ended, stream, facilitator):
    draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    draft(ended, facilitator, [stream[1].seq])
    assert list(SummaryQuote.objects.values_list("event_id", flat=True)) == [stream[1].pk]


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("missing", b"not a message of this session that can be quoted"),
        ("removed", b"not a message of this session that can be quoted"),
        ("question", b"not a message of this session that can be quoted"),
        ("other_session", b"not a message of this session that can be quoted"),
        ("not_a_number", b"Choose quotes from the session"),
        ("too_many", b"Choose at most 20 quotes"),
        ("empty_themes", b"Write the themes of the session."),
        ("long_themes", b"Keep the themes to 6000 characters or fewer."),
    ],
)
def test_bad_draft_is_refused_with_nothing_stored_and_the_text_kept(
    login, ended, stream, facilitator, member, space, case, error
):
    themes, seqs = "Typed themes kept", [str(stream[0].seq)]
    if case == "missing":
        seqs = ["999"]
    elif case == "removed":
        seqs = [str(say(ended, member, "Removed words", removed=True).seq)]
    elif case == "question":
        seqs = [str(say(ended, member, "A question?", kind=LiveEvent.Kind.QUESTION).seq)]
    elif case == "other_session":
        other = make_session(space, facilitator, status=LiveSession.Status.ENDED)
        for _ in range(5):
            say(other, member, "Elsewhere")
        seqs = ["5"]
    elif case == "not_a_number":
        seqs = ["abc"]
    elif case == "too_many":
        seqs = [str(say(ended, member, f"Message {n}").seq) for n in range(21)]
    elif case == "empty_themes":
        themes = "   "
    elif case == "long_themes":
        themes = "x" * 6001
    response = login(facilitator).post(edit_url(ended), {"themes": themes, "quote": seqs})
    assert response.status_code == 400
    assert error in response.content
    if case not in ("long_themes", "empty_themes"):
        assert b"Typed themes kept" in response.content
    assert not LiveSummary.objects.exists() and not SummaryQuote.objects.exists()
    assert not Notification.objects.exists()


def test_draft_before_the_end_is_refused(login, live_session, facilitator, member):
    say(live_session, member, "Said live")
    response = login(facilitator).post(edit_url(live_session), {"themes": "Early", "quote": ["1"]})
    assert response.status_code == 403
    assert not LiveSummary.objects.exists()


@pytest.fixture
def session_facilitator(space, ended):
    """A member facilitating another session of the space, not this one."""
    user = make_member(space, "Sol Sessionfac")
    make_session(space, user, status=LiveSession.Status.ENDED, title="Another session")
    return user


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("facilitator", 200),
        ("session_facilitator", 403),
        ("member", 403),
        ("outsider", 404),
        ("moderator", 200),
        ("staff", 200),
        (None, 302),
    ],
)
def test_who_may_open_the_draft_page(request, login, ended, stream, role, expected):
    user = request.getfixturevalue(role) if role else None
    client = login(user)
    assert client.get(edit_url(ended)).status_code == expected
    posted = client.post(edit_url(ended), {"themes": "By role", "quote": [str(stream[0].seq)]})
    assert posted.status_code == (302 if expected == 200 else expected)
    assert LiveSummary.objects.exists() == (expected == 200)


def test_draft_page_shows_messages_without_names_in_constant_queries(
    login, ended, stream, facilitator, member, django_assert_max_num_queries
):
    client = login(facilitator)
    draft(ended, facilitator, [stream[0].seq])
    client.get(edit_url(ended))
    with django_assert_max_num_queries(20) as few:
        response = client.get(edit_url(ended))
    assert response.status_code == 200 and SECRET.encode() in response.content
    assert member.display_name.encode() not in response.content
    for n in range(15):
        say(ended, make_member(ended.space, f"Person {n}"), f"More words {n}")
    draft(ended, facilitator, [stream[0].seq, *range(4, 14)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(edit_url(ended)).status_code == 200


# --- withdrawing ------------------------------------------------------------------------


def test_quoted_member_sees_only_their_quotes_and_withdraws_one(
    login, ended, stream, facilitator, member, other_member
):
    draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    client = login(member)
    page = client.get(quotes_url(ended))
    assert SECRET.encode() in page.content
    assert b"Allyship means acting" not in page.content
    mine = SummaryQuote.objects.get(event=stream[0])
    response = client.post(reverse("live_summary_withdraw", args=[ended.pk, mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.withdrawn_at is not None
    summary = LiveSummary.objects.get()
    assert [q.event_id for q in summaries.kept_quotes(summary)] == [stream[1].pk]
    # The facilitator cannot pick the withdrawn words again.
    with pytest.raises(Exception, match="withdrawn by the person who said it"):
        draft(ended, facilitator, [stream[0].seq, stream[1].seq])


def test_member_cannot_withdraw_someone_elses_quote(login, ended, stream, facilitator, member):
    draft(ended, facilitator, [stream[1].seq])
    theirs = SummaryQuote.objects.get()
    response = login(member).post(reverse("live_summary_withdraw", args=[ended.pk, theirs.pk]))
    assert response.status_code == 403 and b"only your own words" in response.content
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_withdrawing_after_48_hours_is_refused(login, ended, stream, facilitator, member):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    mine = SummaryQuote.objects.get()
    response = login(member).post(reverse("live_summary_withdraw", args=[ended.pk, mine.pk]))
    assert response.status_code == 403 and b"48 hours to withdraw" in response.content
    mine.refresh_from_db()
    assert mine.withdrawn_at is None


def test_outsider_gets_404_withdrawing(login, ended, stream, facilitator, outsider):
    draft(ended, facilitator, [stream[0].seq])
    quote = SummaryQuote.objects.get()
    response = login(outsider).post(reverse("live_summary_withdraw", args=[ended.pk, quote.pk]))
    assert response.status_code == 404
    assert login(outsider).get(quotes_url(ended)).status_code == 404


# --- publishing -------------------------------------------------------------------------


def test_publish_before_the_window_is_refused_and_nothing_published(
    login, ended, stream, facilitator
):
    summary = draft(ended, facilitator, [stream[0].seq])
    response = login(facilitator).post(reverse("live_summary_publish", args=[ended.pk]))
    assert response.status_code == 302
    page = login(facilitator).get(edit_url(ended))
    assert b"can be published from" in page.content
    call_command("publish_live_summaries")
    summary.refresh_from_db()
    assert summary.published_at is None and not Thread.objects.exists()


def test_publish_after_the_window_makes_an_unattributed_resource_thread(
    login, ended, stream, facilitator, member, other_member
):
    ActionProposal.objects.create(session=ended, text="Book a reverse mentoring pair")
    summary = draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    SummaryQuote.objects.filter(event=stream[1]).update(withdrawn_at=timezone.now())
    age(summary)
    response = login(facilitator).post(reverse("live_summary_publish", args=[ended.pk]))
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.kind == ThreadKind.RESOURCE and thread.anonymous
    body = Post.objects.get(thread=thread).body
    assert SECRET in body and "Allyship" not in body
    assert "Book a reverse mentoring pair" in body
    assert reverse("live_actions", args=[ended.pk]) in body
    viewer = make_member(ended.space, "Vic Viewer")
    page = login(viewer).get(reverse("thread_detail", args=[ended.space.slug, thread.pk]))
    assert page.status_code == 200
    for person in (facilitator, member, other_member):
        assert person.display_name.encode() not in page.content
    # Publishing again, by hand or by the job, changes nothing.
    login(facilitator).post(reverse("live_summary_publish", args=[ended.pk]))
    call_command("publish_live_summaries")
    assert Thread.objects.count() == 1


@pytest.mark.parametrize("role", ["member", "session_facilitator"])
def test_non_facilitator_cannot_publish(request, login, ended, stream, facilitator, role):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    response = login(request.getfixturevalue(role)).post(
        reverse("live_summary_publish", args=[ended.pk])
    )
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_scheduled_job_publishes_due_summaries_once(ended, stream, facilitator, capsys):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    call_command("publish_live_summaries")
    call_command("publish_live_summaries")
    assert Thread.objects.count() == 1
    summary.refresh_from_db()
    assert summary.published_at is not None and summary.published_thread_id
    assert "Published 1 live session summary." in capsys.readouterr().out


def test_published_summary_can_no_longer_be_edited(login, ended, stream, facilitator):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    summaries.publish_summary(actor=facilitator, summary=summary)
    response = login(facilitator).post(edit_url(ended), {"themes": "Late", "quote": []})
    assert response.status_code == 403 and b"can no longer be changed" in response.content
    summary.refresh_from_db()
    assert summary.themes != "Late"


# --- erasure and removal ----------------------------------------------------------------


def _erase_with_words(user) -> None:
    user.delete_content = True
    user.save(update_fields=["delete_content"])
    erase_account(user)


def test_erased_members_quote_disappears(ended, stream, facilitator, member):
    summary = draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    _erase_with_words(member)
    age(summary)
    assert [q.event_id for q in summaries.kept_quotes(summary)] == [stream[1].pk]
    summaries.publish_summary(actor=None, summary=summary)
    assert SECRET not in Post.objects.get().body


def test_erasure_takes_their_quotes_out_of_a_published_summary_and_its_revisions(
    login, ended, stream, facilitator, member, other_member, moderator
):
    summary = draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    age(summary)
    summaries.publish_summary(actor=None, summary=summary)
    post = Post.objects.get(thread__kind=ThreadKind.RESOURCE)
    assert SECRET in post.body
    # A moderator's later edit keeps a revision holding the quote too.
    edit_post(actor=moderator, post=post, body=post.body + "\n\nTidied.", reason="Typo")
    _erase_with_words(member)
    post.refresh_from_db()
    assert SECRET not in post.body and SECRET not in post.body_html
    assert "Allyship means acting, not posting" in post.body  # others' words stay
    assert not any(SECRET in r.body for r in post.revisions.all())
    assert not SummaryQuote.objects.filter(event__author=member).exists()
    page = login(other_member).get(post.thread.get_absolute_url()).content.decode()
    assert SECRET not in page


def test_a_quote_of_a_message_removed_later_is_dropped(ended, stream, facilitator):
    summary = draft(ended, facilitator, [stream[0].seq])
    LiveEvent.objects.filter(pk=stream[0].pk).update(removed=True)
    assert summaries.kept_quotes(summary) == []


def test_room_of_an_ended_session_links_facilitators_to_the_summary(
    login, ended, facilitator, member
):
    link = f'href="{edit_url(ended)}"'.encode()
    assert link in login(facilitator).get(ended.get_absolute_url()).content
    assert link not in login(member).get(ended.get_absolute_url()).content


def test_muted_member_may_still_withdraw_their_own_words(login, ended, facilitator, muted_member):
    event = say(ended, muted_member, "Words before the mute")
    draft(ended, facilitator, [event.seq])
    quote = SummaryQuote.objects.get()
    response = login(muted_member).post(reverse("live_summary_withdraw", args=[ended.pk, quote.pk]))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.withdrawn_at is not None


def test_withdrawn_words_are_not_offered_again_on_the_draft_page(login, ended, stream, facilitator):
    draft(ended, facilitator, [stream[0].seq])
    SummaryQuote.objects.update(withdrawn_at=timezone.now())
    page = login(facilitator).get(edit_url(ended))
    assert f'id="quote-{stream[0].seq}"'.encode() not in page.content
    assert f'id="quote-{stream[1].seq}"'.encode() in page.content


def test_scheduled_job_leaves_a_draft_whose_writer_may_no_longer_post(
    ended, stream, facilitator, caplog
):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    facilitator.suspended_until = timezone.now() + timedelta(days=3)
    facilitator.save()
    call_command("publish_live_summaries")
    summary.refresh_from_db()
    assert summary.published_at is None and not Thread.objects.exists()
    assert "could not be published" in caplog.text


# --- a quoted member who can no longer see the space ---------------------------------------


def lose_the_space(user, space, how: str) -> None:
    from community.models import Membership

    if how == "banned":
        Membership.objects.filter(user=user, space=space).update(
            status=Membership.Status.BANNED, ban_reason="Personal attacks"
        )
    else:
        Membership.objects.filter(user=user, space=space).delete()


@pytest.mark.parametrize("how", ["banned", "removed"])
def test_a_quoted_member_who_lost_the_space_still_withdraws_their_own_quote(
    login, ended, stream, facilitator, member, space, how
):
    draft(ended, facilitator, [stream[0].seq, stream[1].seq], themes="Private themes of the room")
    lose_the_space(member, space, how)
    client = login(member)
    assert client.get(ended.get_absolute_url()).status_code == 404  # the room stays closed
    page = client.get(quotes_url(ended))
    assert page.status_code == 200
    assert SECRET.encode() in page.content
    # Nothing else of the room: not the others' words, not the themes, no link into it.
    assert b"Allyship means acting" not in page.content
    assert b"Private themes" not in page.content
    assert f'href="{ended.get_absolute_url()}"'.encode() not in page.content
    mine = SummaryQuote.objects.get(event=stream[0])
    response = client.post(reverse("live_summary_withdraw", args=[ended.pk, mine.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.withdrawn_at is not None


def test_a_banned_member_cannot_withdraw_someone_elses_quote(
    login, ended, stream, facilitator, member, space
):
    draft(ended, facilitator, [stream[0].seq, stream[1].seq])
    lose_the_space(member, space, "banned")
    theirs = SummaryQuote.objects.get(event=stream[1])
    response = login(member).post(reverse("live_summary_withdraw", args=[ended.pk, theirs.pk]))
    assert response.status_code == 404
    assert b"Allyship means acting" not in response.content
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_a_banned_member_not_quoted_gets_404(login, ended, stream, facilitator, banned_member):
    draft(ended, facilitator, [stream[0].seq])
    quote = SummaryQuote.objects.get()
    client = login(banned_member)
    assert client.get(quotes_url(ended)).status_code == 404
    response = client.post(reverse("live_summary_withdraw", args=[ended.pk, quote.pk]))
    assert response.status_code == 404
    quote.refresh_from_db()
    assert quote.withdrawn_at is None


def test_a_banned_member_is_held_to_the_48_hours_too(
    login, ended, stream, facilitator, member, space
):
    summary = draft(ended, facilitator, [stream[0].seq])
    age(summary)
    lose_the_space(member, space, "banned")
    mine = SummaryQuote.objects.get()
    response = login(member).post(reverse("live_summary_withdraw", args=[ended.pk, mine.pk]))
    assert response.status_code == 403 and b"48 hours to withdraw" in response.content
    mine.refresh_from_db()
    assert mine.withdrawn_at is None
