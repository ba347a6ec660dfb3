"""Documents through the API: upload, list, download, delete (Properties 23 and 24),
each role's reach (Property 12), errors in seed 000's format."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import services
from records.models import ActivityAction, ActivityLog, Document, DocumentKind
from tests.api.conftest import assert_error
from tests.records.test_documents import jpeg_bytes, pdf_bytes, png_bytes, stored_files

DOCUMENTS = "/api/v1/documents/"


def detail(document) -> str:
    return f"{DOCUMENTS}{document.pk}/"


def download(document) -> str:
    return f"{DOCUMENTS}{document.pk}/download/"


def upload_of(student, name="ssc.pdf", content=None, kind=DocumentKind.SSC_CERTIFICATE):
    return services.document_upload(
        student=student,
        kind=kind,
        uploaded_file=SimpleUploadedFile(name, content or pdf_bytes(name)),
    )


@pytest.fixture
def documents(institute):
    """One document of the signed-in student, one of department A, one of B."""
    return {
        "own": upload_of(institute.own_student, "own.pdf"),
        "a": upload_of(
            institute.students_a[1], "photo-a.png", png_bytes(), DocumentKind.PHOTO
        ),
        "b": upload_of(institute.students_b[0], "nid-b.jpg", jpeg_bytes(), "nid"),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def form(student, content, name="certificate.pdf", kind=DocumentKind.SSC_CERTIFICATE):
    return {
        "student": student.pk,
        "kind": kind,
        "file": SimpleUploadedFile(name, content),
    }


# --- List and details (Property 12) ------------------------------------------------------


@pytest.mark.django_db
def test_list_is_scoped_by_role(api, institute, documents):
    own, a, b = documents["own"], documents["a"], documents["b"]
    api.force_login(institute.head)
    assert ids(api.get(DOCUMENTS)) == {own.pk, a.pk, b.pk}
    api.force_login(institute.registrar_all)
    assert ids(api.get(DOCUMENTS)) == {own.pk, a.pk, b.pk}
    api.force_login(institute.registrar_a)
    assert ids(api.get(DOCUMENTS)) == {own.pk, a.pk}
    api.force_login(institute.student_user)
    assert ids(api.get(DOCUMENTS)) == {own.pk}
    # Teachers have no documents in the rules (nor in the back office).
    api.force_login(institute.teacher)
    assert ids(api.get(DOCUMENTS)) == set()


@pytest.mark.django_db
def test_list_filters_search_and_ordering(api, institute, documents):
    api.force_login(institute.head)
    student = institute.students_a[1]
    assert ids(api.get(DOCUMENTS, {"student": student.pk})) == {documents["a"].pk}
    assert ids(api.get(DOCUMENTS, {"kind": "nid"})) == {documents["b"].pk}
    assert ids(
        api.get(DOCUMENTS, {"kind": DocumentKind.PHOTO, "student": student.pk})
    ) == {documents["a"].pk}
    assert ids(api.get(DOCUMENTS, {"search": "NID-B"})) == {documents["b"].pk}
    assert ids(api.get(DOCUMENTS, {"search": student.current_roll_number})) == {
        documents["a"].pk
    }
    rows = api.get(DOCUMENTS, {"ordering": "original_name"}).json()["results"]
    assert [r["original_name"] for r in rows] == ["nid-b.jpg", "own.pdf", "photo-a.png"]
    newest_first = api.get(DOCUMENTS).json()["results"]
    assert [r["id"] for r in newest_first] == [
        documents["b"].pk,
        documents["a"].pk,
        documents["own"].pk,
    ]
    body = assert_error(api.get(DOCUMENTS, {"kind": "passport"}), 400)
    assert "kind" in body["field_errors"]


@pytest.mark.django_db
def test_detail_metadata(api, institute, documents):
    api.force_login(institute.registrar_a)
    document = documents["a"]
    body = api.get(detail(document)).json()
    assert body == {
        "id": document.pk,
        "student": institute.students_a[1].pk,
        "kind": "photo",
        "kind_label": "Photo",
        "original_name": "photo-a.png",
        "content_type": "image/png",
        "size": document.size,
        "uploaded_by": None,
        "uploaded_at": body["uploaded_at"],
        "download_url": f"/api/v1/documents/{document.pk}/download/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("head", {"own", "a", "b"}),
        ("registrar_all", {"own", "a", "b"}),
        ("registrar_a", {"own", "a"}),
        ("teacher", set()),
        ("student_user", {"own"}),
    ],
)
def test_detail_and_download_reach(api, institute, documents, who, visible):
    api.force_login(getattr(institute, who))
    for name, document in documents.items():
        if name in visible:
            assert api.get(detail(document)).status_code == 200
            assert api.get(download(document)).status_code == 200
        else:
            assert_error(api.get(detail(document)), 404)
            assert_error(api.get(download(document)), 404)


@pytest.mark.django_db
def test_anonymous_is_401(api, institute, documents):
    document = documents["own"]
    for response in (
        api.get(DOCUMENTS),
        api.get(detail(document)),
        api.get(download(document)),
        api.delete(detail(document)),
        api.post(
            DOCUMENTS, form(institute.own_student, pdf_bytes()), format="multipart"
        ),
    ):
        assert_error(response, 401)
    assert Document.objects.filter(pk=document.pk).exists()


# --- Download ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_download_streams_the_file_as_an_attachment(api, institute, documents):
    api.force_login(institute.student_user)
    document = documents["own"]
    response = api.get(download(document), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="own.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes("own.pdf")


@pytest.mark.django_db
def test_download_of_a_missing_file_is_404(api, institute, documents):
    document = documents["a"]
    document.file.storage.delete(document.file.name)
    api.force_login(institute.head)
    assert_error(api.get(download(document)), 404)


# --- Upload (Property 23) ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.pdf", pdf_bytes("scan"), "application/pdf"),
        ("photo.png", png_bytes(), "image/png"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
    ],
)
def test_upload_stores_file_and_row_together(
    api, institute, name, content, content_type
):
    # Feature: full-stack-integration, Property 23: File upload and metadata consistency
    student = institute.students_a[2]
    api.force_login(institute.registrar_a)
    before = stored_files()
    response = api.post(DOCUMENTS, form(student, content, name), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body["student"] == student.pk
    assert body["original_name"] == name
    assert body["content_type"] == content_type
    assert body["size"] == len(content)
    assert body["uploaded_by"] == institute.registrar_a.pk
    path = Path(document.file.path)
    assert stored_files() - before == {path}
    assert path.read_bytes() == content
    entry = ActivityLog.objects.for_entity(document).get()
    assert entry.action_type == ActivityAction.CREATE
    assert entry.user == institute.registrar_a
    assert document.history.count() == 1


@pytest.mark.django_db
def test_head_uploads_anywhere(api, institute):
    api.force_login(institute.head)
    student = institute.students_b[0]
    response = api.post(
        DOCUMENTS, form(student, png_bytes(), "p.png"), format="multipart"
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"file": SimpleUploadedFile("notes.pdf", b"just text, not a PDF")}, "file"),
        ({"file": SimpleUploadedFile("page.png", b"<html><script>")}, "file"),
        ({"file": SimpleUploadedFile("empty.pdf", b"")}, "file"),
        ({"file": SimpleUploadedFile("broken.png", png_bytes()[:40])}, "file"),
        ({"file": None}, "file"),
        ({"kind": "passport"}, "kind"),
        ({"student": 987654}, "student"),
        ({"student": ""}, "student"),
    ],
)
def test_upload_validation_errors(api, institute, data, field):
    api.force_login(institute.head)
    payload = form(institute.students_a[1], pdf_bytes())
    payload.update(data)
    payload = {k: v for k, v in payload.items() if v is not None}
    before = stored_files()
    body = assert_error(api.post(DOCUMENTS, payload, format="multipart"), 400)
    assert field in body["field_errors"], body
    # Property 23: neither file nor row.
    assert not Document.objects.exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_upload_too_large_is_400_on_the_file(api, institute, settings):
    settings.CAMPUSDESK_MAX_UPLOAD_BYTES = 1024
    api.force_login(institute.head)
    big = pdf_bytes("x" * 2000)
    before = stored_files()
    body = assert_error(
        api.post(DOCUMENTS, form(institute.students_a[1], big), format="multipart"),
        400,
    )
    assert "limit" in body["field_errors"]["file"][0]
    assert not Document.objects.exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_upload_as_json_is_415(api, institute):
    api.force_login(institute.head)
    response = api.post(
        DOCUMENTS,
        {"student": institute.students_a[1].pk, "kind": "other"},
        format="json",
    )
    assert_error(response, 415)


@pytest.mark.django_db
def test_upload_rights(api, institute):
    own = institute.own_student
    # The portal lets students see their documents, not upload them.
    api.force_login(institute.student_user)
    assert_error(api.post(DOCUMENTS, form(own, pdf_bytes()), format="multipart"), 403)
    api.force_login(institute.teacher)
    assert_error(api.post(DOCUMENTS, form(own, pdf_bytes()), format="multipart"), 403)
    # A registrar cannot even name a student outside their departments.
    api.force_login(institute.registrar_a)
    body = assert_error(
        api.post(
            DOCUMENTS, form(institute.students_b[0], pdf_bytes()), format="multipart"
        ),
        400,
    )
    assert "student" in body["field_errors"]
    assert not Document.objects.exists()


# --- Delete (Property 24) ----------------------------------------------------------------


@pytest.mark.django_db
def test_delete_removes_row_and_file(
    api, institute, documents, django_capture_on_commit_callbacks
):
    # Feature: full-stack-integration, Property 24: File deletion cleanup
    document = documents["a"]
    path = Path(document.file.path)
    assert path.exists()
    api.force_login(institute.registrar_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(detail(document))
    assert response.status_code == 204, response.content
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not path.exists()
    entry = ActivityLog.objects.filter(
        entity_type="document", entity_id=str(document.pk)
    ).latest("pk")
    assert entry.action_type == ActivityAction.DELETE
    assert entry.user == institute.registrar_a
    assert_error(api.get(detail(document)), 404)


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_file_after_a_real_commit(api, institute, documents):
    document = documents["b"]
    path = Path(document.file.path)
    api.force_login(institute.head)
    assert api.delete(detail(document)).status_code == 204
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not path.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "name", "status_code"),
    [
        ("student_user", "own", 403),  # seen in the portal, not deleted there
        ("student_user", "a", 404),
        ("teacher", "own", 404),
        ("registrar_a", "b", 404),
    ],
)
def test_delete_refused(api, institute, documents, who, name, status_code):
    document = documents[name]
    api.force_login(getattr(institute, who))
    assert_error(api.delete(detail(document)), status_code)
    assert Document.objects.filter(pk=document.pk).exists()
    assert Path(document.file.path).exists()


@pytest.mark.django_db
def test_documents_are_not_edited_in_place(api, institute, documents):
    api.force_login(institute.head)
    assert_error(api.patch(detail(documents["a"]), {}, format="multipart"), 405)
    assert_error(api.put(detail(documents["a"]), {}, format="multipart"), 405)


# --- Queries per page --------------------------------------------------------------------


@pytest.mark.django_db
def test_list_query_count_is_constant(api, institute, documents):
    api.force_login(institute.registrar_a)
    api.get(DOCUMENTS)  # warm the caches

    def count_queries(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(DOCUMENTS, params).status_code == 200
        return len(queries)

    few = count_queries()
    for n in range(25):
        upload_of(institute.students_a[n % 3], f"more-{n}.pdf")
    assert count_queries() == few
    assert count_queries(page_size=50) == few
