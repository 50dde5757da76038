"""The objects the authorization sweep requests: one private space full of distinctive secrets.

Built once per module (see ``test_authorization_sweep.py``). The secret strings appear in the
thread title, the post bodies, the live session and the author's name, so a leak to a role that
must not see them shows up as a plain substring in the response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from community.models import Invitation, Membership, Space, User
from tests.conftest import make_member, make_user

SECRET_TITLE = "Xylophone secret title"
SECRET_BODY = "Quokka secret body"
SECRET_AUTHOR = "Sigrid Secretauthor"
ANONYMOUS_AUTHOR = "Quinn Unmaskme"
SECRETS = (SECRET_TITLE, SECRET_BODY, SECRET_AUTHOR)

ROLES = (
    "anonymous",
    "outsider",
    "pending_member",
    "member",
    "muted_member",
    "banned_member",
    "suspended_member",
    "other_moderator",
    "moderator",
    "facilitator",
    "staff",
)
# Roles that read the inside of the private space, and those that must see none of it.
READERS = ("member", "muted_member", "suspended_member", "moderator", "facilitator", "staff")
NON_READERS = ("anonymous", "outsider", "pending_member", "banned_member", "other_moderator")
# Roles that may see who wrote an anonymous post.
SEE_ANONYMOUS = ("moderator", "staff")


@dataclass
class World:
    users: dict[str, User | None]
    space: Space
    other_space: Space
    author: User
    anonymous_author: User
    objects: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _space(name: str, slug: str, **extra) -> Space:
    from community.models import GuidelinesVersion
    from community.rendering import render_markdown

    space = Space.objects.create(name=name, slug=slug, summary=f"{name} summary.", **extra)
    body = f"Guidelines of {name}."
    GuidelinesVersion.objects.create(
        space=space, version=1, body=body, body_html=render_markdown(body)
    )
    return space


def build_world() -> World:
    from moderation import services as moderation_services
    from moderation.models import WatchedWord
    from realtime import services as realtime_services
    from realtime.models import LiveSession, LiveSummary, SummaryQuote
    from threads import services as thread_services
    from threads.models import Notification

    now = timezone.now()
    space = _space("Sweep private space", "sweep-private", listed=True, join_policy="request")
    other_space = _space("Sweep other space", "sweep-other", listed=True)
    users: dict[str, User | None] = {
        "anonymous": None,
        "outsider": make_user("Oliver Outsider"),
        "pending_member": make_member(space, "Pat Pending", status=Membership.Status.PENDING),
        "member": make_member(space, "Mel Member"),
        "muted_member": make_member(space, "Mo Muted"),
        "banned_member": make_member(space, "Ben Banned", status=Membership.Status.BANNED),
        "suspended_member": make_member(space, "Sue Suspended"),
        "other_moderator": make_member(other_space, "Omar Othermod", is_moderator=True),
        "moderator": make_member(space, "Maya Moderator", is_moderator=True),
        "facilitator": make_member(space, "Femi Facilitator", is_facilitator=True),
        "staff": make_user("Sam Staff", staff=True),
    }
    Membership.objects.filter(user=users["muted_member"]).update(
        muted_until=now + timedelta(hours=2), mute_reason="Cooling off"
    )
    User.objects.filter(pk=users["suspended_member"].pk).update(
        suspended_until=now + timedelta(days=3), suspension_reason="Breach of confidentiality"
    )
    users["suspended_member"].refresh_from_db()
    author = make_member(space, SECRET_AUTHOR)
    anonymous_author = make_member(space, ANONYMOUS_AUTHOR)

    thread = thread_services.create_thread(
        actor=author, space=space, title=SECRET_TITLE, body=f"{SECRET_BODY} opening post."
    )
    first_post = thread.posts.order_by("pk").first()
    thread_services.edit_post(actor=author, post=first_post, body=f"{SECRET_BODY} (edited).")
    anonymous_post = thread_services.create_reply(
        actor=anonymous_author,
        thread=thread,
        body=f"{SECRET_BODY} said anonymously.",
        anonymous=True,
    )
    anonymous_thread = thread_services.create_thread(
        actor=anonymous_author,
        space=space,
        title="An anonymous thread",
        body="Nobody should learn who wrote this.",
        anonymous=True,
    )
    flag = moderation_services.flag_post(
        actor=users["member"], post=first_post, reason="other", details=f"{SECRET_BODY} flagged"
    )
    word = WatchedWord.objects.create(space=space, word="sweepword", action="flag")
    saved_reply = moderation_services.add_saved_reply(
        actor=users["moderator"], space=space, title="Sweep reply", body="A saved sweep reason."
    )
    moderation_services.add_moderator_note(
        actor=users["moderator"], space=space, member=author, body=f"{SECRET_BODY} note."
    )
    session = LiveSession.objects.create(
        space=space,
        title=f"{SECRET_TITLE} live",
        description=f"{SECRET_BODY} session.",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        status=LiveSession.Status.LIVE,
    )
    session.facilitators.add(users["facilitator"])
    event, _ = realtime_services.send_live_message(
        actor=author, session=session, body=f"{SECRET_BODY} live.", client_msg_id="sweep-1"
    )
    from threads.commitments import services as commitment_services
    from threads.commitments.models import ActionProposal

    commitment = commitment_services.create_commitment(
        actor=anonymous_author,
        text=f"{SECRET_BODY} commitment.",
        due_on=(now + timedelta(days=30)).date(),
        area="allyship",
        visibility="space",
        space=space,
        anonymous=True,
        source_thread=thread,
    )
    case_study = commitment_services.create_case_study(
        actor=author,
        space=space,
        title=f"{SECRET_TITLE} case study",
        summary=f"{SECRET_BODY} case study.",
        sections={
            "context": f"{SECRET_BODY} context.",
            "actions": "What we did.",
            "changed": "What changed.",
            "did_not_work": "What did not work.",
        },
    )
    proposal = ActionProposal.objects.create(
        session=session, text=f"{SECRET_BODY} proposed action.", created_by=users["facilitator"]
    )
    # A draft summary quoting the secret author (drafted as if after the end: the sweep's session
    # is live, so its draft page refuses everyone).
    summary = LiveSummary.objects.create(
        session=session, themes=f"{SECRET_BODY} themes.", themes_html="<p>Themes.</p>"
    )
    quote = SummaryQuote.objects.create(summary=summary, event=event)
    invitation = Invitation.objects.create(space=space, created_by=users["moderator"])
    from community import sanctions
    from community.models import AuditAction, AuditEntry
    from moderation.appeals import submit_appeal

    sanctions.warn_member(
        actor=users["moderator"], space=space, member=users["member"], reason="Sweep warning"
    )
    warning = AuditEntry.objects.filter(action=AuditAction.MEMBER_WARN).latest("pk")
    appeal = submit_appeal(actor=users["member"], entry=warning, statement="Sweep appeal")
    pending_membership = Membership.objects.get(user=users["pending_member"], space=space)
    notification = Notification.objects.filter(
        recipient=author
    ).first() or Notification.objects.create(
        recipient=author, kind="reply", thread=thread, post=anonymous_post
    )
    return World(
        users=users,
        space=space,
        other_space=other_space,
        author=author,
        anonymous_author=anonymous_author,
        objects={
            "thread": thread,
            "first_post": first_post,
            "anonymous_post": anonymous_post,
            "anonymous_thread": anonymous_thread,
            "flag": flag,
            "word": word,
            "saved_reply": saved_reply,
            "session": session,
            "event": event,
            "invitation": invitation,
            "warning": warning,
            "appeal": appeal,
            "pending_membership": pending_membership,
            "notification": notification,
            "commitment": commitment,
            "case_study": case_study,
            "proposal": proposal,
            "summary_quote": quote,
        },
    )
