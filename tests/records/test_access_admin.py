"""The Access screen: registrars' departments, class rights, and "why can't X see this?"."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest
from django.urls import reverse
from guardian.shortcuts import get_perms

from records import services
from records.access import EXPLAINED_ACTIONS, Step, explain
from records.activity import activity_record
from records.models import (
    Alumni,
    AttendanceRecord,
    ClassRoutine,
    Department,
    User,
    Weekday,
)
from records.permissions import RECORD_TYPES, RULES, SCOPE_LABELS, user_can
from records.roles import AccountStatus, Role
from tests.factories import (
    AcademicSessionFactory,
    ClassRoutineFactory,
    DepartmentFactory,
    StudentFactory,
    SubjectFactory,
    TeacherFactory,
    UserFactory,
    last_weekday,
)
from tests.factories.admin import document_for, final_mark_for

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


@pytest.fixture
def departments():
    return (
        DepartmentFactory(code="CST", name="Computer Science"),
        DepartmentFactory(code="CIV", name="Civil"),
    )


@pytest.fixture
def session():
    return AcademicSessionFactory(is_current=True)


@pytest.fixture
def dept_registrar(make_user, departments):
    user = make_user(Role.REGISTRAR, username="deptreg")
    return services.registrar_set_departments(user=user, departments=[departments[0]])


@pytest.fixture
def class_group(departments, session):
    """A CST class with a teacher who can sign in, and two students with accounts."""
    department = departments[0]
    teacher_user = UserFactory(
        role=Role.TEACHER, username="teach", account_status=AccountStatus.ACTIVE
    )
    teacher = TeacherFactory(department=department, user=teacher_user)
    subject = SubjectFactory(department=department)
    routines = [
        ClassRoutineFactory(
            subject=subject, session=session, teacher=teacher, day_of_week=day
        )
        for day in (Weekday.SUNDAY, Weekday.TUESDAY)
    ]
    students = [
        StudentFactory(
            department=department,
            session=session,
            user=UserFactory(role=Role.STUDENT, username=f"pupil{n}"),
        )
        for n in (1, 2)
    ]
    return {"routines": routines, "students": students, "teacher": teacher}


def fresh(user) -> User:
    """The user as the next request sees it (no cached scope or permissions)."""
    return User.objects.get(pk=user.pk)


# --- Who may use the screen ----------------------------------------------------------


def test_head_and_registrars_see_the_menu_item_teachers_do_not(
    client, head, registrar, active_teacher
):
    from wagtail.admin.menu import settings_menu

    for user, shown in ((head, True), (registrar, True), (active_teacher, False)):
        client.force_login(user)
        request = client.get(reverse("wagtailadmin_home")).wsgi_request
        labels = [i.label for i in settings_menu.menu_items_for_request(request)]
        assert ("Access" in labels) is shown, user


@pytest.mark.parametrize("name", ["index", "classes", "why"])
def test_the_pages_open_for_head_and_registrar(client, head, registrar, name):
    for user in (head, registrar):
        client.force_login(user)
        assert client.get(reverse(f"access:{name}")).status_code == 200


def test_a_teacher_is_refused_with_a_403_page(client, active_teacher):
    client.force_login(active_teacher)
    response = client.get(reverse("access:index"))
    assert response.status_code == 403
    assert b"your role may not do this" in response.content


# --- Registrars' departments ----------------------------------------------------------


def test_head_changes_departments_and_the_student_listing_follows(
    client, head, dept_registrar, departments, session
):
    cst, civ = departments
    StudentFactory(department=cst, session=session, full_name_english="Rahim CST")
    StudentFactory(department=civ, session=session, full_name_english="Karim CIV")
    reg_client = type(client)()
    reg_client.force_login(dept_registrar)
    listing = reg_client.get(reverse("students:index")).content.decode()
    assert "Rahim CST" in listing and "Karim CIV" not in listing

    client.force_login(head)
    url = reverse("access:registrar", args=[dept_registrar.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"departments": [civ.pk]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "deptreg now reaches: Civil (1 students)." in page

    listing = reg_client.get(reverse("students:index")).content.decode()
    assert "Karim CIV" in listing and "Rahim CST" not in listing

    # Institute-wide: both; a repeated POST changes nothing and is no error.
    for _ in range(2):
        response = client.post(url, {"all_departments": "on"})
        assert response.status_code == 302
    listing = reg_client.get(reverse("students:index")).content.decode()
    assert "Karim CIV" in listing and "Rahim CST" in listing
    assert fresh(dept_registrar).has_perm("records.manage_all_departments")


def test_registrar_may_look_but_not_change(client, dept_registrar, registrar):
    client.force_login(dept_registrar)
    page = client.get(reverse("access:index")).content.decode()
    assert "registrar1" in page and "All departments (institute-wide)" in page
    assert "Change departments" not in page
    url = reverse("access:registrar", args=[registrar.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"departments": []}).status_code == 403
    assert fresh(registrar).has_perm("records.manage_all_departments")


def test_bad_ids_are_404(client, head, active_teacher, departments, dept_registrar):
    client.force_login(head)
    for user_id in (active_teacher.pk, 999999):  # not a registrar; no such user
        url = reverse("access:registrar", args=[user_id])
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    url = reverse("access:captain_dismiss", args=[999999])
    assert client.post(url).status_code == 404
    appoint = reverse("access:captain_appoint")
    assert client.post(appoint, {"student": "999999"}).status_code == 404
    assert client.post(appoint, {"student": "x; drop"}).status_code == 404
    # An unknown department is a form error, not a crash.
    url = reverse("access:registrar", args=[dept_registrar.pk])
    response = client.post(url, {"departments": ["999999"]})
    assert response.status_code == 200
    assert response.context["form"].errors["departments"]


def test_forms_need_csrf(head, dept_registrar):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(head)
    url = reverse("access:registrar", args=[dept_registrar.pk])
    assert client.post(url, {"all_departments": "on"}).status_code == 403
    assert not fresh(dept_registrar).has_perm("records.manage_all_departments")


# --- Class permissions and captains -------------------------------------------------


def test_class_page_shows_holders_and_why(client, registrar, class_group):
    client.force_login(registrar)
    page = client.get(reverse("access:classes")).content.decode()
    assert "teach</strong>: take attendance, enter marks" in page
    assert "the teacher of this class" in page
    # Only students with a sign-in account are offered, and only to the head.
    assert "Appoint captain" not in page


def test_captain_appoint_and_dismiss_follow_to_the_routines(
    client, head, registrar, class_group
):
    student = class_group["students"][0]
    routines = class_group["routines"]
    appoint = reverse("access:captain_appoint")
    dismiss = reverse("access:captain_dismiss", args=[student.pk])

    client.force_login(registrar)
    assert client.post(appoint, {"student": student.pk}).status_code == 403
    assert fresh(student.user).role == Role.STUDENT

    client.force_login(head)
    page = client.get(reverse("access:classes")).content.decode()
    assert f'<option value="{student.pk}">' in page
    for _ in range(2):  # a double POST is harmless
        response = client.post(
            appoint, {"student": student.pk, "next": reverse("access:classes")}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("access:classes")
    captain = fresh(student.user)
    assert captain.role == Role.CAPTAIN
    for routine in routines:
        assert get_perms(captain, routine) == ["take_attendance"]
        assert user_can(fresh(captain), "take_attendance", routine)
    page = client.get(reverse("access:classes")).content.decode()
    assert f"captain of {routines[0].department.code}" in page

    for _ in range(2):
        assert client.post(dismiss).status_code == 302
    former = fresh(student.user)
    assert former.role == Role.STUDENT
    for routine in routines:
        assert get_perms(former, routine) == []
        assert not user_can(fresh(former), "take_attendance", routine)


def test_offsite_next_is_ignored(client, head, class_group):
    client.force_login(head)
    student = class_group["students"][1]
    response = client.post(
        reverse("access:captain_appoint"),
        {"student": student.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("access:classes")


def test_appointing_a_student_without_account_is_refused_in_words(
    client, head, class_group, departments, session
):
    client.force_login(head)
    loner = StudentFactory(department=departments[0], session=session)
    response = client.post(
        reverse("access:captain_appoint"), {"student": loner.pk}, follow=True
    )
    assert response.status_code == 200
    assert "has no sign-in account" in response.content.decode()


# --- Why can't X see this? ---------------------------------------------------------------


@pytest.fixture
def world(departments, session, class_group, make_user, head, registrar):
    """Users of every kind, and a record of every type in and out of their reach."""
    cst, civ = departments
    teacher = class_group["teacher"]
    routine = class_group["routines"][0]
    captain_student = class_group["students"][0]
    services.captain_appoint(student=captain_student)
    pupil = class_group["students"][1]
    subject = routine.subject

    other_subject = SubjectFactory(department=civ)
    other_routine = ClassRoutineFactory(
        subject=other_subject,
        session=session,
        start_time=time(10, 0),
        end_time=time(10, 45),
    )
    outsider = StudentFactory(department=civ, session=session)
    day = last_weekday(Weekday.SUNDAY)
    records = {
        "department": [cst, civ],
        "academicsession": [session],
        "subject": [subject, other_subject],
        "teacher": [teacher, TeacherFactory(department=civ)],
        "student": [pupil, outsider],
        # Alumni are made by conversion, which needs eight semesters of results.
        "alumni": [
            Alumni.objects.create(student=pupil, graduation_year=2026),
            Alumni.objects.create(student=outsider, graduation_year=2026),
        ],
        "document": [document_for(pupil), document_for(outsider)],
        "classroutine": [routine, other_routine],
        "attendancerecord": [
            services.attendance_record_save(
                record=AttendanceRecord(
                    student=s, subject=sub, semester=1, date=day, is_present=True
                )
            )
            for s, sub in ((pupil, subject), (outsider, other_subject))
        ],
        "marksrecord": [
            final_mark_for(s, subject=sub, obtained=40)
            for s, sub in ((pupil, subject), (outsider, other_subject))
        ],
        "activitylog": [
            activity_record(action="update", instance=pupil),
            activity_record(action="update", instance=outsider),
            activity_record(action="login", entity_type="user"),
        ],
    }
    switched_off = make_user(Role.INSTITUTE_HEAD, username="gone")
    User.objects.filter(pk=switched_off.pk).update(is_active=False)
    pending = make_user(Role.TEACHER, username="pending_teacher")
    TeacherFactory(department=civ, user=pending)
    nowhere = make_user(Role.REGISTRAR, username="nowhere")
    superuser = User.objects.create_superuser("root", "root@example.edu.bd", "x")
    users = [
        head,
        registrar,
        services.registrar_set_departments(
            user=make_user(Role.REGISTRAR, username="cstreg"), departments=[cst]
        ),
        nowhere,
        teacher.user,
        pending,
        captain_student.user,
        pupil.user,
        switched_off,
        superuser,
        make_user(Role.TEACHER, username="no_profile"),
    ]
    return users, records


def test_explain_agrees_with_user_can_everywhere(world):
    users, records = world
    assert set(records) == set(RECORD_TYPES)
    checked = yes = 0
    for user in users:
        for objects in records.values():
            for instance in objects:
                for action in EXPLAINED_ACTIONS:
                    subject = fresh(user)
                    steps = explain(subject, action, instance)
                    assert all(isinstance(s, Step) and s.sentence for s in steps)
                    assert not any("disagrees" in s.sentence for s in steps)
                    expected = user_can(fresh(user), action, instance)
                    assert steps[-1].ok is expected, (
                        user.username,
                        type(instance).__name__,
                        action,
                        [s.sentence for s in steps],
                    )
                    if expected:
                        # Every step before a "yes" passes (the account status
                        # aside: it is about signing in, not the rules).
                        assert all(s.ok for s in steps[1:])
                    checked += 1
                    yes += expected
    assert checked > 1000 and 0 < yes < checked


def test_explain_says_why_in_plain_words(world, departments):
    users, records = world
    by_name = {u.username: u for u in users}
    cst_student, civ_student = records["student"]
    steps = explain(fresh(by_name["cstreg"]), "view", civ_student)
    text = " ".join(s.sentence for s in steps)
    assert "cstreg is a Registrar; account status: Active." in text
    assert "within: their departments (or all, if institute-wide)" in text
    assert "records.view_student" in text and "group Registrars" in text
    assert "cstreg manages these departments: CST (Computer Science)." in text
    assert "is in department CIV (Civil)" in text
    assert steps[-1] == (
        False,
        f"Verdict: no, cstreg may not view student “{civ_student}”. "
        "The record is outside their scope.",
    )
    steps = explain(fresh(by_name["teach"]), "delete", cst_student)
    assert "The rules do not let a Teacher delete students." in steps[1].sentence
    steps = explain(fresh(by_name["nowhere"]), "view", cst_student)
    assert any("manages no department yet" in s.sentence for s in steps)


def test_why_page_answers_and_hides_what_the_asker_cannot_see(
    client, world, head, departments
):
    users, records = world
    cst_student, civ_student = records["student"]
    url = reverse("access:why")
    client.force_login(head)
    response = client.get(
        url,
        {
            "username": "cstreg",
            "record_type": "student",
            "record_id": civ_student.pk,
            "action": "view",
        },
    )
    assert response.status_code == 200
    assert 'data-verdict="no"' in response.content.decode()
    assert "manages these departments" in response.content.decode()
    response = client.get(
        url,
        {"username": "cstreg", "record_type": "student", "record_id": 999999},
    )
    assert response.status_code == 200  # incomplete form: just the errors
    response = client.get(
        url,
        {
            "username": "cstreg",
            "record_type": "student",
            "record_id": 999999,
            "action": "view",
        },
    )
    assert response.status_code == 404
    # A department registrar may only ask about records they can see.
    client.force_login(User.objects.get(username="cstreg"))
    response = client.get(
        url,
        {
            "username": "teach",
            "record_type": "student",
            "record_id": civ_student.pk,
            "action": "view",
        },
    )
    assert response.status_code == 404
    assert "that you can see" in response.content.decode()


# --- docs/permissions.md says what RULES says ---------------------------------------------


def _docs_rules() -> dict[str, dict[str, dict[str, str]]]:
    """The rules table in docs/permissions.md, read back into RULES' shape."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules-table -->\n(.*?)\n<!-- /rules-table -->", text, re.S)
    assert match, "docs/permissions.md has lost its rules table markers"
    lines = [line.strip() for line in match.group(1).strip().splitlines()]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    header, _rule, *body = rows
    assert header[:2] == ["Role", "Record type"]
    actions = header[2:]
    assert actions == list(EXPLAINED_ACTIONS)
    scope_of_label = {str(label): scope for scope, label in SCOPE_LABELS.items()}
    role_of_label = {str(role.label): role.value for role in Role}
    table: dict[str, dict[str, dict[str, str]]] = {}
    for row in body:
        role = role_of_label[row[0]]
        record = row[1].strip("`")
        cells = {
            action: scope_of_label[cell]
            for action, cell in zip(actions, row[2:], strict=True)
            if cell != "—"
        }
        assert record not in table.get(role, {}), (role, record)
        table.setdefault(role, {})[record] = cells
    return table


def test_docs_table_says_exactly_what_rules_say():
    documented = _docs_rules()
    assert set(documented) == {role.value for role in Role}
    for role in Role:
        assert set(documented[role]) == set(RECORD_TYPES), role
        for record in RECORD_TYPES:
            assert documented[role][record] == RULES[role].get(record, {}), (
                role,
                record,
            )


def test_explain_on_routine_without_teacher_account_mentions_it(
    client, head, departments, session
):
    teacher = TeacherFactory(department=departments[0])
    routine = ClassRoutineFactory(
        subject=SubjectFactory(department=departments[0]),
        session=session,
        teacher=teacher,
    )
    client.force_login(head)
    page = client.get(reverse("access:classes")).content.decode()
    assert "has no sign-in account, so nobody holds the teacher" in page
    assert ClassRoutine.objects.filter(pk=routine.pk).exists()
    assert Department.objects.count() == 2
