from django.db import migrations

from ._defaults import DEFAULTS, create


def create_defaults(apps, schema_editor):
    create(apps, schema_editor.connection.alias)


def remove_defaults(apps, schema_editor):
    Workflow = apps.get_model("workflows", "Workflow")
    Workflow.objects.using(schema_editor.connection.alias).filter(
        kind__in=list(DEFAULTS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_requests"),
        ("records", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
