"""URLs of the API benchmark's server: the site, plus a minimal DRF view.

The baseline goes through the same middleware, the same DRF authentication
(``Authorization: Token``), permission, throttles and renderer as the API, and
does nothing else: a GET answers a small object, a POST parses the body and
says how many records it had.
"""

from django.urls import include, path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView


@extend_schema(exclude=True)
class MinimalView(APIView):
    def get(self, request):
        return Response({"ok": True, "user": request.user.pk})

    def post(self, request):
        return Response({"ok": True, "records": len(request.data.get("records", []))})


urlpatterns = [
    path("bench/api-minimal/", MinimalView.as_view()),
    path("", include("website.urls")),
]
