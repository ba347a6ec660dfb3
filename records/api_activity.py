"""REST API routes (/api/v1/): filled in by issue 9's work."""

urlpatterns: list = []
