"""URLs of the Spirit reference forum (bench only): Spirit's own at the root, and ``/healthz``
(no database) for the bench to wait on, as it does for the forum."""

import spirit.urls
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("healthz", healthz), path("", include(spirit.urls))]
