"""Community core pages: spaces, membership, guidelines, invitations, profiles, account."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account_settings, name="account_settings"),
    path("account/profile/", views.profile_edit, name="profile_edit"),
    path("members/<int:user_id>/", views.profile, name="profile"),
    path("guidelines/", views.community_guidelines, name="community_guidelines"),
    path("guidelines/edit/", views.guidelines_edit, name="community_guidelines_edit"),
    path("support/", views.support_directory, name="support"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/new/", views.invitation_create, name="site_invitation_create"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("spaces/", views.space_list, name="space_list"),
    path("spaces/new/", views.space_create, name="space_create"),
    path("spaces/<slug:slug>/join/", views.space_join, name="space_join"),
    path("spaces/<slug:slug>/leave/", views.space_leave, name="space_leave"),
    path("spaces/<slug:slug>/members/", views.space_members, name="space_members"),
    path("spaces/<slug:slug>/settings/", views.space_settings, name="space_settings"),
    path(
        "spaces/<slug:slug>/members/<int:membership_id>/<str:action>/",
        views.membership_action,
        name="membership_action",
    ),
    path("spaces/<slug:slug>/guidelines/", views.space_guidelines, name="space_guidelines"),
    path(
        "spaces/<slug:slug>/guidelines/edit/", views.guidelines_edit, name="space_guidelines_edit"
    ),
    path(
        "spaces/<slug:slug>/invitations/new/",
        views.invitation_create,
        name="space_invitation_create",
    ),
]
