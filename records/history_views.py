"""Back-office screens of record history: versions, revert, deleted records, restore.

Wired into every ``RecordViewSet`` (records/viewsets.py) under the viewset's
own URL names: ``<name>:history``, ``<name>:revert``, ``<name>:deleted`` and
``<name>:restore``.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from . import history
from .errors import BusinessRuleError
from .permissions import CHANGE, HISTORY, VIEW, user_can

REVERTED_MESSAGE = _("%(record)s was reverted to the version of %(date)s.")
RESTORED_MESSAGE = _("%(record)s was restored.")


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, errors in exc.message_dict.items()
            for message in errors
        ]
    return list(exc.messages)


class RecordHistoryView(generic.HistoryView):
    """The simple-history versions of one record, newest first, in human terms."""

    template_name = "records/history/history.html"
    results_template_name = "records/history/history_results.html"
    filterset_class = None
    paginate_by = 20
    revert_url_name = None
    deleted_url_name = None

    @cached_property
    def columns(self):
        # The results template renders the versions itself.
        return [Column("history_date", label=_("Date"))]

    def get_base_queryset(self):
        return self.object.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )

    def get_paginate_by(self, queryset):
        return self.paginate_by

    @cached_property
    def user_can_revert(self) -> bool:
        return bool(self.revert_url_name) and user_can(
            self.request.user, CHANGE, self.object
        )

    @cached_property
    def header_buttons(self):
        buttons = []
        edit_url = self.get_edit_url(self.object)
        if edit_url and user_can(self.request.user, CHANGE, self.object):
            buttons.append(
                HeaderButton(label=gettext("Edit"), url=edit_url, icon_name="edit")
            )
        if self.deleted_url_name:
            buttons.append(
                HeaderButton(
                    label=gettext("Deleted %(records)s")
                    % {"records": self.model._meta.verbose_name_plural},
                    url=reverse(self.deleted_url_name),
                    icon_name="bin",
                )
            )
        return buttons

    def get_context_data(self, *args, object_list=None, **kwargs):
        context = super().get_context_data(*args, object_list=object_list, **kwargs)
        rows = list(context["object_list"])
        older = None
        page = context.get("page_obj")
        if rows and page is not None and page.has_next():
            older = history.older_row(self.object.history, rows[-1])
        versions = history.describe_versions(self.model, rows, older)
        for version in versions:
            version.revert_url = (
                reverse(
                    self.revert_url_name,
                    args=(quote(self.object.pk), version.row.history_id),
                )
                if self.user_can_revert and version.row.history_type != "-"
                else ""
            )
            version.user_label = history.history_user_label(version.user)
        context["versions"] = versions
        context["latest_history_id"] = (
            rows[0].history_id
            if rows and page is not None and page.number == 1
            else None
        )
        return context


class HistoryActionView(WagtailAdminTemplateMixin, TemplateView):
    """Base of the revert and restore confirmation pages."""

    model = None
    index_url_name = None
    history_url_name = None
    deleted_url_name = None
    header_icon = "history"

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items]
        if self.index_url_name:
            items.append(
                {
                    "url": reverse(self.index_url_name),
                    "label": capfirst(self.model._meta.verbose_name_plural),
                }
            )
        items.append({"url": "", "label": self.get_page_title()})
        return items


class RecordRevertView(HistoryActionView):
    """Confirm (GET) and revert (POST) a record to one of its versions."""

    template_name = "records/history/revert.html"
    page_title = _("Revert to this version")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(self.model._default_manager, pk=kwargs["pk"])
        if not user_can(request.user, VIEW, self.object):
            raise Http404
        try:
            self.version = history.version_of(self.object, kwargs["history_id"])
        except ObjectDoesNotExist:
            raise Http404 from None

    def dispatch(self, request, *args, **kwargs):
        if not user_can(request.user, CHANGE, self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    @cached_property
    def history_url(self):
        return reverse(self.history_url_name, args=(quote(self.object.pk),))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            version=self.version,
            version_user=history.history_user_label(self.version.history_user),
            changes=history.revert_preview(self.object, self.version),
            cancel_url=self.history_url,
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            history.record_revert(
                instance=self.object,
                history_id=self.version.history_id,
                acting_user=request.user,
            )
        except ValidationError as exc:
            return self.render_to_response(
                self.get_context_data(errors=_error_messages(exc)), status=400
            )
        except BusinessRuleError as exc:
            return self.render_to_response(
                self.get_context_data(errors=[str(exc)]), status=400
            )
        messages.success(
            request,
            REVERTED_MESSAGE
            % {
                "record": self.object,
                "date": history._version_date(self.version),
            },
        )
        return redirect(self.history_url)


class DeletedRecordsView(HistoryActionView):
    """The deleted records of one type that the user may see, newest first."""

    template_name = "records/history/deleted.html"
    header_icon = "bin"
    paginate_by = 20
    restore_url_name = None

    def get_page_title(self):
        return gettext("Deleted %(records)s") % {
            "records": self.model._meta.verbose_name_plural
        }

    def dispatch(self, request, *args, **kwargs):
        if history.deleted_scope_q(request.user, self.model, HISTORY) is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = history.deleted_rows_for_user(self.request.user, self.model, HISTORY)
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("p"))
        entries = []
        for row in page.object_list:
            entries.append(
                {
                    "row": row,
                    "label": self._label(row),
                    "user_label": history.history_user_label(row.history_user),
                    "restore_url": reverse(
                        self.restore_url_name, args=(row.history_id,)
                    )
                    if self.restore_url_name
                    and history.user_can_restore(self.request.user, self.model, row)
                    else "",
                }
            )
        context.update(entries=entries, page_obj=page, index_url=self.request.path)
        return context

    def _label(self, row) -> str:
        try:
            return str(row.instance)
        except ObjectDoesNotExist:
            return f"{capfirst(self.model._meta.verbose_name)} #{row.id}"


class RecordRestoreView(HistoryActionView):
    """Confirm (GET) and restore (POST) a deleted record from its last version."""

    template_name = "records/history/restore.html"
    header_icon = "undo"
    page_title = _("Restore a deleted record")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        rows = history.deleted_rows_for_user(request.user, self.model, HISTORY)
        try:
            self.row = rows.get(history_id=kwargs["history_id"])
        except ObjectDoesNotExist:
            raise Http404 from None

    def dispatch(self, request, *args, **kwargs):
        if not history.user_can_restore(request.user, self.model, self.row):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fields = history.revertable_fields(self.model)
        changes = history._compare(fields, None, self.row)
        history._display(changes, history.RelatedNames())
        context.update(
            row=self.row,
            label=DeletedRecordsView._label(self, self.row),
            user_label=history.history_user_label(self.row.history_user),
            changes=changes,
            cancel_url=reverse(self.deleted_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            instance = history.record_restore(
                model=self.model,
                history_id=self.row.history_id,
                acting_user=request.user,
            )
        except ValidationError as exc:
            return self.render_to_response(
                self.get_context_data(errors=_error_messages(exc)), status=400
            )
        except BusinessRuleError as exc:
            return self.render_to_response(
                self.get_context_data(errors=[str(exc)]), status=400
            )
        messages.success(request, RESTORED_MESSAGE % {"record": instance})
        return redirect(reverse(self.history_url_name, args=(quote(instance.pk),)))
