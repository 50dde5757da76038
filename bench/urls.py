"""Bench only (``BENCH_BASELINE=1``): the site's URLs plus the baseline views under /bench/."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/baseline/space/<slug:slug>/", views.baseline_threads),
    path("bench/baseline/thread/<int:thread_id>/", views.baseline_posts),
    path("bench/baseline/search/", views.baseline_search),
    path("bench/baseline/home/", views.baseline_home),
    path("bench/baseline/notifications/", views.baseline_notifications),
    path("", include("community.site.urls")),
]
