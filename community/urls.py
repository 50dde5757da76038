from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

# One way in: the admin's own sign-in form would skip allauth's rate limits and MFA, so it
# sends visitors to allauth's and refuses signed-in members who are not staff.
admin.site.login = secure_admin_login(admin.site.login)

handler403 = "community.errors.permission_denied"
handler404 = "community.errors.page_not_found"
handler500 = "community.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", views.account_settings, name="account_settings"),
    path("account/profile/", views.profile_edit, name="profile_edit"),
    path("account/export/", views.account_export, name="account_export"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("account/delete/cancel/", views.account_delete_cancel, name="account_delete_cancel"),
    path("members/<int:user_id>/", views.profile, name="profile"),
    path("guidelines/", views.community_guidelines, name="community_guidelines"),
    path("guidelines/edit/", views.guidelines_edit, name="community_guidelines_edit"),
    path("invitations/new/", views.invitation_create, name="site_invitation_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("spaces/", views.space_list, name="space_list"),
    path("spaces/new/", views.space_create, name="space_create"),
    path("spaces/<slug:slug>/", views.space_detail, name="space_detail"),
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
    path("", include("threads.urls")),
    path("", include("moderation.urls")),
    path("", include("realtime.urls")),
]
