"""The product's URLs plus ``/bench/hello/``: the ceiling every page is compared with."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    """No database, no template: what the server and the middleware alone cost."""
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello),
    path("", include("config.urls")),
]
