"""The shipped overview's attendance card: this semester, as issue 8 asks.

Only the card as shipped changes; a head who edited it keeps their version.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    item = apps.get_model("dashboards", "DashboardItem")
    item.objects.using(schema_editor.connection.alias).filter(
        dashboard__owner__isnull=True,
        metric="attendance_rate",
        title="Attendance this session",
        window="current_session",
    ).update(title="Attendance this semester", window="current_semester")


def backwards(apps, schema_editor):
    item = apps.get_model("dashboards", "DashboardItem")
    item.objects.using(schema_editor.connection.alias).filter(
        dashboard__owner__isnull=True,
        metric="attendance_rate",
        title="Attendance this semester",
        window="current_semester",
    ).update(title="Attendance this session", window="current_session")


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_default_dashboards")]

    operations = [migrations.RunPython(forwards, backwards)]
