"""Making a commitment: on its own page, from a thread or a post, and every refusal of bad input
(nothing stored, a clear message, the text still in the form)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import make_member
from threads.commitments import services
from threads.commitments.models import Commitment
from threads.services import create_reply, create_thread

from .conftest import form_data, make_commitment, soon

pytestmark = pytest.mark.django_db


def test_member_makes_a_private_commitment_on_its_own_page(login, member):
    response = login(member).post("/commitments/new/", form_data())
    commitment = Commitment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/commitments/{commitment.pk}/"
    assert commitment.owner == member
    assert commitment.visibility == "private"
    assert commitment.status == "planned"
    assert commitment.source_thread is None and commitment.source_session is None
    assert commitment.text_html == "<p>Meet the staff network chair every month.</p>"


def test_new_commitment_form_defaults_to_private(login, member):
    page = login(member).get("/commitments/new/")
    assert page.status_code == 200
    assert b'value="private" checked' in page.content


def test_commitment_text_is_markdown_rendered_once_and_sanitized(member):
    commitment = make_commitment(
        member, "**Ask** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<strong>Ask</strong>" in commitment.text_html
    assert "<script" not in commitment.text_html
    assert 'href="javascript' not in commitment.text_html


def test_make_a_commitment_from_a_thread_prefills_the_link(login, member, thread):
    client = login(member)
    page = client.get(f"/commitments/new/?thread={thread.pk}")
    assert page.status_code == 200
    assert thread.title.encode() in page.content
    assert f'name="thread" value="{thread.pk}"'.encode() in page.content
    client.post("/commitments/new/", form_data(thread=str(thread.pk)))
    assert Commitment.objects.get().source_thread == thread


def test_make_a_commitment_from_a_post_links_the_post_and_its_thread(
    login, member, other_member, thread
):
    reply = create_reply(actor=other_member, thread=thread, body="We tried buddying.")
    client = login(member)
    assert client.get(f"/commitments/new/?post={reply.pk}").status_code == 200
    client.post("/commitments/new/", form_data(post=str(reply.pk)))
    commitment = Commitment.objects.get()
    assert commitment.source_post == reply
    assert commitment.source_thread == thread


def test_thread_and_post_pages_offer_make_a_commitment(login, member, thread):
    page = login(member).get(thread.get_absolute_url())
    assert f"/commitments/new/?thread={thread.pk}".encode() in page.content
    opening = thread.posts.get()
    assert f"/commitments/new/?post={opening.pk}".encode() in page.content


def test_link_to_a_thread_the_member_cannot_see_is_refused_and_nothing_is_stored(
    login, make_space, member
):
    private = make_space("Elsewhere")
    author = make_member(private, "Priya Private")
    hidden = create_thread(actor=author, space=private, title="Private plans", body="Not yours.")
    client = login(member)
    page = client.get(f"/commitments/new/?thread={hidden.pk}", follow=True)
    assert b"cannot see it" in page.content
    assert b"Private plans" not in page.content
    response = client.post("/commitments/new/", form_data(thread=str(hidden.pk)))
    assert response.status_code == 200
    assert b"cannot see it" in response.content
    assert b"Meet the staff network chair every month." in response.content
    assert not Commitment.objects.exists()


def test_service_refuses_a_source_thread_the_member_cannot_see(make_space, member):
    private = make_space("Elsewhere")
    author = make_member(private)
    hidden = create_thread(actor=author, space=private, title="Private plans", body="Not yours.")
    with pytest.raises(ValidationError, match="cannot see it"):
        make_commitment(member, source_thread=hidden)
    assert not Commitment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": ""}, b"Write what you will do."),
        ({"text": "   "}, b"Write what you will do."),
        ({"text": "x" * 2001}, b"2,000 characters or fewer"),
        ({"why": "y" * 2001}, b"2,000 characters or fewer"),
        ({"due_on": None}, b"Enter the date you will do it by"),
        ({"due_on_day": "31", "due_on_month": "2"}, b"Enter a real date"),
        ({"area": ""}, b"Choose the action area"),
        ({"visibility": "space"}, b"Choose the space to share it with."),
        ({"anonymous": "on"}, b"only with a space"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_the_text_stays(
    login, member, overrides, message
):
    data = form_data(**overrides)
    if "text" not in overrides:
        data["text"] = "My draft stays here."
    response = login(member).post("/commitments/new/", data)
    assert response.status_code == 200
    assert message in response.content
    assert b"There is a problem" in response.content
    if "text" not in overrides:
        assert b"My draft stays here." in response.content
    assert not Commitment.objects.exists()


def test_a_date_in_the_past_is_refused_at_creation(login, member):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = login(member).post("/commitments/new/", form_data(due_on=yesterday))
    assert b"The date must be today or in the future." in response.content
    assert b"Meet the staff network chair every month." in response.content
    assert not Commitment.objects.exists()


def test_today_is_a_valid_date(member):
    assert make_commitment(member, due_on=timezone.localdate()).pk


def test_sharing_with_a_space_the_member_is_not_in_is_refused(login, member, other_space):
    response = login(member).post(
        "/commitments/new/", form_data(visibility="space", space=str(other_space.pk))
    )
    assert b"Choose one of the spaces you are a member of." in response.content
    assert b"Meet the staff network chair every month." in response.content
    assert not Commitment.objects.exists()


def test_service_refuses_sharing_with_a_space_the_member_is_not_in(member, other_space):
    with pytest.raises(PermissionDenied, match="spaces you are a member of"):
        make_commitment(member, visibility="space", space=other_space)
    assert not Commitment.objects.exists()


def test_muted_member_cannot_share_with_the_space_but_can_keep_a_private_one(muted_member, space):
    with pytest.raises(PermissionDenied, match="muted"):
        make_commitment(muted_member, visibility="space", space=space)
    assert make_commitment(muted_member).visibility == "private"


def test_suspended_member_cannot_share_with_everyone(suspended_member):
    with pytest.raises(PermissionDenied, match="suspended"):
        make_commitment(suspended_member, visibility="community")
    assert not Commitment.objects.exists()


def test_blocked_watched_word_refuses_a_shared_commitment_but_not_a_private_one(member, space):
    from moderation.models import WatchedWord

    WatchedWord.objects.create(space=space, word="forbiddenword", action="block")
    with pytest.raises(ValidationError, match="forbiddenword"):
        make_commitment(member, "Say forbiddenword", visibility="space", space=space)
    assert not Commitment.objects.exists()
    assert make_commitment(member, "Say forbiddenword").visibility == "private"


def test_member_shares_with_a_space_anonymously(login, member, space):
    login(member).post(
        "/commitments/new/", form_data(visibility="space", space=str(space.pk), anonymous="on")
    )
    commitment = Commitment.objects.get()
    assert (commitment.visibility, commitment.space, commitment.anonymous) == ("space", space, True)


def test_wres_indicator_is_one_of_the_nine(member):
    assert make_commitment(member, wres_indicator=7).get_wres_indicator_display() == (
        "7. Belief in equal opportunities for career progression or promotion"
    )
    with pytest.raises(ValidationError, match="nine WRES indicators"):
        make_commitment(member, wres_indicator=10)


def test_owner_edits_a_commitment_and_may_keep_a_date_that_has_passed(member):
    commitment = make_commitment(member)
    Commitment.objects.filter(pk=commitment.pk).update(due_on=timezone.localdate() - timedelta(3))
    commitment.refresh_from_db()
    changed = services.edit_commitment(
        actor=member,
        commitment=commitment,
        text="A sharper version.",
        due_on=commitment.due_on,
        area="allyship",
    )
    assert changed
    commitment.refresh_from_db()
    assert commitment.text == "A sharper version."
    with pytest.raises(ValidationError, match="today or in the future"):
        services.edit_commitment(
            actor=member,
            commitment=commitment,
            text="A sharper version.",
            due_on=timezone.localdate() - timedelta(days=9),
            area="allyship",
        )


def test_editing_without_changes_reports_nothing_changed(member):
    commitment = make_commitment(member, due_on=soon(10))
    assert not services.edit_commitment(
        actor=member,
        commitment=commitment,
        text=commitment.text,
        due_on=commitment.due_on,
        area=commitment.area,
    )


def test_edit_page_refuses_someone_elses_commitment(login, other_member, shared_commitment):
    client = login(other_member)
    assert client.get(f"/commitments/{shared_commitment.pk}/edit/").status_code == 403
    response = client.post(f"/commitments/{shared_commitment.pk}/edit/", form_data(text="Mine!"))
    assert response.status_code == 403
    shared_commitment.refresh_from_db()
    assert shared_commitment.text == "Start reverse mentoring for every executive."


def test_sharing_with_a_space_waits_for_its_new_guidelines_and_keeps_the_text(login, member, space):
    from community.models import GuidelinesVersion

    GuidelinesVersion.objects.create(space=space, version=2, body="New", body_html="<p>New</p>")
    response = login(member).post(
        "/commitments/new/", form_data(visibility="space", space=str(space.pk))
    )
    assert b"guidelines" in response.content
    assert f"/spaces/{space.slug}/guidelines/?next=".encode() in response.content
    assert b"Meet the staff network chair every month." in response.content
    assert not Commitment.objects.exists()
    assert make_commitment(member).visibility == "private"


def test_staff_see_shared_commitments_in_the_admin_but_never_a_private_one(
    login, staff, member, space, commitment
):
    shared = make_commitment(member, "Shared in admin.", visibility="space", space=space)
    page = login(staff).get("/admin/commitments/commitment/")
    assert page.status_code == 200
    assert b"Shared in admin." in page.content
    assert commitment.text.encode() not in page.content
    assert login(staff).get(
        f"/admin/commitments/commitment/{commitment.pk}/change/"
    ).status_code in (302, 404)
    assert login(staff).get(f"/admin/commitments/commitment/{shared.pk}/change/").status_code == 200


def test_making_and_changing_a_commitment_take_one_list_of_fields(member):
    """create_commitment, edit_commitment and the form share CommitmentFields: a keyword
    outside it is refused by both, before anything is stored."""
    import inspect

    from threads.commitments.forms import CommitmentForm
    from threads.commitments.models import Commitment
    from threads.commitments.services import (
        COMMITMENT_FIELDS,
        CommitmentFields,
        create_commitment,
        edit_commitment,
    )

    assert tuple(inspect.signature(CommitmentFields).parameters) == COMMITMENT_FIELDS
    assert set(COMMITMENT_FIELDS) <= set(CommitmentForm.base_fields)
    with pytest.raises(TypeError, match="colour"):
        create_commitment(actor=member, text="x", due_on=None, area="allyship", colour="red")
    assert not Commitment.objects.exists()
    with pytest.raises(TypeError, match="colour"):
        edit_commitment(
            actor=member, commitment=None, text="x", due_on=None, area="allyship", colour="red"
        )
