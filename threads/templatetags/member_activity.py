"""``{% member_activity person %}``: their recent posts the viewer can read (threads.activity)."""

from __future__ import annotations

from django import template

from threads.activity import recent_posts

register = template.Library()


@register.inclusion_tag("threads/_member_activity.html", takes_context=True)
def member_activity(context, person) -> dict:
    viewer = context["request"].user
    return {"posts": list(recent_posts(viewer, person)), "person": person, "user": viewer}
