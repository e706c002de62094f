import os

from django.core.wsgi import get_wsgi_application

from supportal.core.heap import heap_freeze, loading_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# No garbage collection until every app is ready; then the loaded application is frozen
# (supportal/core/heap.py).
loading_started()
application = get_wsgi_application()
heap_freeze()
