"""Migrations that check stored data before they change the schema."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("workflows", "0006_history_tables_lean_indexes")]
AFTER = [("workflows", "0007_duplicate_rules_in_the_database")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_live_duplicates_already_stored_stop_the_migration_with_their_numbers():
    apps = _migrate(BEFORE)
    try:
        session = apps.get_model("records", "AcademicSession").objects.create(
            name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
        )
        department = apps.get_model("records", "Department").objects.create(
            code="CST", name="Computer Science and Technology"
        )
        application = apps.get_model("workflows", "AdmissionApplication")

        def make(number, status, mobile):
            return application.objects.create(
                application_number=number,
                status=status,
                session=session,
                desired_department=department,
                desired_shift="morning",
                full_name_english="Nusrat Jahan",
                date_of_birth=date(2008, 3, 14),
                birth_certificate_no="",
                mobile_student=mobile,
            )

        make("ADM-2026-00001", "pending", "01812345678")
        make("ADM-2026-00002", "approved", "01812345678")
        make("ADM-2026-00003", "rejected", "01812345678")  # not live: allowed
        make("ADM-2026-00004", "pending", "01912345678")

        with pytest.raises(RuntimeError) as refused:
            _migrate(AFTER)
        message = str(refused.value)
        assert "mobile_student 01812345678: ADM-2026-00001, ADM-2026-00002" in message
        assert "ADM-2026-00003" not in message
        assert "ADM-2026-00004" not in message

        # Once the extra one is rejected, the migration goes through.
        application.objects.filter(application_number="ADM-2026-00002").update(
            status="rejected"
        )
        _migrate(AFTER)
    finally:
        # Leave the schema as the other tests expect it.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM workflows_admissionapplication")
        _migrate(AFTER)
