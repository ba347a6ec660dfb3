"""Import batches as registrars use them: check, import exactly once, undo as a whole."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from records import services
from records.errors import BusinessRuleError
from records.models import ActivityLog, ImportBatch, ImportStatus, Student
from records.spreadsheets import batches
from records.spreadsheets.columns import DateWidget, IntegerWidget, MobileWidget
from records.spreadsheets.writers import escape_formula, unescape_formula
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    last_weekday,
)

pytestmark = pytest.mark.django_db

HEADER = (
    "Full name (English),Full name (Bangla),Father's name,Mother's name,"
    "Date of birth,Gender,Guardian's mobile,Department,Semester,Shift,Session\n"
)


def row(n: int, mobile: str = "01712345678") -> str:
    return (
        f"Student {n},ছাত্র {n},Karim Uddin,Rahima Khatun,15/01/2008,Male,"
        f"{mobile},CST,1,Morning,2026-27\n"
    )


@pytest.fixture
def setup_institute():
    cst = DepartmentFactory(code="CST", name="Computer Science and Technology")
    session = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    return cst, session


def upload(user, text: str, name: str = "students.csv", record_type="students"):
    return batches.import_batch_create(
        record_type=record_type,
        uploaded_file=SimpleUploadedFile(name, text.encode("utf-8")),
        acting_user=user,
    )


def checked_and_imported(user, text: str) -> ImportBatch:
    batch = upload(user, text)
    batch = batches.import_batch_check(batch=batch, acting_user=user)
    assert batch.status == ImportStatus.CHECKED, batch.report
    return batches.import_batch_confirm(batch=batch, acting_user=user)


def test_check_writes_nothing_and_import_writes_once(registrar, setup_institute):
    batch = upload(registrar, HEADER + row(1) + row(2))
    batch = batches.import_batch_check(batch=batch, acting_user=registrar)
    assert batch.status == ImportStatus.CHECKED
    assert batch.counts["new"] == 2
    assert not Student.objects.exists()
    assert not ActivityLog.objects.filter(action_type="import").exists()

    batch = batches.import_batch_confirm(batch=batch, acting_user=registrar)
    assert batch.status == ImportStatus.IMPORTED
    assert Student.objects.count() == 2
    entry = ActivityLog.objects.get(action_type="import")
    assert entry.entity_id == f"import:{batch.pk}"
    assert entry.description.startswith(f"import #{batch.pk} (students.csv)")
    reasons = set(Student.history.values_list("history_change_reason", flat=True))
    assert reasons == {f"import #{batch.pk} (students.csv)"}

    # A double click on Confirm: a clear conflict, nothing written twice.
    with pytest.raises(BusinessRuleError, match=r"already imported by"):
        batches.import_batch_confirm(batch=batch, acting_user=registrar)
    assert Student.objects.count() == 2


def test_a_file_with_errors_cannot_be_imported(registrar, setup_institute):
    batch = upload(registrar, HEADER + row(1) + row(2, mobile="0171234567"))
    batch = batches.import_batch_check(batch=batch, acting_user=registrar)
    assert batch.status == ImportStatus.HAS_ERRORS
    assert batch.report["errors"] == {
        "3": "Guardian's mobile: 0171234567 has 10 digits, a Bangladeshi mobile "
        "number has 11."
    }
    with pytest.raises(BusinessRuleError, match="only a checked file"):
        batches.import_batch_confirm(batch=batch, acting_user=registrar)
    assert not Student.objects.exists()


def test_a_refused_file_is_recorded_with_its_reason(registrar, setup_institute):
    batch = upload(registrar, "", name="empty.csv")
    batch = batches.import_batch_check(batch=batch, acting_user=registrar)
    assert batch.status == ImportStatus.REFUSED
    assert "empty" in batch.report["file_errors"][0]


def test_teachers_may_not_import_students(make_user, setup_institute):
    from records.roles import Role

    teacher = make_user(Role.TEACHER)
    with pytest.raises(BusinessRuleError, match="You may not import Students"):
        upload(teacher, HEADER + row(1))


def test_undo_deletes_added_records_and_restores_changed_ones(
    registrar, setup_institute
):
    cst, session = setup_institute
    existing = StudentFactory(department=cst, session=session, full_name_english="Old")
    text = (
        "Registration number,Full name (English)\n"
        f"{existing.current_registration_number},New\n"
    )
    update_batch = checked_and_imported(registrar, text)
    added_batch = checked_and_imported(registrar, HEADER + row(1))
    existing.refresh_from_db()
    assert existing.full_name_english == "New"
    assert Student.objects.count() == 2

    batches.import_batch_undo(batch=added_batch, acting_user=registrar)
    assert Student.objects.count() == 1
    deleted = Student.history.filter(history_type="-").get()
    assert deleted.history_change_reason == (
        f"undo of import #{added_batch.pk} (students.csv)"
    )

    batches.import_batch_undo(batch=update_batch, acting_user=registrar)
    existing.refresh_from_db()
    assert existing.full_name_english == "Old"
    assert existing.history.first().history_change_reason.startswith("undo of import")
    assert ImportBatch.objects.get(pk=update_batch.pk).status == ImportStatus.UNDONE
    assert ActivityLog.objects.filter(action_type="revert").count() == 2

    with pytest.raises(BusinessRuleError, match="already undone"):
        batches.import_batch_undo(batch=update_batch, acting_user=registrar)


def test_undo_is_refused_once_a_later_change_touched_its_records(
    registrar, setup_institute
):
    batch = checked_and_imported(registrar, HEADER + row(1))
    student = Student.objects.get()
    services.student_update(student=student, acting_user=registrar, father_name="X")
    with pytest.raises(BusinessRuleError, match="changed after it"):
        batches.import_batch_undo(batch=batch, acting_user=registrar)
    assert Student.objects.filter(pk=student.pk).exists()


def test_undo_is_refused_when_added_students_have_attendance(
    registrar, setup_institute
):
    cst, session = setup_institute
    batch = checked_and_imported(registrar, HEADER + row(1))
    student = Student.objects.get()
    subject = SubjectFactory(department=cst, semester=1)
    routine = ClassRoutineFactory(subject=subject, session=session)
    services.attendance_sheet_save(
        routine=routine,
        day=last_weekday(routine.day_of_week),
        present={student.pk: False},
        acting_user=registrar,
    )
    with pytest.raises(BusinessRuleError, match="now has attendance"):
        batches.import_batch_undo(batch=batch, acting_user=registrar)
    assert Student.objects.filter(pk=student.pk).exists()


# --- Reading cells: hypothesis ---------------------------------------------------------

BANGLA = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)))
def test_a_date_reads_the_same_in_every_form(day):
    widget = DateWidget()
    serial = (day - date(1899, 12, 30)).days
    forms = [
        day,
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d-%m-%Y"),
        day.strftime("%d.%m.%Y"),
        serial,
        float(serial),
        day.isoformat().translate(BANGLA),
        day.strftime("%d/%m/%Y").translate(BANGLA),
    ]
    assert {widget.read(form, {}) for form in forms} == {day}


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_numbers_read_in_ascii_and_bangla_digits(number):
    widget = IntegerWidget()
    assert widget.read(str(number), {}) == number
    assert widget.read(str(number).translate(BANGLA), {}) == number
    assert widget.read(float(number), {}) == number


@given(st.from_regex(r"01[3-9][0-9]{8}", fullmatch=True))
def test_a_mobile_survives_every_way_a_spreadsheet_stores_it(mobile):
    widget = MobileWidget()
    assert widget.read(mobile, {}) == mobile
    assert widget.read("+88" + mobile, {}) == mobile
    assert widget.read(int(mobile), {}) == mobile  # the leading zero came back
    assert widget.read(mobile.translate(BANGLA), {}) == mobile


@given(st.text())
def test_formula_escaping_is_undone_on_import(text):
    assert unescape_formula(escape_formula(text)) == text


def test_dates_in_the_future_are_refused_by_the_model_rule(registrar, setup_institute):
    tomorrow = (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")  # noqa: DTZ011
    batch = upload(registrar, HEADER + row(1).replace("15/01/2008", tomorrow))
    batch = batches.import_batch_check(batch=batch, acting_user=registrar)
    assert batch.report["errors"]["2"] == "Date of birth: This date is in the future."
