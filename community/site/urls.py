"""The root URL configuration: every app's URLs, the site's own pages and the admin."""

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
    path("account/export/", views.account_export, name="account_export"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("account/delete/cancel/", views.account_delete_cancel, name="account_delete_cancel"),
    path("", include("community.urls")),
    path("", include("threads.urls")),
    path("", include("moderation.urls")),
    path("", include("realtime.urls")),
    path("", include("threads.commitments.urls")),
]
