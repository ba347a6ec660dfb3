"""Private files, served only to those allowed (never from a public media URL)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import Document, Student
from .permissions import user_can_view_document, user_can_view_student


def _private_file_response(
    file_field, *, content_type: str, filename: str, inline: bool
):
    try:
        handle = file_field.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@never_cache
@require_safe
def document_download(request, pk: int):
    document = get_object_or_404(Document.objects.select_related("student"), pk=pk)
    # 404, not 403: a guessed id must not tell whether the document exists.
    if not user_can_view_document(request.user, document):
        raise Http404
    inline = request.GET.get("inline") == "1" and document.content_type.startswith(
        "image/"
    )
    return _private_file_response(
        document.file,
        content_type=document.content_type,
        filename=document.original_name,
        inline=inline,
    )


@never_cache
@require_safe
def student_photo(request, pk: int):
    student = get_object_or_404(Student, pk=pk)
    if not student.photo or not user_can_view_student(request.user, student):
        raise Http404
    name = student.photo.name.rsplit("/", 1)[-1]
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return _private_file_response(
        student.photo, content_type=content_type, filename=name, inline=True
    )
