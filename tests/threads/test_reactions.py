import pytest

from threads.models import Post, PostStatus, Reaction
from threads.services import create_reply

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db


def test_member_reacts_by_form_post_and_the_count_shows(login, thread, other_member):
    opening = thread.posts.get()
    client = login(other_member)
    response = client.post(post_url(opening, "react/"), {"kind": "thanks"})
    assert response.status_code == 302
    assert Reaction.objects.filter(post=opening, user=other_member, kind="thanks").count() == 1
    page = client.get(thread_url(thread)).content.decode()
    assert 'aria-pressed="true"' in page


def test_reacting_again_takes_the_reaction_back(login, thread, other_member):
    opening = thread.posts.get()
    client = login(other_member)
    client.post(post_url(opening, "react/"), {"kind": "relate"})
    client.post(post_url(opening, "react/"), {"kind": "relate"})
    assert not Reaction.objects.exists()


def test_one_of_each_kind_per_member(login, thread, other_member, moderator):
    opening = thread.posts.get()
    for kind in ["thanks", "relate", "insightful"]:
        login(other_member).post(post_url(opening, "react/"), {"kind": kind})
    login(moderator).post(post_url(opening, "react/"), {"kind": "thanks"})
    assert Reaction.objects.filter(post=opening).count() == 4


def test_htmx_reaction_returns_the_fragment(login, thread, other_member):
    opening = thread.posts.get()
    response = login(other_member).post(
        post_url(opening, "react/"), {"kind": "insightful"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="reactions-{opening.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_reacting_to_an_invisible_post_is_404_and_nothing_changes(login, thread, outsider):
    opening = thread.posts.get()
    assert login(outsider).post(post_url(opening, "react/"), {"kind": "thanks"}).status_code == 404
    assert not Reaction.objects.exists()


def test_reacting_to_a_hidden_post_is_404_for_peers(login, thread, other_member, member):
    reply = create_reply(actor=other_member, thread=thread, body="to hide")
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.HIDDEN)
    assert login(member).post(post_url(reply, "react/"), {"kind": "thanks"}).status_code == 404
    assert not Reaction.objects.exists()


def test_unknown_reaction_kind_is_refused(login, thread, other_member):
    opening = thread.posts.get()
    response = login(other_member).post(post_url(opening, "react/"), {"kind": "angry"}, follow=True)
    assert "Choose one of the reactions" in response.content.decode()
    assert not Reaction.objects.exists()


def test_reacting_to_own_post_is_refused(login, thread, member):
    opening = thread.posts.get()
    response = login(member).post(post_url(opening, "react/"), {"kind": "thanks"}, follow=True)
    assert "your own post" in response.content.decode()
    assert not Reaction.objects.exists()


def test_muted_member_cannot_react(login, thread, muted_member):
    opening = thread.posts.get()
    response = login(muted_member).post(
        post_url(opening, "react/"), {"kind": "thanks"}, follow=True
    )
    assert "muted" in response.content.decode()
    assert not Reaction.objects.exists()
