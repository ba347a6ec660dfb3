"""Account screens and bulk history rows leave their trace too."""

from django.urls import reverse

from records import services
from records.models import ActivityAction, ActivityLog, AttendanceRecord, User, Weekday
from records.roles import AccountStatus, Role
from tests.factories import ClassRoutineFactory, StudentFactory, last_weekday


def test_account_created_and_edited_in_the_admin_are_logged(client, head, password):
    client.login(username=head.username, password=password)
    client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "newteacher",
            "email": "newteacher@example.edu.bd",
            "first_name": "Nusrat",
            "last_name": "Jahan",
            "role": Role.TEACHER,
            "password1": "a-strong-Passphrase-1",
            "password2": "a-strong-Passphrase-1",
        },
    )
    user = User.objects.get(username="newteacher")
    created = ActivityLog.objects.get(
        action_type=ActivityAction.CREATE, entity_type="user", entity_id=str(user.pk)
    )
    assert created.username == head.username
    assert "password" not in created.changes

    client.post(
        reverse("wagtailusers_users:edit", args=[user.pk]),
        {
            "username": "newteacher",
            "email": "newteacher@example.edu.bd",
            "first_name": "Nusrat",
            "last_name": "Jahan",
            "role": Role.TEACHER,
            "account_status": AccountStatus.ACTIVE,
            "admission_status": "not_started",
        },
    )
    updated = ActivityLog.objects.get(
        action_type=ActivityAction.UPDATE, entity_type="user", entity_id=str(user.pk)
    )
    assert updated.changes["account_status"] == {"before": "pending", "after": "active"}


def test_bulk_attendance_history_rows_carry_ip_and_batch(rf, db):
    from records.activity import _current_request

    routine = ClassRoutineFactory(day_of_week=Weekday.SUNDAY)
    StudentFactory(department=routine.department, session=routine.session)
    request = rf.post("/admin/take-attendance/", REMOTE_ADDR="10.1.2.3")
    token = _current_request.set(request)
    try:
        services.attendance_sheet_save(
            routine=routine, day=last_weekday(Weekday.SUNDAY), present={}
        )
    finally:
        _current_request.reset(token)
    row = AttendanceRecord.history.get()
    assert row.history_ip_address == "10.1.2.3"
    assert row.history_batch.startswith(f"attendance {routine.subject.code}")
    assert row.history_change_reason == "attendance sheet"
