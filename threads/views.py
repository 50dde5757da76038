"""Thin views for threads, posts, reactions, following, notifications and search."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from community import policy as community_policy
from community.http import (
    form_errors,
    guidelines_url,
    is_htmx,
    safe_next,
    space_context,
    space_or_404,
)
from community.models import EmailFrequency, Space
from community.policy import GuidelinesRequired

from . import (
    bookmarks,
    cards,
    content_notes,
    drafts,
    email_choices,
    mentions,
    policy,
    selectors,
    services,
)
from .forms import DeletePostForm, EditPostForm, ReactionForm, ReplyForm, SearchForm, ThreadForm
from .models import Post, Thread, ThreadKind

DRAFT_KEY = "threads-draft:{}"


# Helpers --------------------------------------------------------------------------------------


def _ask_guidelines(request: HttpRequest, refusal: GuidelinesRequired) -> HttpResponse:
    """A service found guidelines to accept first: send the member to read them, keeping a
    POSTed draft, which the form on this path is refilled with when they come back."""
    if request.method == "POST":
        draft = {
            key: request.POST.get(key, "") for key in request.POST if key != "csrfmiddlewaretoken"
        }
        request.session[DRAFT_KEY.format(request.path)] = draft
    messages.info(
        request, "Please read and accept the guidelines before you post. Your draft is waiting."
    )
    target = guidelines_url(refusal.version, request.get_full_path())
    if is_htmx(request):
        # A redirect would be followed inside the XHR and its page swapped into the fragment:
        # ask htmx to send the whole browser there instead.
        response = HttpResponse(status=200)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _guidelines_before_writing(request: HttpRequest, space: Space) -> HttpResponse | None:
    """Opening a form to write in: ask for pending guidelines before the member types (the
    service that stores the text asks again, and is the authority)."""
    try:
        community_policy.check_guidelines_accepted(request.user, space)
    except GuidelinesRequired as refusal:
        return _ask_guidelines(request, refusal)
    return None


# Refusals: the reason, and the member's text kept (SPEC.md principle 4) ----------------------

KEPT_FIELDS = (("title", "Your title"), ("body", "Your text"))
NOTICES_TARGET = "#thread-notices"


def _kept_text(request: HttpRequest) -> list[dict]:
    """What the member typed, to hand back when nothing could be stored."""
    kept = []
    for name, label in KEPT_FIELDS:
        value = request.POST.get(name, "")
        if value.strip():
            kept.append({"name": name, "label": label, "value": value})
    return kept


def _form_reasons(form) -> list[str]:
    reasons = [str(error) for error in form.non_field_errors()]
    for field in form:
        reasons.extend(str(error) for error in field.errors)
    return reasons


def _refusal_fragment(request: HttpRequest, reasons: list[str]) -> HttpResponse:
    """An HTMX request refused: a fragment with the reasons and the text (200, so htmx swaps it).
    Swapped into the element the request targeted (its id kept, for an outerHTML swap), or,
    with no target, into the thread page's notices."""
    target = request.headers.get("HX-Target", "")
    response = render(
        request,
        "threads/_refusal.html",
        {"reasons": reasons, "kept": _kept_text(request), "wrapper_id": target},
    )
    if not target:
        response["HX-Retarget"] = NOTICES_TARGET
        response["HX-Reswap"] = "innerHTML"
    return response


def _form_refused(request: HttpRequest, form, page) -> HttpResponse:
    """A form the service refused: ``page()`` re-renders it with the text and the reasons (in
    the NHS.UK error summary); over HTMX, the fragment with both."""
    if is_htmx(request):
        return _refusal_fragment(request, _form_reasons(form))
    return page()


def _explains_lost_access(view):
    """A write (POST) to a thread, post or space the member can no longer see answers with why
    (their ban, or a sentence that tells nothing) and their text to keep, with the 404 status
    a missing page has, instead of a bare 404 that drops what they wrote. Nothing of the thread
    is shown. The view raised Http404 before any write (services refuse inside a transaction)."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, slug, *args, **kwargs)
        except Http404:
            if request.method != "POST" or not request.user.is_authenticated:
                raise
            reason = policy.lost_access_reason(request.user, slug)
            if is_htmx(request):
                return _refusal_fragment(request, [reason])
            return render(
                request,
                "threads/refused.html",
                {"reasons": [reason], "kept": _kept_text(request)},
                status=404,
            )

    return wrapper


def _saved_draft(request: HttpRequest) -> dict | None:
    return request.session.pop(DRAFT_KEY.format(request.path), None)


def _server_draft(user, space: Space, thread: Thread | None = None) -> dict | None:
    """The member's draft kept on the server (threads.drafts), as a form's initial data."""
    draft = drafts.draft_for(user, space, thread)
    if draft is None:
        return None
    initial = {"body": draft.body}
    if thread is None:
        initial["title"] = draft.title
    else:
        initial["anonymous"] = _default_anonymous(user, thread)
    return initial


def _with_mentions(form, thread: Thread):
    """Point the reply box at the thread's mention suggestions (static/threads/mentions.js)."""
    url = reverse("thread_mentions", args=[thread.space.slug, thread.pk])
    form.fields["body"].widget.attrs["data-mentions-url"] = url
    return form


def _say_unreachable_mentions(request: HttpRequest, post: Post | None) -> None:
    """Tell the author (only them) that a mention notified nobody. It names no one: the same
    words for a name nobody has and for someone who cannot see the thread."""
    if post is not None and mentions.missed_someone(post):
        messages.warning(
            request,
            "Not everyone you mentioned was notified: only people who can see this thread are "
            "told of a mention. Check the spelling of the name.",
        )


def _email_context(request: HttpRequest, space: Space, thread: Thread | None) -> dict:
    if thread is None:
        url = reverse("space_email", args=[space.slug])
    else:
        url = reverse("thread_email", args=[space.slug, thread.pk])
    return {
        "email_url": url,
        "email_choice": email_choices.choice_for(request.user, space, thread),
        "email_choices": EmailFrequency.choices,
        "email_usual": EmailFrequency(request.user.email_frequency).label,
        "email_scope": "space" if thread is None else "thread",
        "email_id": "email-space" if thread is None else "email-thread",
    }


def _thread_crumbs(space: Space) -> list[tuple[str, str]]:
    return [("Spaces", reverse("space_list")), (space.name, space.get_absolute_url())]


# A space's page: its header and its thread list ---------------------------------------------


def space_detail(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    context = space_context(request, space)
    context.update(space_threads_context(request, space, full=context["can_read"]))
    return render(request, "community/space_detail.html", context)


def space_threads_context(request: HttpRequest, space: Space, full: bool) -> dict:
    """The thread list for a space page. ``full`` is False for a non-member looking at a listed
    space: only threads shared with the whole community are shown."""
    kind = request.GET.get("kind", "")
    if kind not in ThreadKind.values:
        kind = ""
    sort = request.GET.get("sort", "")
    if sort not in selectors.ThreadSort.values:
        sort = ""
    unanswered = request.GET.get("show") == "unanswered"
    page = selectors.space_threads_page(
        request.user,
        space,
        full=full,
        kind=kind,
        sort=sort or selectors.ThreadSort.ACTIVITY,
        unanswered=unanswered,
        page=request.GET.get("page"),
    )
    filters = {
        key: value
        for key, value in (("kind", kind), ("sort", sort), ("show", "unanswered" * unanswered))
        if value
    }
    return {
        "threads_page": page,
        "page_obj": page,
        "query_prefix": urlencode(filters),
        "thread_sort": sort or selectors.ThreadSort.ACTIVITY,
        "thread_sorts": selectors.ThreadSort.choices,
        "thread_unanswered": unanswered,
        "thread_kind": kind,
        "thread_kinds": ThreadKind.choices,
        "threads_full": full,
        "can_start_thread": full and policy.can_start_thread(request.user, space),
        "following_space": full and selectors.is_following_space(request.user, space),
        **(_email_context(request, space, None) if full else {}),
    }


# Threads --------------------------------------------------------------------------------------


@_explains_lost_access
def thread_create(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    try:
        policy.check_start_thread(request.user, space)
    except PermissionDenied as exc:
        if request.method == "POST":
            form = ThreadForm(request.POST)
            form.is_valid()
            form.add_error(None, str(exc))
            return _form_refused(
                request, form, lambda: _thread_form_page(request, space, form, status=403)
            )
        messages.error(request, str(exc))
        return redirect(space)
    if request.method == "GET":
        pending = _guidelines_before_writing(request, space)
        if pending is not None:
            return pending
    draft = _saved_draft(request) if request.method == "GET" else None
    if draft is None and request.method == "GET":
        draft = _server_draft(request.user, space)
    form = ThreadForm(request.POST if request.method == "POST" else None, initial=draft or {})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.create_thread(
                actor=request.user,
                space=space,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                visibility=data["visibility"],
                content_note=data["content_note"],
                anonymous=data["anonymous"],
            )
        except GuidelinesRequired as refusal:
            return _ask_guidelines(request, refusal)
        except ValidationError as exc:
            form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            drafts.discard_draft(actor=request.user, space=space)
            _say_unreachable_mentions(request, thread.posts.filter(is_opening=True).first())
            if thread.is_pending:
                messages.success(
                    request,
                    "Thank you. Your thread has been saved and will appear once a moderator "
                    "approves it.",
                )
            else:
                messages.success(request, "Your thread has been posted.")
            return redirect(thread)
    if request.method == "POST":
        return _form_refused(request, form, lambda: _thread_form_page(request, space, form))
    return _thread_form_page(request, space, form)


def _thread_form_page(request, space: Space, form, status: int = 200) -> HttpResponse:
    form.fields["body"].widget.attrs["data-mentions-url"] = reverse(
        "space_mentions", args=[space.slug]
    )
    return render(
        request,
        "threads/thread_form.html",
        {
            "space": space,
            "form": form,
            "crumbs": _thread_crumbs(space),
            "draft_url": reverse("thread_create_draft", args=[space.slug]),
        },
        status=status,
    )


def thread_detail(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id, page_state=True)
    space = thread.space
    user = request.user
    page = selectors.thread_posts_page(user, thread, request.GET.get("page"))
    posts = page.object_list
    if posts:
        services.mark_thread_read(actor=user, thread=thread, up_to=max(p.created_at for p in posts))
    can_moderate = policy.can_moderate(user, space)
    participant = policy.can_participate_in(user, space)
    bookmarked = bookmarks.bookmarked_post_ids(user, posts)
    for post in posts:
        post.can_edit = policy.can_edit_post(user, post)
        post.can_delete = policy.can_delete_post(user, post)
        post.can_react = participant and post.is_published and post.author_id != user.pk
        post.can_bookmark = post.is_published
        post.is_bookmarked = post.pk in bookmarked
    draft = _saved_draft(request) or _server_draft(user, space, thread)
    reply_refusal = policy.reply_refusal(user, thread)
    can_reply = not reply_refusal and policy.can_reply(user, thread)
    can_flag = policy.can_flag(user, space)
    cards.attach_cards(
        request,
        posts,
        thread=thread,
        can_moderate=can_moderate,
        can_reply=can_reply,
        can_flag=can_flag,
    )
    return render(
        request,
        "threads/thread_detail.html",
        {
            "space": space,
            "thread": thread,
            "page_obj": page,
            "posts": posts,
            "can_moderate": can_moderate,
            "can_reply": can_reply,
            "reply_refusal": reply_refusal,
            # A mute or a suspension: said once at the top, with its end, not left to guess.
            "standing_refusal": policy.standing_refusal(user, space),
            "can_flag": can_flag,
            "is_member": community_policy.can_read_space(user, space),
            "following": selectors.is_following_thread(user, thread),
            "thread_bookmarked": bookmarks.is_thread_bookmarked(user, thread),
            "draft_url": reverse("thread_draft", args=[space.slug, thread.pk]),
            **_email_context(request, space, thread),
            "reply_form": _with_mentions(
                ReplyForm(initial=draft or {"anonymous": _default_anonymous(user, thread)}),
                thread,
            ),
            "crumbs": _thread_crumbs(space),
        },
    )


def _default_anonymous(user, thread: Thread) -> bool:
    """The author of an anonymous thread replies anonymously unless they choose otherwise."""
    return thread.anonymous and thread.author_id == user.pk


@_explains_lost_access
def thread_reply(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    """GET: the reply page (with a quote when ``?quote=ID``). POST: store the reply."""
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    space = thread.space
    try:
        policy.check_reply(request.user, thread)
    except PermissionDenied as exc:
        if request.method == "POST":
            form = ReplyForm(request.POST)
            form.is_valid()
            form.add_error(None, str(exc))
            return _form_refused(
                request, form, lambda: _reply_page(request, thread, form, None, status=403)
            )
        messages.error(request, str(exc))
        return redirect(thread)
    if request.method == "POST":
        form = ReplyForm(request.POST)
        quoted = None
        if form.is_valid():
            quote_id = form.cleaned_data.get("quote")
            try:
                quoted = (
                    selectors.post_in_thread(request.user, thread, quote_id) if quote_id else None
                )
            except Http404:
                return _quote_gone(request, thread)
            try:
                post = services.create_reply(
                    actor=request.user,
                    thread=thread,
                    body=form.cleaned_data["body"],
                    quote=quoted,
                    anonymous=form.cleaned_data["anonymous"],
                )
            except GuidelinesRequired as refusal:
                return _ask_guidelines(request, refusal)
            except ValidationError as exc:
                form_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                drafts.discard_draft(actor=request.user, space=space, thread=thread)
                _say_unreachable_mentions(request, post)
                if post.is_published:
                    messages.success(request, "Your reply has been posted.")
                else:
                    messages.success(
                        request,
                        "Thank you. Your reply has been saved and will appear once a moderator "
                        "approves it.",
                    )
                return redirect(post.get_absolute_url())
        return _form_refused(request, form, lambda: _reply_page(request, thread, form, quoted))
    pending = _guidelines_before_writing(request, space)
    if pending is not None:
        return pending
    draft = _saved_draft(request)
    quote_id = request.GET.get("quote")
    if draft is None and not quote_id:
        draft = _server_draft(request.user, space, thread)
    quoted, text = (
        services.quote_for_reply(
            actor=request.user, thread=thread, post_id=int(quote_id) if quote_id.isdigit() else None
        )
        if quote_id
        else (None, "")
    )
    initial = draft or {
        "body": text,
        "quote": quoted.pk if quoted else None,
        "anonymous": _default_anonymous(request.user, thread),
    }
    return _reply_page(request, thread, ReplyForm(initial=initial), quoted)


def _quote_gone(request: HttpRequest, thread: Thread) -> HttpResponse:
    """The post being quoted was removed while the member wrote: their reply comes back, without
    the quote, to post as it is (404, as the quoted post now is)."""
    data = request.POST.copy()
    data["quote"] = ""
    form = ReplyForm(data)
    form.is_valid()
    form.add_error(
        None,
        "The post you are quoting is no longer available. Your reply is kept below, without "
        "the quote: post it as it is, or change it first.",
    )
    return _form_refused(
        request, form, lambda: _reply_page(request, thread, form, None, status=404)
    )


def _reply_page(request, thread: Thread, form, quoted: Post | None, status: int = 200):
    return render(
        request,
        "threads/reply_form.html",
        {
            "space": thread.space,
            "thread": thread,
            "form": _with_mentions(form, thread),
            "quoted": quoted,
            "quote_by_reference": quoted is not None and bool(content_notes.note_of(quoted)),
            "draft_url": reverse("thread_draft", args=[thread.space.slug, thread.pk]),
            "can_moderate": policy.can_moderate(request.user, thread.space),
            "crumbs": [*_thread_crumbs(thread.space), (thread.title, thread.get_absolute_url())],
        },
        status=status,
    )


def thread_unread(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    """Jump to the first post the member has not read yet (or the last page)."""
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.first_unread_post(request.user, thread)
    if post is None:
        post = selectors.thread_posts(request.user, thread).last()
        if post is None:
            return redirect(thread)
    return _redirect_to_post(request, thread, post)


def _redirect_to_post(request: HttpRequest, thread: Thread, post: Post) -> HttpResponse:
    number = selectors.post_page_number(request.user, thread, post)
    query = f"?page={number}" if number > 1 else ""
    return redirect(f"{thread.get_absolute_url()}{query}#post-{post.pk}")


def post_jump(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    return _redirect_to_post(request, thread, post)


@require_POST
@_explains_lost_access
def thread_follow(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    if request.POST.get("action") == "unfollow":
        services.unfollow_thread(actor=request.user, thread=thread)
        messages.success(request, "You will no longer be notified about this thread.")
    else:
        services.follow_thread(actor=request.user, thread=thread)
        messages.success(request, "You will be notified of new replies to this thread.")
    return redirect(thread)


@require_POST
def space_follow(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    if request.POST.get("action") == "unfollow":
        services.unfollow_space(actor=request.user, space=space)
        messages.success(request, f"You will no longer be notified of new threads in {space.name}.")
    else:
        services.follow_space(actor=request.user, space=space)
        messages.success(request, f"You will be notified of new threads in {space.name}.")
    return redirect(space)


@require_POST
def space_mark_read(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    count = services.mark_space_read(actor=request.user, space=space)
    messages.success(
        request,
        f"All threads in {space.name} are marked as read."
        if count
        else f"You had no unread threads in {space.name}.",
    )
    return redirect(space)


@require_POST
def thread_bookmark(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    return _bookmark_toggled(request, thread, None)


@require_POST
def post_bookmark(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    """A post the member cannot see (hidden, deleted, another space's) is a 404."""
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    if not post.is_published:
        raise Http404("No such post.")
    return _bookmark_toggled(request, thread, post)


def _bookmark_toggled(request: HttpRequest, thread: Thread, post: Post | None) -> HttpResponse:
    now = bookmarks.toggle_bookmark(actor=request.user, thread=thread, post=post)
    if is_htmx(request):
        return render(
            request,
            "threads/_bookmark.html",
            {
                "space": thread.space,
                "thread": thread,
                "post": post,
                "bookmarked": now,
                # The page the fragment sits in, for the no-JavaScript fallback's return.
                "next_path": safe_next(request, thread.get_absolute_url()).split("#")[0],
            },
        )
    what = "post" if post else "thread"
    messages.success(
        request, f"The {what} is in your bookmarks." if now else f"Bookmark of the {what} removed."
    )
    fallback = post.get_absolute_url() if post else thread.get_absolute_url()
    return redirect(safe_next(request, fallback))


def bookmark_list(request: HttpRequest) -> HttpResponse:
    page = bookmarks.bookmarks_page(request.user, request.GET.get("page"))
    moderated = set(Space.objects.moderated_by(request.user).values_list("pk", flat=True))
    for bookmark in page.object_list:
        bookmark.show_real_author = bookmark.thread.space_id in moderated
    return render(request, "threads/bookmarks.html", {"page_obj": page})


def _only_draft_errors(form, exc: ValidationError) -> None:
    """A draft need not be postable yet (no title is fine): show only why it was not saved."""
    form.is_valid()
    for name in list(form.errors):
        del form.errors[name]
    form_errors(form, exc)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _draft_saved(request: HttpRequest, space: Space, thread: Thread | None, back: str, page):
    """Save the member's draft. The autosave script gets JSON (a refusal with its reason: the
    text stays in the browser); the no-JavaScript "Save draft" button comes back to the form,
    or, refused, sees the form again with their text and the reason."""
    title, body = request.POST.get("title", ""), request.POST.get("body", "")
    try:
        draft = drafts.save_draft(
            actor=request.user, space=space, thread=thread, title=title, body=body
        )
    except ValidationError as exc:
        reasons = [message for messages_ in exc.message_dict.values() for message in messages_]
        if _wants_json(request):
            return JsonResponse({"saved": False, "error": " ".join(reasons)}, status=400)
        return page(exc)
    if _wants_json(request):
        return JsonResponse(
            {
                "saved": draft is not None,
                "saved_at": draft.updated_at.isoformat() if draft else None,
            }
        )
    messages.success(request, "Your draft is saved. It will be here when you come back.")
    return redirect(back)


@require_POST
@_explains_lost_access
def thread_draft(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)

    def page(exc: ValidationError) -> HttpResponse:
        form = ReplyForm(request.POST)
        _only_draft_errors(form, exc)
        return _reply_page(request, thread, form, None, status=400)

    return _draft_saved(request, thread.space, thread, f"{thread.get_absolute_url()}#reply", page)


@require_POST
@_explains_lost_access
def thread_create_draft(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)

    def page(exc: ValidationError) -> HttpResponse:
        form = ThreadForm(request.POST)
        _only_draft_errors(form, exc)
        return _thread_form_page(request, space, form, status=400)

    return _draft_saved(request, space, None, reverse("thread_create", args=[slug]), page)


def space_mentions(request: HttpRequest, slug: str) -> JsonResponse:
    """Names to suggest in a new thread's post: members who can read the space."""
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    found = mentions.space_suggestions(request.user, space, request.GET.get("q", ""))
    return JsonResponse({"members": found})


def thread_mentions(request: HttpRequest, slug: str, thread_id: int) -> JsonResponse:
    """Names to suggest after "@": only members who can see the thread."""
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    found = mentions.suggestions(request.user, thread, request.GET.get("q", ""))
    return JsonResponse({"members": found})


def _email_chosen(request, space: Space, thread: Thread | None, back: str) -> HttpResponse:
    frequency = request.POST.get("frequency", "")
    try:
        email_choices.choose_email(
            actor=request.user, space=space, thread=thread, frequency=frequency
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    where = f"“{thread.title}”" if thread else space.name
    if frequency:
        label = EmailFrequency(frequency).label.lower()
        messages.success(request, f"Emails about {where}: {label}.")
    else:
        messages.success(request, f"Emails about {where} follow your usual choice.")
    return redirect(back)


@require_POST
def space_email(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    return _email_chosen(request, space, None, space.get_absolute_url())


@require_POST
def thread_email(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    return _email_chosen(request, thread.space, thread, thread.get_absolute_url())


# Posts ----------------------------------------------------------------------------------------


def _has_case_study(thread: Thread) -> bool:
    if thread.kind != ThreadKind.CASE_STUDY:
        return False
    try:
        return thread.case_study is not None
    except ObjectDoesNotExist:
        return False


@_explains_lost_access
def post_edit(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    if post.is_opening and _has_case_study(thread):
        # A case study's opening post is its sections: changed only in the case study's own
        # editor (threads/commitments), which edits this post through the same service.
        return redirect("case_study_edit", thread.pk)
    moderating = policy.moderates_post(request.user, post)
    options = {"with_title": post.is_opening, "with_reason": moderating}
    try:
        policy.check_edit_post(request.user, post)
    except PermissionDenied as exc:
        if request.method != "POST":
            raise
        form = EditPostForm(request.POST, **options)
        form.is_valid()
        form.add_error(None, str(exc))
        return _form_refused(
            request,
            form,
            lambda: _edit_page(request, thread, post, form, moderating, status=403),
        )
    if request.method == "POST":
        form = EditPostForm(request.POST, **options)
        if form.is_valid():
            try:
                changed = services.edit_post(
                    actor=request.user,
                    post=post,
                    body=form.cleaned_data["body"],
                    title=form.cleaned_data.get("title") if post.is_opening else None,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except ValidationError as exc:
                form_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, "Your changes have been saved." if changed else "Nothing was changed."
                )
                return redirect(post.get_absolute_url())
        return _form_refused(
            request, form, lambda: _edit_page(request, thread, post, form, moderating)
        )
    form = EditPostForm(initial={"body": post.body, "title": thread.title}, **options)
    return _edit_page(request, thread, post, form, moderating)


def _edit_page(request, thread: Thread, post: Post, form, moderating: bool, status: int = 200):
    return render(
        request,
        "threads/post_edit.html",
        {
            "space": thread.space,
            "thread": thread,
            "post": post,
            "form": form,
            "moderating": moderating,
            "crumbs": [*_thread_crumbs(thread.space), (thread.title, thread.get_absolute_url())],
        },
        status=status,
    )


@_explains_lost_access
def post_delete(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    policy.check_delete_post(request.user, post)
    moderating = policy.moderates_post(request.user, post)
    form = DeletePostForm(
        request.POST if request.method == "POST" else None, with_reason=moderating
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_post(
                actor=request.user, post=post, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as exc:
            form_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The post has been deleted.")
            return redirect(thread)
    return render(
        request,
        "threads/post_delete.html",
        {
            "space": thread.space,
            "thread": thread,
            "post": post,
            "form": form,
            "moderating": moderating,
            "crumbs": [*_thread_crumbs(thread.space), (thread.title, thread.get_absolute_url())],
        },
    )


@require_POST
@_explains_lost_access
def post_react(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    form = ReactionForm(request.POST)
    refusal = ""
    if not form.is_valid():
        refusal = "Choose one of the reactions offered."
    else:
        try:
            services.toggle_reaction(actor=request.user, post=post, kind=form.cleaned_data["kind"])
        except PermissionDenied as exc:
            refusal = str(exc)
    if is_htmx(request):
        # The reactions again, with the reason in them when refused (a mute, a suspension):
        # a 200, because htmx swaps nothing on a 403 and the member would see nothing happen.
        selectors.attach_reactions(request.user, [post])
        post.can_react = policy.can_react(request.user, post)
        return render(
            request,
            "threads/_reactions.html",
            {"post": post, "thread": thread, "space": thread.space, "reaction_refusal": refusal},
        )
    if refusal:
        messages.error(request, refusal)
    return redirect(safe_next(request, post.get_absolute_url()))


def post_revisions(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    if not policy.can_read_revisions(request.user, post):
        raise Http404("No such page.")
    return render(
        request,
        "threads/post_revisions.html",
        {
            "space": thread.space,
            "thread": thread,
            "post": post,
            "can_moderate": True,
            "revisions": selectors.post_revisions(post),
            "crumbs": [*_thread_crumbs(thread.space), (thread.title, thread.get_absolute_url())],
        },
    )


# Search and notifications ---------------------------------------------------------------------


def search(request: HttpRequest) -> HttpResponse:
    spaces = list(selectors.searchable_spaces(request.user))
    form = SearchForm(request.GET or None, spaces=spaces)
    page = None
    query = ""
    space = None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        slug = form.cleaned_data.get("space") or ""
        space = next((s for s in spaces if s.slug == slug), None)
        if query:
            page = selectors.search_page(
                request.user, query, space=space, page=request.GET.get("page")
            )
    moderated = set(Space.objects.moderated_by(request.user).values_list("pk", flat=True))
    if page is not None:
        for post in page.object_list:
            post.show_real_author = post.thread.space_id in moderated
    prefix = urlencode({"q": query, **({"space": space.slug} if space else {})})
    return render(
        request,
        "threads/search.html",
        {"form": form, "page_obj": page, "query": query, "query_prefix": prefix},
    )


def notifications(request: HttpRequest) -> HttpResponse:
    page = selectors.notifications_page(request.user, request.GET.get("page"))
    return render(request, "threads/notifications.html", {"page_obj": page})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_notifications_read(actor=request.user)
    messages.success(
        request,
        f"{count} notification{'s' if count != 1 else ''} marked as read."
        if count
        else "You have no unread notifications.",
    )
    return redirect("notifications")


def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = services.open_notification(actor=request.user, notification_id=notification_id)
    if notification.post_id:
        return redirect(notification.post.get_absolute_url())
    if notification.thread_id:
        return redirect(notification.thread)
    return redirect("notifications")


def post_fragment(request: HttpRequest, slug: str, thread_id: int, post_id: int) -> HttpResponse:
    """One post rendered for this viewer with the thread page's own template. The live thread
    module fetches it when a push says a reply exists: the push itself carries no content."""
    thread = selectors.thread_in_space(request.user, slug, thread_id)
    post = selectors.post_in_thread(request.user, thread, post_id)
    user = request.user
    selectors.attach_reactions(user, [post])
    post.can_edit = policy.can_edit_post(user, post)
    post.can_delete = policy.can_delete_post(user, post)
    post.can_react = (
        policy.can_participate_in(user, thread.space)
        and post.is_published
        and post.author_id != user.pk
    )
    post.can_bookmark = post.is_published
    post.is_bookmarked = bool(bookmarks.bookmarked_post_ids(user, [post]))
    return render(
        request,
        "threads/_post.html",
        {
            "space": thread.space,
            "thread": thread,
            "post": post,
            "can_moderate": policy.can_moderate(user, thread.space),
            "can_reply": policy.can_reply(user, thread),
            "can_flag": policy.can_flag(user, thread.space),
        },
    )


def notifications_count(request: HttpRequest) -> JsonResponse:
    """The header's unread count, for the live module after a push."""
    return JsonResponse({"unread": selectors.unread_notification_count(request.user)})
