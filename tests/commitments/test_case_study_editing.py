"""A case study's sections stay editable: by its author, and by a moderator of its space as a
moderator's edit (a reason, told to the author, audited). Every rule of a post edit holds (it is
the opening post's edit); the sections stay under their headings and searchable; bad input is
refused with the text kept and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import AuditAction, AuditEntry, Membership
from moderation.models import WatchedWord
from threads.models import Post, PostRevision
from threads.selectors import search_posts

from .test_library_and_case_studies import SECTIONS, write

pytestmark = pytest.mark.django_db


def edit_url(case_study) -> str:
    return f"/library/case-studies/{case_study.thread_id}/edit/"


def edit_form(**overrides) -> dict:
    data = {
        "title": "Diverse panels, a year on",
        "body": "How we changed interview panels, and kept it going.",
        **SECTIONS,
        "actions": "Trained panel members and paid them for the time: a kestrelmoor scheme.",
        "wres_indicator": "3",
    }
    data.update(overrides)
    return data


def opening(case_study) -> Post:
    return Post.objects.get(thread_id=case_study.thread_id, is_opening=True)


def test_the_author_changes_the_sections_rendered_under_their_headings_and_searched(
    login, member, other_member, space
):
    case_study = write(member, space)
    page = login(member).get(case_study.thread.get_absolute_url())
    assert edit_url(case_study).encode() in page.content
    form = login(member).get(edit_url(case_study))
    assert form.status_code == 200
    assert b"How we changed interview panels." in form.content
    response = login(member).post(edit_url(case_study), edit_form())
    assert response.status_code == 302
    case_study.refresh_from_db()
    assert "kestrelmoor" in case_study.actions and case_study.wres_indicator == 3
    post = opening(case_study)
    assert "## What we did\n\nTrained panel members and paid them" in post.body
    assert post.body.startswith("How we changed interview panels, and kept it going.")
    assert post.thread.title == "Diverse panels, a year on"
    assert PostRevision.objects.filter(post=post).count() == 1
    shown = login(other_member).get(case_study.thread.get_absolute_url()).content.decode()
    assert "What we did</h" in shown and "kestrelmoor" in shown
    assert post in search_posts(other_member, "kestrelmoor")


def test_a_moderator_edits_it_with_a_reason_told_to_the_author_and_audited(
    login, member, moderator, space
):
    case_study = write(member, space)
    form = login(moderator).get(edit_url(case_study))
    assert form.status_code == 200 and b"Reason for the edit" in form.content
    refused = login(moderator).post(edit_url(case_study), edit_form())
    assert refused.status_code == 400 and b"kestrelmoor" in refused.content
    case_study.refresh_from_db()
    assert "kestrelmoor" not in case_study.actions
    response = login(moderator).post(
        edit_url(case_study), edit_form(reason="Removed a colleague's name.")
    )
    assert response.status_code == 302
    case_study.refresh_from_db()
    assert "kestrelmoor" in case_study.actions
    entry = AuditEntry.objects.get(action=AuditAction.POST_EDIT)
    assert (entry.actor, entry.reason) == (moderator, "Removed a colleague's name.")


def test_another_member_is_refused_and_an_outsider_gets_404(
    login, member, other_member, outsider, other_moderator, space
):
    case_study = write(member, space)
    assert (
        edit_url(case_study).encode()
        not in login(other_member).get(case_study.thread.get_absolute_url()).content
    )
    assert login(other_member).get(edit_url(case_study)).status_code == 403
    assert login(other_member).post(edit_url(case_study), edit_form()).status_code == 403
    for user in (outsider, other_moderator):
        assert login(user).post(edit_url(case_study), edit_form()).status_code == 404
    case_study.refresh_from_db()
    assert "kestrelmoor" not in case_study.actions
    assert PostRevision.objects.count() == 0


def test_a_thread_without_sections_has_no_case_study_editor(login, member, thread):
    assert login(member).get(f"/library/case-studies/{thread.pk}/edit/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("context", "", "the problem and context"),
        ("did_not_work", "   ", "what did not work"),
        ("changed", "x" * 3001, "3,000 characters"),
        ("wres_indicator", "10", "Select a valid choice"),
        ("title", "", "title"),
    ],
)
def test_bad_input_is_refused_with_the_text_kept_and_nothing_changed(
    login, member, space, field, value, message
):
    case_study = write(member, space)
    before = opening(case_study).body
    response = login(member).post(edit_url(case_study), edit_form(**{field: value}))
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower()
    assert b"kestrelmoor" in response.content
    case_study.refresh_from_db()
    assert case_study.actions == SECTIONS["actions"] and case_study.wres_indicator == 2
    assert opening(case_study).body == before


def test_a_blocked_word_refuses_the_edit_and_keeps_the_text(login, member, space):
    case_study = write(member, space)
    WatchedWord.objects.create(space=space, word="kestrelmoor", action="block")
    response = login(member).post(edit_url(case_study), edit_form())
    assert response.status_code == 400 and b"kestrelmoor" in response.content
    case_study.refresh_from_db()
    assert "kestrelmoor" not in case_study.actions


def test_an_edit_needing_approval_waits_readers_keep_the_published_text(
    login, member, other_member, space
):
    case_study = write(member, space)
    WatchedWord.objects.create(space=space, word="kestrelmoor", action="require_approval")
    response = login(member).post(edit_url(case_study), edit_form())
    assert response.status_code == 302
    post = opening(case_study)
    assert post.has_pending_edit and "kestrelmoor" not in post.body
    assert b"kestrelmoor" not in login(other_member).get(post.thread.get_absolute_url()).content
    # The author sees their waiting text when they open the editor again.
    assert b"kestrelmoor" in login(member).get(edit_url(case_study)).content


def test_a_muted_author_cannot_edit(login, member, space):
    case_study = write(member, space)
    Membership.objects.filter(user=member, space=space).update(
        muted_until=timezone.now() + timedelta(hours=2), mute_reason="Cooling off"
    )
    response = login(member).post(edit_url(case_study), edit_form())
    assert response.status_code == 403
    case_study.refresh_from_db()
    assert "kestrelmoor" not in case_study.actions


def test_the_ordinary_post_editor_sends_a_case_studys_opening_post_to_its_own_editor(
    login, member, space
):
    """The opening post of a case study is its sections: editing it anywhere else would leave
    the sections the editor shows behind the text readers see."""
    case_study = write(member, space)
    thread = case_study.thread
    post = opening(case_study)
    client = login(member)
    edit = f"/spaces/{space.slug}/threads/{thread.pk}/posts/{post.pk}/edit/"
    before = post.body
    response = client.post(edit, {"body": "Replaced wholesale", "title": thread.title})
    assert response.status_code == 302
    assert response.url == edit_url(case_study)
    post.refresh_from_db()
    assert post.body == before
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'href="/library/case-studies/{thread.pk}/edit/">Edit' in page


# --- the sections follow the post on every path (threads.signals.post_edited) ------------------


def test_a_moderators_edit_from_the_review_queue_carries_the_sections_with_it(
    login, member, moderator, space
):
    case_study = write(member, space)
    post = opening(case_study)
    body = post.body.replace(SECTIONS["actions"], "Trained panels; [name removed] led it.")
    body = body.replace(f"\n\n## Who to talk to\n\n{SECTIONS['contact']}", "")
    assert body != post.body
    response = login(moderator).post(
        f"/moderation/posts/{post.pk}/edit/", {"body": body, "reason": "Named a colleague"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == body
    case_study.refresh_from_db()
    assert case_study.actions == "Trained panels; [name removed] led it."
    assert "[name removed]" in case_study.actions_html
    assert case_study.contact == "" and case_study.contact_html == ""  # taken out with the post
    # Untouched sections, the measure and the indicator are as they were.
    assert case_study.context == SECTIONS["context"]
    assert case_study.changed == SECTIONS["changed"]
    assert (case_study.measure, case_study.before, case_study.after) == (
        "Relative likelihood",
        "1.9",
        "1.3",
    )
    assert case_study.wres_indicator == 2
    # The author's next edit form starts from what readers now see.
    form = login(member).get(edit_url(case_study)).content.decode()
    assert "[name removed] led it." in form
    assert SECTIONS["contact"] not in form


def test_sections_read_back_from_the_markdown_match_what_was_written():
    from threads.commitments.services import case_study_markdown, sections_from_markdown

    for sections in (
        SECTIONS,
        {**SECTIONS, "measure": "", "before": "", "after": "0.8"},
        {**SECTIONS, "measure": "", "before": "", "after": "", "contact": ""},
        {**SECTIONS, "changed": "Two paragraphs.\n\nThe second one."},
    ):
        assert sections_from_markdown(case_study_markdown("Summary.", sections)) == sections


def test_a_declined_case_study_edit_leaves_the_sections_as_published(
    login, member, moderator, space
):
    case_study = write(member, space)
    WatchedWord.objects.create(space=space, word="kestrelmoor", action="require_approval")
    assert login(member).post(edit_url(case_study), edit_form()).status_code == 302
    case_study.refresh_from_db()
    # Waiting: readers' sections stay; the author's waiting sections are kept apart.
    assert "kestrelmoor" not in case_study.actions and case_study.wres_indicator == 2
    assert "kestrelmoor" in case_study.pending_sections["actions"]
    post = opening(case_study)
    response = login(moderator).post(
        f"/moderation/posts/{post.pk}/decline_edit/", {"reason": "Names a scheme's client"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.has_pending_edit
    case_study.refresh_from_db()
    assert case_study.actions == SECTIONS["actions"] and case_study.wres_indicator == 2
    assert case_study.pending_sections is None
    # Neither the author's next form nor their export has the declined sections.
    assert b"kestrelmoor" not in login(member).get(edit_url(case_study)).content
    export = login(member).get("/account/export/").content
    assert b"kestrelmoor" not in export


def test_an_approved_case_study_edit_brings_its_sections(login, member, moderator, space):
    case_study = write(member, space)
    WatchedWord.objects.create(space=space, word="kestrelmoor", action="require_approval")
    login(member).post(edit_url(case_study), edit_form(measure="", before="", after=""))
    post = opening(case_study)
    response = login(moderator).post(f"/moderation/posts/{post.pk}/approve/", {"reason": ""})
    assert response.status_code == 302
    case_study.refresh_from_db()
    assert "kestrelmoor" in case_study.actions and "kestrelmoor" in case_study.actions_html
    assert (case_study.measure, case_study.before, case_study.after) == ("", "", "")
    assert case_study.wres_indicator == 3 and case_study.pending_sections is None


def test_withdrawing_a_waiting_edit_drops_its_sections(login, member, space):
    case_study = write(member, space)
    WatchedWord.objects.create(space=space, word="kestrelmoor", action="require_approval")
    client = login(member)
    client.post(edit_url(case_study), edit_form())
    back = edit_form(
        title="Diverse panels",
        body="How we changed interview panels.",
        actions=SECTIONS["actions"],
        wres_indicator="2",
    )
    assert client.post(edit_url(case_study), back).status_code == 302
    assert not opening(case_study).has_pending_edit
    case_study.refresh_from_db()
    assert case_study.pending_sections is None and case_study.actions == SECTIONS["actions"]
