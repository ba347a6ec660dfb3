import pytest


@pytest.fixture(autouse=True)
def shipped_dashboards(request):
    """The dashboards migration 0002 ships (a browser test's flush removes them)."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker(
        "django_db"
    ):
        return
    request.getfixturevalue("db")
    from django.apps import apps
    from django.db import connection

    from dashboards.migrations import _defaults

    _defaults.create(apps, connection.alias)
