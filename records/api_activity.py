"""The documents and activity-log REST API (/api/v1/).

Documents (Properties 23 and 24) are uploaded and deleted through the same
services as the back office (``services.document_upload`` /
``services.document_delete``) and downloaded with the same permission check and
the same response as ``records:document_download``: a student reaches only
their own documents (read-only, as in the portal), registrars those of their
departments, the institute head all of them.

The activity log is the back office's log viewer as JSON: its filters, its
rule (``RULES["activitylog"]``: the head everything, a registrar their
departments, nobody else) and its CSV export (``records.exports``, formula-escaped
and written to the log itself).
"""

from __future__ import annotations

from types import SimpleNamespace

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from . import services
from .activity_views import (
    ActivityLogFilterSet,
    ActivityLogIndexView,
)
from .activity_views import (
    ActivityLogViewSet as AdminActivityLogViewSet,
)
from .api import students_visible_to
from .api_support import id_filter
from .exports import listing_export_response, user_may_export
from .models import ActivityLog, Document, DocumentKind, Student
from .permissions import (
    ADD,
    DELETE,
    VIEW,
    RecordPermissionPolicy,
    scope_queryset,
    user_can,
    user_can_place,
    user_can_view_document,
)
from .validators import ALLOWED_UPLOAD_TYPES, sniff_upload
from .views import _private_file_response
from .viewsets import SCOPE_REFUSED

NO_UPLOAD_RIGHT = _("You may not upload documents.")
NO_DELETE_RIGHT = _("You may not delete this document.")
NO_ACTIVITY_RIGHT = _("You may not see the activity log.")
NO_EXPORT_RIGHT = _("You may not export the activity log.")


class ForcedNegotiationMixin:
    """Downloads answer whatever the client accepts (a PDF, an image, CSV).

    Without this, ``Accept: application/pdf`` would be refused with 406 before
    the view runs, as the API's only renderer is JSON; errors stay JSON.
    """

    forced_actions: tuple[str, ...] = ()

    def perform_content_negotiation(self, request, force=False):
        force = force or getattr(self, "action", None) in self.forced_actions
        return super().perform_content_negotiation(request, force=force)


# --- Documents ---------------------------------------------------------------------------


def documents_visible_to(user) -> QuerySet[Document]:
    """Documents the user may see: the policy's scope, plus their own (the portal's)."""
    documents = Document.objects.all()
    own = documents.filter(student__user_id=user.pk)
    if not user.has_perm("records.view_document"):
        return own
    return scope_queryset(user, documents, VIEW) | own


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text="GET it (signed in) for the file itself."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "student",
            "kind",
            "kind_label",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        return f"/api/v1/documents/{document.pk}/download/"


class DocumentUploadSerializer(serializers.Serializer):
    """Multipart: the student, the type and the file (PDF, JPEG or PNG)."""

    student = serializers.PrimaryKeyRelatedField(queryset=Student.objects.none())
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(
        help_text="PDF, JPEG or PNG, within the upload size limit; the type is "
        "read from the file's content, not its name."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["student"].queryset = students_visible_to(request.user)

    def validate_file(self, value):
        try:
            sniff_upload(value, ALLOWED_UPLOAD_TYPES)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class DocumentFilter(filters.FilterSet):
    student = id_filter("student_id")
    kind = filters.ChoiceFilter(choices=DocumentKind.choices)

    class Meta:
        model = Document
        fields = ["student", "kind"]


BINARY_FILE = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="The file, as an attachment, with its stored content type "
    "(application/pdf, image/jpeg or image/png).",
)


@extend_schema(tags=["documents"])
@extend_schema_view(
    list=extend_schema(summary="List documents"),
    retrieve=extend_schema(summary="A document's details"),
)
class DocumentViewSet(
    ForcedNegotiationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Students' documents: list, details, upload, download and delete."""

    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    search_fields = [
        "original_name",
        "student__full_name_english",
        "student__full_name_bangla",
        "student__current_roll_number",
    ]
    ordering_fields = ["uploaded_at", "original_name", "kind", "size"]
    ordering = ["-uploaded_at", "-pk"]
    forced_actions = ("download",)
    parser_classes = [MultiPartParser, FormParser]  # uploads are multipart
    queryset = Document.objects.none()  # the schema's model; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Document.objects.none()
        return documents_visible_to(self.request.user)

    @extend_schema(
        summary="Upload a document",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    def create(self, request):
        # The back office's rule: the add right, then a student in scope.
        if not RecordPermissionPolicy(Document).user_has_permission(request.user, ADD):
            raise exceptions.PermissionDenied(NO_UPLOAD_RIGHT)
        data = DocumentUploadSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        student = data.validated_data["student"]
        if not user_can_place(request.user, ADD, Document(student=student)):
            raise exceptions.ValidationError({"student": [SCOPE_REFUSED]})
        try:
            document = services.document_upload(
                student=student,
                kind=data.validated_data["kind"],
                uploaded_file=data.validated_data["file"],
                acting_user=request.user,
            )
        except DjangoValidationError as exc:
            # As the admin's form: an error about no field is about the file.
            if hasattr(exc, "error_dict"):
                raise
            raise exceptions.ValidationError({"file": exc.messages}) from exc
        return Response(
            DocumentSerializer(document).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Delete a document (its row and its file)", responses={204: None}
    )
    def destroy(self, request, pk=None):
        document = self.get_object()
        if not user_can(request.user, DELETE, document):
            raise exceptions.PermissionDenied(NO_DELETE_RIGHT)
        services.document_delete(document=document, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download a document's file",
        responses={(200, media): BINARY_FILE for media in ALLOWED_UPLOAD_TYPES},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        document = self.get_object()
        # The download view's own check (records.views.document_download).
        if not user_can_view_document(request.user, document):
            raise exceptions.NotFound()
        try:
            return _private_file_response(
                document.file,
                content_type=document.content_type,
                filename=document.original_name,
                inline=False,
            )
        except Http404 as exc:  # the file is missing from storage
            raise exceptions.NotFound(str(exc)) from exc


# --- Activity log ------------------------------------------------------------------------


def activity_log_policy() -> RecordPermissionPolicy:
    return RecordPermissionPolicy(ActivityLog)


def _admin_export_headings() -> dict:
    # Wagtail's viewset leaves it "undefined" unless set: then the field names.
    headings = getattr(AdminActivityLogViewSet, "export_headings", None)
    return headings if isinstance(headings, dict) else {}


class ActivityLogFilter(ActivityLogFilterSet):
    """The back office's filters (action, record type, department, dates), plus
    any user and the record id."""

    user = id_filter("user_id", label=_("User"))
    entity_id = django_filters.CharFilter(label=_("Record id"))
    timestamp = django_filters.DateFromToRangeFilter(label=_("Date"))

    class Meta:
        model = ActivityLog
        fields = []


class ActivityLogSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(
        source="get_action_type_display", read_only=True
    )

    class Meta:
        model = ActivityLog
        fields = [
            "id",
            "timestamp",
            "user",
            "username",
            "action_type",
            "action_label",
            "entity_type",
            "entity_id",
            "department",
            "description",
            "changes",
            "ip_address",
            "user_agent",
        ]
        read_only_fields = fields


@extend_schema(tags=["activity-logs"])
@extend_schema_view(
    list=extend_schema(summary="List activity log entries (newest first)"),
    retrieve=extend_schema(summary="An activity log entry"),
)
class ActivityLogViewSet(ForcedNegotiationMixin, viewsets.ReadOnlyModelViewSet):
    """The back office's activity log: read and export only."""

    serializer_class = ActivityLogSerializer
    filterset_class = ActivityLogFilter
    search_fields = AdminActivityLogViewSet.search_fields
    ordering_fields = ["timestamp", "username", "action_type", "entity_type"]
    ordering = AdminActivityLogViewSet.ordering
    forced_actions = ("export",)
    queryset = ActivityLog.objects.none()  # the schema's model; see get_queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not activity_log_policy().user_has_permission(request.user, VIEW):
            raise exceptions.PermissionDenied(NO_ACTIVITY_RIGHT)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ActivityLog.objects.none()
        return scope_queryset(self.request.user, ActivityLog.objects.all(), VIEW)

    @extend_schema(
        summary="Export the filtered activity log as CSV",
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The filtered, searched and ordered entries (every "
                "page) as CSV; cells a spreadsheet would run as formulas are "
                "escaped with a leading '. The export is written to the log.",
            )
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        if not user_may_export(request.user, ActivityLog):
            raise exceptions.PermissionDenied(NO_EXPORT_RIGHT)
        queryset = self.filter_queryset(self.get_queryset())
        # The back office's export of its listing (records.exports): scoped for
        # export, written to the log, streamed, formula-escaped.
        listing = SimpleNamespace(
            request=request,
            get_queryset=lambda: queryset,
            list_export=AdminActivityLogViewSet.list_export,
            export_headings=_admin_export_headings(),
            custom_field_preprocess=ActivityLogIndexView.custom_field_preprocess,
            export_filename=AdminActivityLogViewSet.export_filename,
        )
        try:
            return listing_export_response(listing, "csv")
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(NO_EXPORT_RIGHT) from exc


router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")
router.register("activity-logs", ActivityLogViewSet, basename="activity-log")

urlpatterns: list = [*router.urls]
