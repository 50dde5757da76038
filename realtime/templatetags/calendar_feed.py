"""``{% calendar_feed_url as url %}``: the signed-in member's own calendar feed address."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from realtime import feeds

register = template.Library()


@register.simple_tag(takes_context=True)
def calendar_feed_url(context) -> str:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    token = feeds.feed_for(request.user).token
    return request.build_absolute_uri(f"{reverse('live_feed')}?{urlencode({'token': token})}")
