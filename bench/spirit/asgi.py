"""ASGI entry point of the Spirit reference forum, for daphne (bench only)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.spirit.settings")
application = get_asgi_application()
