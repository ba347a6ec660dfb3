"""The activity log through the API (seed 000 §8): the back office's listing, its
filters, its rule (head: everything; registrar: their departments; nobody else)
and its CSV export (formula-escaped, itself logged)."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from records.activity import activity_record
from records.models import ActivityAction, ActivityLog
from tests.api.conftest import assert_error

LOGS = "/api/v1/activity-logs/"
EXPORT = "/api/v1/activity-logs/export/"


def entry(*, user, action, entity_type, entity_id, department, description, days=0):
    created = activity_record(
        action=action,
        user=user,
        entity_type=entity_type,
        entity_id=str(entity_id),
        department_id=department.pk if department else None,
        description=description,
        changes={"note": description},
    )
    if days:
        ActivityLog.objects.filter(pk=created.pk).update(
            timestamp=timezone.now() - timedelta(days=days)
        )
    return created


@pytest.fixture
def logs(institute):
    """A clean log with one entry of department A, one of B, one of no department."""
    ActivityLog.objects.all().delete()  # the fixture's own entries
    student_a, student_b = institute.students_a[1], institute.students_b[0]
    return {
        "a": entry(
            user=institute.registrar_a,
            action=ActivityAction.UPDATE,
            entity_type="student",
            entity_id=student_a.pk,
            department=institute.department_a,
            description="edited Rahim",
        ),
        "b": entry(
            user=institute.head,
            action=ActivityAction.DELETE,
            entity_type="document",
            entity_id=77,
            department=institute.department_b,
            description="=cmd|' /C calc'!A0",
            days=10,
        ),
        "none": entry(
            user=institute.student_user,
            action=ActivityAction.LOGIN,
            entity_type="user",
            entity_id=institute.student_user.pk,
            department=None,
            description="signed in",
            days=3,
        ),
        "student_b": student_b,
    }


# Signing in writes a log entry; force_authenticate keeps the log to the fixture's.


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# --- List, filters, search, ordering ----------------------------------------------------


@pytest.mark.django_db
def test_head_lists_everything_newest_first(api, institute, logs):
    api.force_authenticate(institute.head)
    assert ids(api.get(LOGS)) == [logs["a"].pk, logs["none"].pk, logs["b"].pk]
    oldest_first = ids(api.get(LOGS, {"ordering": "timestamp"}))
    assert oldest_first == [logs["b"].pk, logs["none"].pk, logs["a"].pk]


@pytest.mark.django_db
def test_filters_and_search(api, institute, logs):
    api.force_authenticate(institute.head)
    a, b, none = logs["a"].pk, logs["b"].pk, logs["none"].pk
    assert ids(api.get(LOGS, {"user": institute.head.pk})) == [b]
    assert ids(api.get(LOGS, {"user": institute.student_user.pk})) == [none]
    assert ids(api.get(LOGS, {"action_type": "update"})) == [a]
    assert ids(api.get(LOGS, {"entity_type": "document"})) == [b]
    assert ids(api.get(LOGS, {"entity_id": "77"})) == [b]
    assert ids(api.get(LOGS, {"department": institute.department_a.pk})) == [a]
    today = timezone.localdate()
    assert ids(
        api.get(LOGS, {"timestamp_after": (today - timedelta(days=5)).isoformat()})
    ) == [a, none]
    assert ids(
        api.get(
            LOGS,
            {
                "timestamp_after": (today - timedelta(days=12)).isoformat(),
                "timestamp_before": (today - timedelta(days=5)).isoformat(),
            },
        )
    ) == [b]
    # Filters combine.
    assert ids(api.get(LOGS, {"action_type": "update", "entity_type": "user"})) == []
    assert ids(api.get(LOGS, {"search": "RAHIM"})) == [a]
    assert ids(api.get(LOGS, {"search": institute.student_user.username})) == [none]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action_type": "hack"}, "action_type"),
        ({"entity_type": "nothing"}, "entity_type"),
        ({"timestamp_after": "yesterday"}, "timestamp"),
        ({"department": 999999}, "department"),
        ({"user": "abc"}, "user"),
    ],
)
def test_bad_filter_values_are_400(api, institute, logs, params, field):
    api.force_authenticate(institute.head)
    body = assert_error(api.get(LOGS, params), 400)
    assert field in body["field_errors"], body


@pytest.mark.django_db
def test_detail(api, institute, logs):
    api.force_authenticate(institute.head)
    body = api.get(f"{LOGS}{logs['a'].pk}/").json()
    assert body["username"] == institute.registrar_a.username
    assert body["user"] == institute.registrar_a.pk
    assert body["action_type"] == "update"
    assert body["action_label"] == "Update"
    assert body["entity_type"] == "student"
    assert body["entity_id"] == str(institute.students_a[1].pk)
    assert body["department"] == institute.department_a.pk
    assert body["changes"] == {"note": "edited Rahim"}
    assert_error(api.get(f"{LOGS}999999/"), 404)


@pytest.mark.django_db
def test_the_log_is_read_only(api, institute, logs):
    api.force_authenticate(institute.head)
    url = f"{LOGS}{logs['a'].pk}/"
    assert_error(api.post(LOGS, {}), 405)
    assert_error(api.patch(url, {"description": "x"}), 405)
    assert_error(api.delete(url), 405)
    assert ActivityLog.objects.filter(pk=logs["a"].pk).exists()


# --- Who may (the back office's rule) ---------------------------------------------------


@pytest.mark.django_db
def test_registrar_sees_their_departments_only(api, institute, logs):
    api.force_authenticate(institute.registrar_a)
    assert ids(api.get(LOGS)) == [logs["a"].pk]
    assert api.get(f"{LOGS}{logs['a'].pk}/").status_code == 200
    assert_error(api.get(f"{LOGS}{logs['b'].pk}/"), 404)
    assert_error(api.get(f"{LOGS}{logs['none'].pk}/"), 404)
    api.force_authenticate(institute.registrar_all)
    assert ids(api.get(LOGS)) == [logs["a"].pk, logs["none"].pk, logs["b"].pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["student_user", "teacher"])
def test_students_and_teachers_are_refused(api, institute, logs, who):
    api.force_authenticate(getattr(institute, who))
    before = ActivityLog.objects.count()
    assert_error(api.get(LOGS), 403)
    assert_error(api.get(f"{LOGS}{logs['none'].pk}/"), 403)
    assert_error(api.get(EXPORT), 403)
    assert ActivityLog.objects.count() == before  # no export entry


@pytest.mark.django_db
def test_anonymous_is_401(api, institute, logs):
    for url in (LOGS, f"{LOGS}{logs['a'].pk}/", EXPORT):
        assert_error(api.get(url), 401)


# --- Export -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_is_the_filtered_list_as_escaped_csv(api, institute, logs):
    api.force_authenticate(institute.head)
    response = api.get(EXPORT, {"department": institute.department_b.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "activity-log-" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:4] == ["Time", "Username", "Action", "Record type"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Username"] == institute.head.username
    assert row["Action"] == "Delete"
    assert row["Record id"] == "77"
    # A spreadsheet would run "=cmd..." as a formula: the cell is escaped.
    assert row["Description"] == "'=cmd|' /C calc'!A0"
    # The export itself is in the log, with its filters and row count.
    export = ActivityLog.objects.filter(action_type=ActivityAction.EXPORT).get()
    assert export.user == institute.head
    assert export.entity_type == "activitylog"
    assert export.changes["rows"] == 1
    assert export.changes["format"] == "csv"
    assert export.changes["filters"] == {"department": str(institute.department_b.pk)}


@pytest.mark.django_db
def test_export_follows_search_ordering_and_scope(api, institute, logs):
    api.force_authenticate(institute.head)
    rows = csv_rows(api.get(EXPORT, {"ordering": "timestamp"}))[1:]
    # The export's own entry is written before the rows are streamed (as in
    # the back office), so an unfiltered export ends with it.
    assert [(r[1], r[2]) for r in rows] == [
        (institute.head.username, "Delete"),
        (institute.student_user.username, "Sign-in"),
        (institute.registrar_a.username, "Update"),
        (institute.head.username, "Export"),
    ]
    rows = csv_rows(api.get(EXPORT, {"search": "signed"}))[1:]
    assert [r[1] for r in rows] == [institute.student_user.username]
    api.force_authenticate(institute.registrar_a)
    rows = csv_rows(api.get(EXPORT, HTTP_ACCEPT="text/csv"))[1:]
    # Their department's entry, not B's, nor the entries of no department.
    assert [r[1] for r in rows] == [institute.registrar_a.username]


@pytest.mark.django_db
def test_export_rejects_bad_filters(api, institute, logs):
    api.force_authenticate(institute.head)
    body = assert_error(api.get(EXPORT, {"action_type": "hack"}), 400)
    assert "action_type" in body["field_errors"]
    assert not ActivityLog.objects.filter(action_type=ActivityAction.EXPORT).exists()


# --- Queries per page -------------------------------------------------------------------


@pytest.mark.django_db
def test_list_query_count_is_constant(api, institute, logs):
    api.force_authenticate(institute.registrar_a)
    api.get(LOGS)  # warm the caches

    def count_queries(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(LOGS, params).status_code == 200
        return len(queries)

    few = count_queries()
    for n in range(30):
        entry(
            user=institute.registrar_a,
            action=ActivityAction.CREATE,
            entity_type="student",
            entity_id=n,
            department=institute.department_a,
            description=f"created {n}",
        )
    assert count_queries() == few
    assert count_queries(page_size=50) == few
