"""WSGI entry point of the benchmark server (``gunicorn bench.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
application = get_wsgi_application()

from supportal.core.heap import heap_freeze  # noqa: E402 - after the settings are loaded

heap_freeze()
