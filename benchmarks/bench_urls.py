"""URLs of the benchmark server: the site, plus the minimal baseline view."""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def insert(request):
    """The smallest useful write: one INSERT behind the usual middleware."""
    if request.method == "POST":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_insert (note) VALUES (%s)",
                [request.POST.get("note", "")],
            )
        return HttpResponse("ok")
    return HttpResponse("ready")


urlpatterns = [
    path("bench/insert/", insert),
    path("", include("website.urls")),
]
