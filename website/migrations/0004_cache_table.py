"""The database cache's table, where the settings use one (production does).

``createcachetable`` makes the tables of every ``DatabaseCache`` in ``CACHES``
that do not exist yet, and does nothing for other backends.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("website", "0003_teachersignuppage_admissionformpage"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
    ]
