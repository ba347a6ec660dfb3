"""The duplicate rules of admission applications, kept by the database.

A session's live applications (not rejected or withdrawn) must differ in birth
registration number and in mobile. The services checked this before saving;
two submissions at the same moment could both pass. Two partial unique indexes
now keep it (they also serve the duplicate lookups the two plain indexes did).

Applications that already break a rule (made by such a double submission) stop
the migration with a list of them: reject the extra ones first (or have their
applicants withdraw them).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count

LIVE_EXCLUDED = ["rejected", "withdrawn"]


def refuse_existing_duplicates(apps, schema_editor):
    application = apps.get_model("workflows", "AdmissionApplication")
    live = application.objects.using(schema_editor.connection.alias).exclude(
        status__in=LIVE_EXCLUDED
    )
    clashes = []
    for field in ("birth_certificate_no", "mobile_student"):
        repeated = (
            live.exclude(**{field: ""})
            .values("session_id", field)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        for row in repeated:
            numbers = live.filter(
                session_id=row["session_id"], **{field: row[field]}
            ).values_list("application_number", flat=True)
            clashes.append(f"{field} {row[field]}: {', '.join(sorted(numbers))}")
    if clashes:
        raise RuntimeError(
            "These live admission applications share a birth registration number "
            "or a mobile within a session; reject the extra ones (or have their "
            "applicants withdraw them), "
            "then migrate again:\n  " + "\n  ".join(clashes)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0010_history_tables_lean_indexes'),
        ('workflows', '0006_history_tables_lean_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_existing_duplicates, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='admissionapplication',
            name='workflows_a_session_788106_idx',
        ),
        migrations.RemoveIndex(
            model_name='admissionapplication',
            name='workflows_a_session_c95792_idx',
        ),
        migrations.AddConstraint(
            model_name='admissionapplication',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('status__in', ['rejected', 'withdrawn']), _negated=True), models.Q(('birth_certificate_no', ''), _negated=True)), fields=('session', 'birth_certificate_no'), name='one_live_application_per_birth_number'),
        ),
        migrations.AddConstraint(
            model_name='admissionapplication',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('status__in', ['rejected', 'withdrawn']), _negated=True), models.Q(('mobile_student', ''), _negated=True)), fields=('session', 'mobile_student'), name='one_live_application_per_mobile'),
        ),
    ]
