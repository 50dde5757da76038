"""Helpers that every app's views share: safe redirects, the space a URL names, form errors,
and the guidelines gate's redirect. Views stay thin; nothing here writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import policy, selectors
from .models import GuidelinesVersion, Space


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the form or link carries, when it points back into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def space_or_404(request: HttpRequest, slug: str) -> Space:
    """The space named in the URL, if the member may see its page at all."""
    space = get_object_or_404(Space, slug=slug)
    policy.check_see_space(request.user, space)
    return space


def space_context(request: HttpRequest, space: Space) -> dict:
    """What every page of a space shows in its header: standing, powers, guidelines."""
    user = request.user
    return {
        "space": space,
        "membership": policy.membership_of(user, space),
        "can_read": policy.can_read_space(user, space),
        "can_moderate": policy.can_moderate_space(user, space),
        "can_join": policy.can_join(user, space),
        "guidelines": selectors.current_guidelines(space),
    }


def form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form as a whole)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def guidelines_url(version: GuidelinesVersion, back: str) -> str:
    target = (
        reverse("space_guidelines", args=[version.space.slug])
        if version.space_id
        else reverse("community_guidelines")
    )
    return f"{target}?next={back}"


def guidelines_redirect(request: HttpRequest, space: Space | None = None) -> HttpResponse | None:
    """If the member must accept guidelines first, the redirect to do so (back here after)."""
    pending = policy.pending_guidelines(request.user, space)
    if not pending:
        return None
    messages.info(
        request, "Please read and accept the guidelines before you post. Your draft is waiting."
    )
    return redirect(guidelines_url(pending[0], request.get_full_path()))
