"""The project's URLs plus one test-only route that fails, so the page sweep sees the real 500 page."""

from django.urls import path

from qms.urls import handler400, handler403, handler404, handler500
from qms.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fail(request):
    raise RuntimeError("The page sweep's deliberate server error.")


urlpatterns = [path("test-only/server-error/", fail), *project_urlpatterns]
