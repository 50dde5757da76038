from django.urls import path

from . import views

THREAD = "spaces/<slug:slug>/threads/<int:thread_id>/"
POST = THREAD + "posts/<int:post_id>/"

urlpatterns = [
    path("spaces/<slug:slug>/", views.space_detail, name="space_detail"),
    path("spaces/<slug:slug>/threads/new/", views.thread_create, name="thread_create"),
    path("spaces/<slug:slug>/threads/new/mentions/", views.space_mentions, name="space_mentions"),
    path(
        "spaces/<slug:slug>/threads/new/draft/",
        views.thread_create_draft,
        name="thread_create_draft",
    ),
    path("spaces/<slug:slug>/threads/follow/", views.space_follow, name="space_follow"),
    path("spaces/<slug:slug>/threads/read/", views.space_mark_read, name="space_mark_read"),
    path(THREAD, views.thread_detail, name="thread_detail"),
    path(THREAD + "reply/", views.thread_reply, name="thread_reply"),
    path(THREAD + "draft/", views.thread_draft, name="thread_draft"),
    path(THREAD + "mentions/", views.thread_mentions, name="thread_mentions"),
    path(THREAD + "unread/", views.thread_unread, name="thread_unread"),
    path(THREAD + "follow/", views.thread_follow, name="thread_follow"),
    path(THREAD + "email/", views.thread_email, name="thread_email"),
    path("spaces/<slug:slug>/threads/email/", views.space_email, name="space_email"),
    path(THREAD + "bookmark/", views.thread_bookmark, name="thread_bookmark"),
    path(POST + "bookmark/", views.post_bookmark, name="post_bookmark"),
    path("bookmarks/", views.bookmark_list, name="bookmarks"),
    path(POST, views.post_jump, name="post_jump"),
    path(POST + "edit/", views.post_edit, name="post_edit"),
    path(POST + "fragment/", views.post_fragment, name="post_fragment"),
    path(POST + "delete/", views.post_delete, name="post_delete"),
    path(POST + "react/", views.post_react, name="post_react"),
    path(POST + "revisions/", views.post_revisions, name="post_revisions"),
    path("search/", views.search, name="search"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/count/", views.notifications_count, name="notifications_count"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
]
