"""The admission form under load: where it posts, and what a submission costs."""

from datetime import date

import pytest
from bs4 import BeautifulSoup
from django.apps import apps as registry
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Page, PageViewRestriction
from wagtail.signal_handlers import disable_reference_index_auto_update

from tests.factories import AcademicSessionFactory, DepartmentFactory
from website.models import AdmissionFormPage, HomePage
from workflows.models import AdmissionApplication, WorkflowAction

# A submission without documents, once the page, its departments and the first
# stage are in the cache (``website.admission_offer``, ``workflows.services``):
# in one transaction the number, the application (its unique indexes keep the
# duplicate rules), its history row, the workflow action, the activity entry and
# the queued e-mail (6, with the database task backend of production), and the
# transaction's own statements (BEGIN, COMMIT).
MAX_QUERIES_PER_SUBMISSION = 8


@pytest.fixture(autouse=True)
def workflows_and_cache(db):
    from workflows.migrations import _defaults

    _defaults.create(registry, connection.alias)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cst(db):
    return DepartmentFactory(code="CST", name="Computer Science and Technology")


@pytest.fixture
def page(cst):
    session = AcademicSessionFactory(
        name="2026-27", start_date=date(2026, 7, 1), end_date=date(2027, 6, 30)
    )
    page = AdmissionFormPage(
        title="Admission 2026-27",
        slug="admission",
        session=session,
        shifts_offered=["morning"],
        required_documents=[],
    )
    HomePage.objects.first().add_child(instance=page)
    page.departments.add(cst)
    page.save_revision().publish()
    return AdmissionFormPage.objects.get(pk=page.pk)


def form_data(cst, n: int = 1, **over) -> dict:
    return {
        "full_name_english": f"Applicant {n}",
        "full_name_bangla": "নুসরাত জাহান",
        "father_name": "Abdul Karim",
        "mother_name": "Rokeya Begum",
        "date_of_birth": "2008-03-14",
        "birth_certificate_no": f"2008{n:013d}",
        "gender": "female",
        "guardian_mobile": "01712345678",
        "mobile_student": f"018{n:08d}",
        "email": f"applicant{n}@example.com",
        "previous_exam": "ssc",
        "previous_exam_board": "dhaka",
        "previous_exam_group": "science",
        "previous_exam_passing_year": "2024",
        "previous_exam_gpa": "4.50",
        "desired_department": str(cst.pk),
        "desired_shift": "morning",
        "website": "",
        **over,
    }


def form_action(client, page) -> str:
    soup = BeautifulSoup(client.get(page.url).content.decode(), "html.parser")
    return soup.find("form", class_="public-form")["action"]


def test_the_form_posts_to_its_page_by_id(
    client, page, cst, django_capture_on_commit_callbacks
):
    action = form_action(client, page)
    assert action == reverse("admission_apply", args=[page.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, form_data(cst))

    assert response.status_code == 200
    application = AdmissionApplication.objects.get()
    assert application.application_number.encode() in response.content
    assert application.session == page.session
    assert WorkflowAction.objects.filter(
        kind="admission", request_id=application.pk, action="submit"
    ).exists()
    assert application.history.count() == 1
    assert [m.to for m in mail.outbox] == [["applicant1@example.com"]]


def test_posting_to_the_page_itself_still_works(client, page, cst):
    response = client.post(page.url, form_data(cst))
    assert response.status_code == 200
    assert AdmissionApplication.objects.count() == 1


def test_a_get_of_the_form_action_goes_to_the_page(client, page):
    response = client.get(reverse("admission_apply", args=[page.pk]))
    assert response.status_code == 302
    assert response.url == page.url


def test_an_unpublished_page_takes_no_applications(client, page, cst):
    action = form_action(client, page)
    page.unpublish()
    assert client.post(action, form_data(cst)).status_code == 404
    assert not AdmissionApplication.objects.exists()


def test_the_pages_view_restrictions_hold_on_the_form_action(client, page, cst):
    action = form_action(client, page)
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    response = client.post(action, form_data(cst))
    assert b"ADM-" not in response.content
    assert not AdmissionApplication.objects.exists()


def test_a_restriction_on_an_ancestor_holds_on_the_form_action(client, page, cst):
    action = form_action(client, page)
    PageViewRestriction.objects.create(
        page=HomePage.objects.first(),
        restriction_type=PageViewRestriction.PASSWORD,
        password="x",
    )
    response = client.post(action, form_data(cst))
    assert b"ADM-" not in response.content
    assert not AdmissionApplication.objects.exists()


def test_a_restriction_on_another_page_does_not_block_the_form(client, page, cst):
    action = form_action(client, page)
    other = HomePage.objects.first().add_child(
        instance=AdmissionFormPage(
            title="Other admission", slug="other", session=page.session
        )
    )
    PageViewRestriction.objects.create(
        page=other, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    response = client.post(action, form_data(cst))
    assert response.status_code == 200
    assert AdmissionApplication.objects.get().application_number.encode() in (
        response.content
    )


def test_the_form_routes_restrictions_match_wagtails(page):
    """The flag read with the page agrees with ``Page.get_view_restrictions``."""
    from django.db.models import Exists

    from website.admission_offer import view_restrictions_on_path

    alias = page.create_alias(update_slug="admission-alias")

    def agree(target) -> bool:
        flagged = (
            AdmissionFormPage.objects.annotate(
                any_view_restriction=Exists(view_restrictions_on_path())
            )
            .get(pk=target.pk)
            .any_view_restriction
        )
        wagtail = Page.objects.get(pk=target.pk).get_view_restrictions().exists()
        assert flagged is wagtail
        return flagged

    assert not agree(page) and not agree(alias)
    # Wagtail ignores an alias's own restrictions: its source's apply.
    on_alias = PageViewRestriction.objects.create(
        page=alias, restriction_type=PageViewRestriction.LOGIN
    )
    assert not agree(page) and not agree(alias)
    on_alias.delete()
    on_page = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )
    assert agree(page) and agree(alias)
    on_page.delete()
    PageViewRestriction.objects.create(
        page=HomePage.objects.first(), restriction_type=PageViewRestriction.LOGIN
    )
    assert agree(page) and agree(alias)


def test_csrf_is_checked_on_the_form_action(page, cst):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("admission_apply", args=[page.pk]), form_data(cst))
    assert response.status_code == 403
    assert not AdmissionApplication.objects.exists()


def test_a_submission_costs_a_bounded_number_of_queries(client, page, cst, settings):
    settings.TASKS = DB_TASKS
    action = form_action(client, page)
    client.post(action, form_data(cst, n=1))  # warms the content type cache
    # Wagtail's reference index is its own bookkeeping, not the form's path.
    with (
        disable_reference_index_auto_update(),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(action, form_data(cst, n=2))
    assert response.status_code == 200
    assert AdmissionApplication.objects.count() == 2
    assert len(queries) <= MAX_QUERIES_PER_SUBMISSION, "\n".join(
        query["sql"][:120] for query in queries
    )


def test_application_numbers_follow_each_other(client, page, cst):
    action = form_action(client, page)
    for n in range(1, 4):
        assert client.post(action, form_data(cst, n=n)).status_code == 200
    numbers = sorted(
        AdmissionApplication.objects.values_list("application_number", flat=True)
    )
    assert numbers == ["ADM-2026-00001", "ADM-2026-00002", "ADM-2026-00003"]


def test_a_duplicate_mobile_is_an_error_on_its_field(client, page, cst):
    action = form_action(client, page)
    client.post(action, form_data(cst, n=1))
    first = AdmissionApplication.objects.get()
    response = client.post(
        action, form_data(cst, n=2, mobile_student=first.mobile_student)
    )
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    errors = soup.find(id="id_mobile_student-errors").get_text(" ")
    assert first.application_number in errors
    assert AdmissionApplication.objects.count() == 1


def test_a_duplicate_birth_number_is_reported_before_the_mobile(client, page, cst):
    action = form_action(client, page)
    client.post(action, form_data(cst, n=1))
    response = client.post(action, form_data(cst, n=1))
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    assert soup.find(id="id_birth_certificate_no-errors") is not None
    assert soup.find(id="id_mobile_student-errors") is None
    assert AdmissionApplication.objects.count() == 1


def test_without_a_workflow_duplicates_are_reported_first(client, page, cst):
    from workflows.models import WorkflowStage

    action = form_action(client, page)
    client.post(action, form_data(cst, n=1))
    AdmissionApplication.objects.update(stage=None)
    WorkflowStage.objects.filter(workflow__kind="admission").delete()

    duplicate = client.post(action, form_data(cst, n=1))
    soup = BeautifulSoup(duplicate.content.decode(), "html.parser")
    assert soup.find(id="id_birth_certificate_no-errors") is not None

    fresh = client.post(action, form_data(cst, n=2))
    assert b"There is no approval workflow" in fresh.content
    assert AdmissionApplication.objects.count() == 1


# --- The page and its departments, kept in the cache ----------------------------------


def test_the_page_and_its_departments_are_read_once(client, page, cst):
    action = form_action(client, page)  # the GET reads them into the cache
    with CaptureQueriesContext(connection) as queries:
        client.post(action, form_data(cst))
    tables = " ".join(query["sql"] for query in queries)
    assert "wagtailcore_page" not in tables
    assert "records_department" not in tables
    assert AdmissionApplication.objects.count() == 1


def test_a_department_added_and_published_is_offered_at_once(client, page, cst):
    action = form_action(client, page)
    eee = DepartmentFactory(code="EEE", name="Electrical Engineering")
    response = client.post(action, form_data(cst, desired_department=str(eee.pk)))
    assert b"Select a valid choice" in response.content
    assert not AdmissionApplication.objects.exists()

    page.departments.add(eee)
    page.save_revision().publish()

    assert b"Electrical Engineering" in client.get(page.url).content
    response = client.post(action, form_data(cst, desired_department=str(eee.pk)))
    assert AdmissionApplication.objects.get().desired_department == eee


def test_a_department_withdrawn_is_refused_at_once(client, page, cst):
    action = form_action(client, page)
    eee = DepartmentFactory(code="EEE", name="Electrical Engineering")
    page.departments.add(eee)
    page.save_revision().publish()
    form_action(client, page)  # cached with both
    page.departments.remove(cst)
    page.save_revision().publish()

    response = client.post(action, form_data(cst))
    assert b"Select a valid choice" in response.content
    assert not AdmissionApplication.objects.exists()


def test_a_renamed_department_shows_its_new_name(client, page, cst):
    form_action(client, page)
    cst.name = "Computer Science and Engineering"
    cst.save()
    assert b"Computer Science and Engineering" in client.get(page.url).content


def test_new_dates_apply_at_once(client, page, cst):
    action = form_action(client, page)
    page.closes_on = date(2020, 1, 31)
    page.save_revision().publish()
    response = client.post(action, form_data(cst))
    assert b"ADM-" not in response.content
    assert not AdmissionApplication.objects.exists()


def test_a_deleted_page_takes_no_applications(client, page, cst):
    action = form_action(client, page)
    Page.objects.get(pk=page.pk).delete()
    assert client.post(action, form_data(cst)).status_code == 404
    assert not AdmissionApplication.objects.exists()


def test_a_preview_shows_the_drafts_departments(page, cst, rf):
    """A draft's departments show in its preview, not the live page's cached ones."""
    from website.admission_offer import departments_for, live_page

    eee = DepartmentFactory(code="EEE", name="Electrical Engineering")
    live_page(page.pk)  # cached: CST only
    draft = AdmissionFormPage.objects.get(pk=page.pk)
    draft.departments.add(eee)  # in memory: a draft is not saved to the page
    request = rf.get("/")
    request.is_preview = True
    assert list(departments_for(draft, request)) == [cst, eee]
    assert list(departments_for(draft, rf.get("/"))) == [cst]


def test_the_cache_is_forgotten_again_after_commit(
    page, cst, django_capture_on_commit_callbacks
):
    """A copy read by another request before the change committed is dropped."""
    from website.admission_offer import KEY, live_page

    live_page(page.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        cst.name = "Computer Science and Engineering"
        cst.save()
        stale = live_page(page.pk)  # another request, still before the commit
        assert cache.get(KEY % page.pk) is not None
    assert stale is not None
    for callback in callbacks:
        callback()
    assert cache.get(KEY % page.pk) is None
    assert live_page(page.pk).offered_departments[0].name == (
        "Computer Science and Engineering"
    )


# --- The applicant's e-mail, queued with the application ------------------------------

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_email_is_queued_in_the_applications_transaction(
    client, page, cst, settings
):
    from django_tasks_db.models import DBTaskResult

    action = form_action(client, page)
    settings.TASKS = DB_TASKS
    response = client.post(action, form_data(cst))

    application = AdmissionApplication.objects.get()
    assert application.application_number.encode() in response.content
    assert mail.outbox == []  # the worker sends it, not the request
    task = DBTaskResult.objects.get()
    assert task.task_path == "workflows.tasks.send_notification"
    email, subject, body = task.args_kwargs["args"]
    assert email == "applicant1@example.com"
    assert application.application_number in subject


def test_a_refused_submission_queues_no_email(client, page, cst, settings):
    from django_tasks_db.models import DBTaskResult

    action = form_action(client, page)
    settings.TASKS = DB_TASKS
    client.post(action, form_data(cst, n=1))
    client.post(action, form_data(cst, n=2, mobile_student="01800000001"))
    assert AdmissionApplication.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
