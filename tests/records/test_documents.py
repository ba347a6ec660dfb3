"""Documents: checked by content and size, stored with their row, removed together
(Properties 23 and 24), served only to those allowed."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from PIL import Image

from records import services
from records.models import Document, DocumentKind
from records.roles import Role
from tests.factories import StudentFactory


def png_bytes(width=8, height=8, colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width=8, height=8, colour=(20, 90, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_bytes(text: str = "certificate") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode("utf-8", "replace")
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def stored_files() -> set[Path]:
    from django.conf import settings

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


valid_files = st.one_of(
    st.builds(
        lambda w, h, c: ("photo.png", png_bytes(w, h, c), "image/png"),
        st.integers(1, 40),
        st.integers(1, 40),
        st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    ),
    st.builds(
        lambda w, h: ("scan.JPG", jpeg_bytes(w, h), "image/jpeg"),
        st.integers(1, 40),
        st.integers(1, 40),
    ),
    st.builds(
        lambda t: ("ssc certificate.pdf", pdf_bytes(t), "application/pdf"),
        st.text(max_size=50),
    ),
)


class TestProperties23And24(HypothesisTestCase):
    # Feature: full-stack-integration, Property 23: File upload and metadata consistency
    # Feature: full-stack-integration, Property 24: File deletion cleanup
    @given(upload=valid_files, kind=st.sampled_from(list(DocumentKind)))
    def test_upload_stores_file_and_row_delete_removes_both(self, upload, kind):
        name, content, content_type = upload
        student = StudentFactory()
        before = stored_files()
        document = services.document_upload(
            student=student, kind=kind, uploaded_file=SimpleUploadedFile(name, content)
        )
        document.refresh_from_db()
        path = Path(document.file.path)
        assert path.exists() and path.read_bytes() == content
        assert stored_files() - before == {path}
        assert (document.original_name, document.size, document.content_type) == (
            name,
            len(content),
            content_type,
        )
        assert document.file.name.startswith(f"documents/{kind}/")
        with self.captureOnCommitCallbacks(execute=True):
            services.document_delete(document=document)
        assert not Document.objects.filter(pk=document.pk).exists()
        assert not path.exists()
        assert stored_files() == before

    @given(content=st.binary(min_size=1, max_size=512))
    def test_content_that_is_not_pdf_jpeg_or_png_is_refused(self, content):
        if content.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff")):
            return
        student = StudentFactory()
        before = stored_files()
        with pytest.raises(ValidationError):
            services.document_upload(
                student=student,
                kind=DocumentKind.OTHER,
                uploaded_file=SimpleUploadedFile("certificate.pdf", content),
            )
        assert not Document.objects.exists()
        assert stored_files() == before


def test_names_are_unique_even_for_the_same_upload(db):
    student = StudentFactory()
    first, second = (
        services.document_upload(
            student=student,
            kind=DocumentKind.NID,
            uploaded_file=SimpleUploadedFile("nid.png", png_bytes()),
        )
        for _ in range(2)
    )
    assert first.file.name != second.file.name


def test_size_limit_from_settings(db, settings):
    settings.CAMPUSDESK_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError, match="the limit is 0.0 MB|the limit is"):
        services.document_upload(
            student=StudentFactory(),
            kind=DocumentKind.OTHER,
            uploaded_file=SimpleUploadedFile(
                "big.png", png_bytes(400, 400) + b"\0" * 2048
            ),
        )
    assert not Document.objects.exists()


def test_a_fake_png_is_refused_as_damaged(db):
    with pytest.raises(ValidationError, match="cannot be read"):
        services.document_upload(
            student=StudentFactory(),
            kind=DocumentKind.PHOTO,
            uploaded_file=SimpleUploadedFile(
                "x.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20
            ),
        )


def test_rolled_back_row_leaves_no_file(db, monkeypatch):
    student = StudentFactory()
    before = stored_files()

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Document, "save", fail)
    with pytest.raises(RuntimeError):
        services.document_upload(
            student=student,
            kind=DocumentKind.OTHER,
            uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes()),
        )
    assert stored_files() == before


@pytest.fixture
def document(db):
    owner_user = None
    student = StudentFactory()
    return services.document_upload(
        student=student,
        kind=DocumentKind.SSC_CERTIFICATE,
        uploaded_file=SimpleUploadedFile("ssc.pdf", pdf_bytes("ssc")),
        acting_user=owner_user,
    )


def test_download_is_permission_checked(
    client, document, make_user, password, registrar
):
    url = reverse("records:document_download", args=[document.pk])
    assert client.get(url).status_code == 404  # anonymous: existence not revealed

    other_student = make_user(Role.STUDENT, username="other")
    client.login(username=other_student.username, password=password)
    assert client.get(url).status_code == 404

    owner = make_user(Role.STUDENT, username="owner")
    document.student.user = owner
    document.student.save(update_fields=["user"])
    client.login(username=owner.username, password=password)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes("ssc")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]

    client.login(username=registrar.username, password=password)
    assert client.get(url).status_code == 200


def test_no_public_media_url_for_documents(client, document):
    assert client.get(f"/media/{document.file.name}").status_code == 404
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018
