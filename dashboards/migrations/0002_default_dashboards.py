"""The shipped dashboards, as data the institute head can edit."""

from django.db import migrations

from . import _defaults


def create(apps, schema_editor):
    _defaults.create(apps, schema_editor.connection.alias)


def remove(apps, schema_editor):
    _defaults.remove(apps, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
