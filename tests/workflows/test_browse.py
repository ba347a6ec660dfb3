"""Browsing every request in the admin: read-only listings, scoped like the desk.

One small institute (``world``): two departments, two sessions, and for each
kind of request some pending and some decided ones, all made and decided
through the services. The filter cases name the requests they expect, so a
filter that stops narrowing (or narrows the wrong way) fails here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from records import services as record_services
from records.models import ActivityAction, ActivityLog
from records.roles import AccountStatus, Role
from tests.factories import AcademicSessionFactory, DepartmentFactory, StudentFactory
from workflows import services
from workflows.models import CorrectionRequest, RequestStatus

from .test_services import application_fields

ADMISSIONS = "admission_applications"
SIGNUPS = "teacher_signups"
CORRECTIONS = "correction_requests"
LISTINGS = (ADMISSIONS, SIGNUPS, CORRECTIONS)


def at(year, month, day, hour=4):
    """A moment in UTC (04:00 UTC is 10:00 in Dhaka, the same local date)."""
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class World:
    cst: object
    eee: object
    s2026: object
    s2027: object
    requests: dict  # key -> request, per listing
    by_listing: dict  # listing name -> {key: request}


@pytest.fixture
def head(make_user):
    return make_user(
        Role.INSTITUTE_HEAD, username="head1", first_name="Rahima", last_name="Khatun"
    )


@pytest.fixture
def registrar_cst(make_user):
    """A registrar of CST only."""
    return record_services.registrar_set_departments(
        user=make_user(Role.REGISTRAR, username="registrar_cst"),
        departments=[DepartmentFactory(code="CST", name="Computer Science")],
        all_departments=False,
    )


def _admission(world_parts, key, department, session, submitted_at, **over):
    n = len(world_parts)
    return services.admission_submit(
        **application_fields(
            department,
            session,
            full_name_english=f"Applicant {key}",
            full_name_bangla=f"আবেদনকারী {n}",
            birth_certificate_no=f"2008123456789{n:04d}",
            mobile_student=f"0181234{n:04d}",
            email=f"{key}@example.com",
            submitted_at=submitted_at,
            **over,
        )
    )


def _signup(key, department, submitted_at):
    return services.teacher_signup_submit(
        password="a-long-secret-123",
        full_name_english=f"Teacher {key}",
        full_name_bangla="শিক্ষক",
        email=f"{key}@example.edu.bd",
        mobile_number="01712345678",
        designation="Instructor",
        department=department,
        username=key,
        submitted_at=submitted_at,
    )


def _correction(student, field_name, value, acting_user, submitted_at):
    request = services.correction_submit(
        student=student,
        field_name=field_name,
        requested_value=value,
        reason="As on the certificate",
        acting_user=acting_user,
    )
    # The service stamps "now"; the date filter needs requests of other days.
    CorrectionRequest.objects.filter(pk=request.pk).update(submitted_at=submitted_at)
    request.refresh_from_db()
    return request


@pytest.fixture
def world(registrar_cst, registrar, head):
    from records.models import Department

    cst = Department.objects.get(code="CST")
    eee = DepartmentFactory(code="EEE", name="Electrical Engineering")
    s2026 = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    s2027 = AcademicSessionFactory(
        name="2027-28", start_date=date(2027, 7, 1), end_date=date(2028, 6, 30)
    )

    admissions: dict = {}
    # 20:00 UTC on 1 July is 02:00 on 2 July in Dhaka: a local date of 2 July.
    admissions["adm_pending"] = _admission(
        admissions, "adm_pending", cst, s2026, at(2026, 7, 1, 20)
    )
    admissions["adm_approved"] = _admission(
        admissions,
        "adm_approved",
        cst,
        s2026,
        at(2026, 6, 20),
        desired_shift="day",
    )
    admissions["adm_rejected"] = _admission(
        admissions, "adm_rejected", eee, s2027, at(2026, 6, 25), semester=2
    )
    admissions["adm_eee_pending"] = _admission(
        admissions,
        "adm_eee_pending",
        eee,
        s2026,
        at(2026, 7, 5),
        desired_shift="day",
    )
    approved = services.request_approve(
        request=admissions["adm_approved"], acting_user=registrar
    )
    admissions["adm_approved"] = services.request_approve(
        request=approved, acting_user=head
    )
    admissions["adm_rejected"] = services.request_reject(
        request=admissions["adm_rejected"],
        acting_user=registrar,
        note="The SSC certificate is missing.",
    )

    signups = {
        "sg_pending": _signup("sg_pending", cst, at(2026, 7, 3)),
        "sg_approved": _signup("sg_approved", eee, at(2026, 6, 10)),
        "sg_rejected": _signup("sg_rejected", cst, at(2026, 6, 15)),
    }
    signups["sg_approved"] = services.request_approve(
        request=signups["sg_approved"], acting_user=head
    )
    signups["sg_rejected"] = services.request_reject(
        request=signups["sg_rejected"], acting_user=head, note="No vacancy."
    )

    student_cst = StudentFactory(
        department=cst, session=s2026, semester=1, shift="morning"
    )
    student_eee = StudentFactory(department=eee, session=s2027, semester=2, shift="day")
    corrections = {
        "cr_pending": _correction(
            student_cst, "father_name", "Abdul Karim Mia", registrar, at(2026, 7, 10)
        ),
        "cr_approved": _correction(
            student_eee, "mother_name", "Rokeya Begum Mia", registrar, at(2026, 6, 1)
        ),
        "cr_rejected": _correction(
            student_cst, "mobile_student", "01999999999", registrar, at(2026, 6, 15)
        ),
    }
    corrections["cr_approved"] = services.request_approve(
        request=corrections["cr_approved"], acting_user=registrar
    )
    corrections["cr_rejected"] = services.request_reject(
        request=corrections["cr_rejected"], acting_user=registrar, note="No proof."
    )
    by_listing = {ADMISSIONS: admissions, SIGNUPS: signups, CORRECTIONS: corrections}
    return World(
        cst=cst,
        eee=eee,
        s2026=s2026,
        s2027=s2027,
        requests={**admissions, **signups, **corrections},
        by_listing=by_listing,
    )


def login(client, user, password):
    assert client.login(username=user.username, password=password)
    return client


def listing(client, name, params=None):
    response = client.get(reverse(f"{name}:index"), params or {})
    assert response.status_code == 200, response.content[:500]
    return response


def keys_of(response, world, name):
    """The fixture keys of the listed requests (every page)."""
    by_pk = {request.pk: key for key, request in world.by_listing[name].items()}
    paginator = response.context["paginator"]
    return {by_pk[item.pk] for item in paginator.object_list}


def review(request):
    return reverse("workflows_desk:review", args=[request.kind, request.pk])


# --- What each listing shows ------------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_each_listing_shows_decided_and_pending_requests(
    client, password, head, world, name
):
    login(client, head, password)
    response = listing(client, name)
    expected = world.by_listing[name]
    assert keys_of(response, world, name) == set(expected)
    statuses = {item.status for item in response.context["object_list"]}
    assert RequestStatus.PENDING in statuses and RequestStatus.APPROVED in statuses
    content = response.content.decode()
    for request in expected.values():
        # Each row opens the desk's review screen.
        assert review(request) in content
    # Pending rows name the stage waiting to act; decided ones who decided.
    assert "Pending · " in content
    for request in expected.values():
        if request.reviewed_by is not None:
            assert f"{request.reviewed_by.get_full_name()}, " in content


def test_admission_rows_carry_number_names_class_and_decision(
    client, password, head, world
):
    login(client, head, password)
    content = listing(client, ADMISSIONS).content.decode()
    approved = world.requests["adm_approved"]
    assert approved.application_number in content
    assert approved.full_name_english in content
    assert approved.full_name_bangla in content
    assert "2026-27 · 1st semester · Day" in content
    assert "Pending · Registrar review" in content


# --- Filters: the GET parameters dashboards link to -----------------------------------


def _cases(world):
    cst, eee, s2026, s2027 = world.cst.pk, world.eee.pk, world.s2026.pk, world.s2027.pk
    return {
        ADMISSIONS: [
            ({"status": "pending"}, {"adm_pending", "adm_eee_pending"}),
            ({"status": "approved"}, {"adm_approved"}),
            ({"status": "rejected"}, {"adm_rejected"}),
            ({"department": cst}, {"adm_pending", "adm_approved"}),
            ({"department": eee}, {"adm_rejected", "adm_eee_pending"}),
            ({"session": s2027}, {"adm_rejected"}),
            ({"session": s2026}, {"adm_pending", "adm_approved", "adm_eee_pending"}),
            ({"semester": 2}, {"adm_rejected"}),
            ({"shift": "day"}, {"adm_approved", "adm_eee_pending"}),
            # Local dates: 20:00 UTC on 1 July is 2 July in Dhaka.
            ({"submitted_at_after": "2026-07-02"}, {"adm_pending", "adm_eee_pending"}),
            ({"submitted_at_before": "2026-07-01"}, {"adm_approved", "adm_rejected"}),
            (
                {
                    "submitted_at_after": "2026-06-21",
                    "submitted_at_before": "2026-07-02",
                },
                {"adm_rejected", "adm_pending"},
            ),
            ({"status": "pending", "department": cst}, {"adm_pending"}),
        ],
        SIGNUPS: [
            ({"status": "pending"}, {"sg_pending"}),
            ({"status": "approved"}, {"sg_approved"}),
            ({"status": "rejected"}, {"sg_rejected"}),
            ({"department": cst}, {"sg_pending", "sg_rejected"}),
            ({"department": eee}, {"sg_approved"}),
            ({"submitted_at_after": "2026-06-12"}, {"sg_pending", "sg_rejected"}),
            ({"submitted_at_before": "2026-06-15"}, {"sg_approved", "sg_rejected"}),
        ],
        CORRECTIONS: [
            ({"status": "pending"}, {"cr_pending"}),
            ({"status": "approved"}, {"cr_approved"}),
            ({"field_name": "mobile_student"}, {"cr_rejected"}),
            ({"field_name": "father_name"}, {"cr_pending"}),
            ({"department": cst}, {"cr_pending", "cr_rejected"}),
            ({"department": eee}, {"cr_approved"}),
            ({"session": s2027}, {"cr_approved"}),
            ({"semester": 1}, {"cr_pending", "cr_rejected"}),
            ({"shift": "day"}, {"cr_approved"}),
            ({"submitted_at_after": "2026-06-10"}, {"cr_pending", "cr_rejected"}),
            ({"submitted_at_before": "2026-06-14"}, {"cr_approved"}),
        ],
    }


@pytest.mark.parametrize("name", LISTINGS)
def test_each_filter_parameter_narrows_the_listing(client, password, head, world, name):
    login(client, head, password)
    assert len(keys_of(listing(client, name), world, name)) == len(
        world.by_listing[name]
    )
    for params, expected in _cases(world)[name]:
        response = listing(client, name, params)
        assert response.context["paginator"].count == len(expected), params
        assert keys_of(response, world, name) == expected, params


def test_the_filter_form_uses_the_documented_parameter_names(
    client, password, head, world
):
    login(client, head, password)
    content = listing(client, CORRECTIONS).content.decode()
    for param in (
        "status",
        "field_name",
        "department",
        "session",
        "semester",
        "shift",
        "submitted_at_after",
        "submitted_at_before",
    ):
        assert f'name="{param}"' in content, param


# --- Search, ordering, pagination --------------------------------------------------


def test_search_by_number_name_email_and_mobile(client, password, head, world):
    login(client, head, password)
    approved = world.requests["adm_approved"]
    for query in (
        approved.application_number,
        "Applicant adm_approved",
        "adm_approved@example.com",
        approved.mobile_student,
    ):
        response = listing(client, ADMISSIONS, {"q": query})
        assert keys_of(response, world, ADMISSIONS) == {"adm_approved"}, query

    signup = world.requests["sg_rejected"]
    for query in ("sg_rejected@example.edu.bd", f"#{signup.pk}", "Teacher sg_rej"):
        response = listing(client, SIGNUPS, {"q": query})
        assert "sg_rejected" in keys_of(response, world, SIGNUPS), query
    assert keys_of(listing(client, SIGNUPS, {"q": "nobody"}), world, SIGNUPS) == set()

    correction = world.requests["cr_approved"]
    roll = correction.student.current_roll_number
    response = listing(client, CORRECTIONS, {"q": roll})
    assert keys_of(response, world, CORRECTIONS) == {"cr_approved"}


def test_ordering_and_pagination(client, password, head, world):
    login(client, head, password)
    newest_first = [
        item.pk for item in listing(client, ADMISSIONS).context["object_list"]
    ]
    oldest_first = [
        item.pk
        for item in listing(client, ADMISSIONS, {"ordering": "submitted_at"}).context[
            "object_list"
        ]
    ]
    assert newest_first == list(reversed(oldest_first))
    assert newest_first[0] == world.requests["adm_eee_pending"].pk
    assert listing(client, ADMISSIONS).context["paginator"].per_page == 50


# --- Who sees what ------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_a_registrar_sees_only_their_departments(
    client, password, registrar_cst, world, name
):
    login(client, registrar_cst, password)
    listed = keys_of(listing(client, name), world, name)
    mine = {
        key
        for key, request in world.by_listing[name].items()
        if services.department_of(request) == world.cst
    }
    assert listed == mine and mine
    # A filter for the other department shows nothing, rather than a leak.
    response = listing(client, name, {"department": world.eee.pk})
    assert response.context["paginator"].count == 0

    for key, request in world.by_listing[name].items():
        url = reverse(f"{name}:inspect", args=[request.pk])
        expected = 200 if key in mine else 404
        assert client.get(url).status_code == expected, key


def test_the_institute_head_and_an_institute_wide_registrar_see_everything(
    client, password, head, registrar, world
):
    for user in (head, registrar):
        login(client, user, password)
        for name in LISTINGS:
            listed = keys_of(listing(client, name), world, name)
            assert listed == set(world.by_listing[name])


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT])
def test_teachers_and_students_are_refused(client, password, make_user, world, role):
    user = make_user(role, account_status=AccountStatus.ACTIVE)
    login(client, user, password)
    for name in LISTINGS:
        assert client.get(reverse(f"{name}:index")).status_code == 403
        request = next(iter(world.by_listing[name].values()))
        url = reverse(f"{name}:inspect", args=[request.pk])
        assert client.get(url).status_code == 403
    if role == Role.TEACHER:
        response = client.get(reverse(f"{ADMISSIONS}:index"))
        assert b"Your role may not do this here" in response.content
        home = client.get(reverse("wagtailadmin_home")).content.decode()
        assert "/admin/requests/" not in home


def test_the_menu_group_is_shown_to_those_who_may_browse(
    client, password, registrar_cst, world
):
    login(client, registrar_cst, password)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Applications \\u0026 requests" in home or "Applications &amp; requests" in (
        home
    )
    for name in LISTINGS:
        assert reverse(f"{name}:index") in home


# --- Read only --------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_no_add_edit_or_delete(client, password, head, world, name):
    for url_name in ("add", "edit", "delete", "copy", "history", "usage"):
        args = [] if url_name == "add" else [1]
        with pytest.raises(NoReverseMatch):
            reverse(f"{name}:{url_name}", args=args)
    login(client, head, password)
    request = next(iter(world.by_listing[name].values()))
    index = reverse(f"{name}:index")
    for path in ("new/", f"edit/{request.pk}/", f"delete/{request.pk}/"):
        assert client.get(index + path).status_code == 404
    content = listing(client, name).content.decode()
    assert f"{index}new/" not in content and "/edit/" not in content


def test_inspect_shows_the_request_and_links_to_review_never_the_password(
    client, password, head, world
):
    login(client, head, password)
    signup = world.requests["sg_pending"]
    response = client.get(reverse(f"{SIGNUPS}:inspect", args=[signup.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert signup.email in content and review(signup) in content
    assert signup.password_hash not in content

    application = world.requests["adm_approved"]
    response = client.get(reverse(f"{ADMISSIONS}:inspect", args=[application.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert application.application_number in content
    # Submitted 04:00 UTC: shown as 10:00, the institute's time.
    local = timezone.localtime(application.submitted_at)
    assert local.hour == 10
    assert date_format(local, "SHORT_DATETIME_FORMAT") in content


# --- Export -----------------------------------------------------------------------


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_is_the_filtered_listing(client, password, head, world):
    login(client, head, password)
    page = listing(client, ADMISSIONS, {"status": "approved", "p": 1}).content
    # The download links carry the filters, never the page.
    assert b"?status=approved&amp;export=csv" in page
    assert b"export=xlsx" in page
    response = client.get(
        reverse(f"{ADMISSIONS}:index"), {"status": "approved", "export": "csv"}
    )
    assert response.status_code == 200
    rows = _csv_rows(response)
    assert rows[0][0] == "Application number"
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [world.requests["adm_approved"].application_number]
    entry = ActivityLog.objects.filter(action_type=ActivityAction.EXPORT).latest("pk")
    assert entry.changes["filters"] == {"status": "approved"}
    assert entry.changes["rows"] == 1

    response = client.get(reverse(f"{CORRECTIONS}:index"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument"
    )


def test_a_registrar_exports_only_their_departments(
    client, password, registrar_cst, world
):
    login(client, registrar_cst, password)
    response = client.get(reverse(f"{SIGNUPS}:index"), {"export": "csv"})
    content = "\n".join(",".join(row) for row in _csv_rows(response))
    assert "sg_pending@example.edu.bd" in content
    assert "sg_approved@example.edu.bd" not in content  # EEE
    assert "password" not in content.lower()
