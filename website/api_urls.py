"""The REST API, version 1 (/api/v1/): each app's ``api.py`` brings its routes.

Unknown paths under /api/v1/ answer 404 in the API's error format rather than
falling through to Wagtail's page serving.
"""

from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from dashboards import api as dashboards_api
from records import api as records_api
from records import api_academics, api_activity, api_people
from workflows import api as workflows_api


@extend_schema(exclude=True)
class NotFoundView(APIView):
    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    post = put = patch = delete = get


app_name = "api"
urlpatterns = [
    path("", include(records_api.urlpatterns)),
    path("", include(api_people.urlpatterns)),
    path("", include(api_academics.urlpatterns)),
    path("", include(api_activity.urlpatterns)),
    path("", include(workflows_api.urlpatterns)),
    path("", include(dashboards_api.urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # [\s\S], not ".": a path with a newline (/students/%0A/) is unknown too.
    re_path(r"^[\s\S]*$", NotFoundView.as_view(), name="not-found"),
]
