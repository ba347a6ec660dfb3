"""The public admission form, the teacher signup and the private status link.

The form pages are Wagtail pages whose ``serve()`` lands here (Wagtail's form
builder has no file field). Every submission goes through the workflows
services, in one transaction with its documents.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.views import serve_chain

from records import ratelimit
from records.activity import client_ip
from records.errors import BusinessRuleError
from records.models import Student
from records.roles import AdmissionStatus, Role
from workflows import services
from workflows.models import AdmissionApplication, RequestStatus

from . import admission_offer
from .forms import (
    AdmissionForm,
    DocumentUploadForm,
    TeacherSignupForm,
    add_service_error,
    document_field_name,
)

STATUS_SALT = "admission-status"
TOO_MANY = _(
    "Too many submissions from your network in the last hour. Please try again later."
)


# --- Helpers -------------------------------------------------------------------------


def status_token(application) -> str:
    return signing.dumps(application.pk, salt=STATUS_SALT)


def status_url(application) -> str:
    return reverse("admission_status", args=[status_token(application)])


def rate_limited(request, scope: str) -> bool:
    """Count one submission from this IP; True once over the hourly limit."""
    limit = getattr(settings, "CAMPUSDESK_ADMISSION_RATE_PER_HOUR", 10)
    key = f"campusdesk:rate:{scope}:{client_ip(request) or 'unknown'}"
    return ratelimit.attempt(key, 3600).count > limit


def too_many(request, page):
    return render(
        request,
        "website/too_many_requests.html",
        {"page": page, "message": TOO_MANY},
        status=429,
    )


class _Rollback(Exception):
    """A document was refused: undo the application made just before it."""


def admission_page_for(user):
    """Property 3: where a signed-in student without approved admission goes."""
    if not (user and user.is_authenticated):
        return None
    if user.role not in (Role.STUDENT, Role.CAPTAIN):
        return None
    if user.admission_status == AdmissionStatus.APPROVED:
        return None
    if Student.objects.filter(user=user).exists():
        # Entered by the office (import, data entry): already a student.
        return None
    from .models import AdmissionFormPage

    page = AdmissionFormPage.objects.live().order_by("path").first()
    return page.url if page is not None else None


# --- The admission form --------------------------------------------------------------


def serve_admission_form(page, request):
    if not page.is_open():
        return render(request, "website/admission_closed.html", {"page": page})
    if request.method != "POST":
        form = AdmissionForm(page=page, departments=_departments(page, request))
        return render(request, "website/admission_form_page.html", _ctx(page, form))

    if rate_limited(request, "admission"):
        return too_many(request, page)
    form = AdmissionForm(
        request.POST,
        request.FILES,
        page=page,
        departments=_departments(page, request),
    )
    if form.is_bot:
        return render(
            request,
            "website/admission_thanks.html",
            {"page": page, "application": None},
        )
    if not form.is_valid():
        return render(request, "website/admission_form_page.html", _ctx(page, form))
    user = request.user if request.user.is_authenticated else None
    documents = form.documents()
    try:
        # Without documents the service's own transaction is the whole unit;
        # an outer one would only add a savepoint.
        with transaction.atomic() if documents else nullcontext():
            application = services.admission_submit(
                acting_user=user,
                session=page.session,
                semester=1,
                **form.application_fields(),
            )
            for kind, uploaded in documents:
                try:
                    services.admission_document_add(
                        application=application,
                        kind=kind,
                        uploaded_file=uploaded,
                        acting_user=user,
                    )
                except ValidationError as error:
                    form.add_error(document_field_name(kind), error.messages)
                    raise _Rollback from error
    except _Rollback:
        return render(request, "website/admission_form_page.html", _ctx(page, form))
    except ValidationError as error:
        add_service_error(form, error)
        return render(request, "website/admission_form_page.html", _ctx(page, form))
    except BusinessRuleError as error:
        form.add_error(None, str(error))
        return render(request, "website/admission_form_page.html", _ctx(page, form))
    return render(
        request,
        "website/admission_thanks.html",
        {
            "page": page,
            "application": application,
            "status_url": request.build_absolute_uri(status_url(application)),
        },
    )


def _departments(page, request) -> tuple:
    return admission_offer.departments_for(page, request)


def _ctx(page, form) -> dict:
    return {"page": page, "form": form}


def admission_apply(request, page_id: int):
    """Where the admission form posts: the page found by its id, not its path.

    Routing by path walks the page tree (a site lookup, then a query or two per
    level); the form knows its page, so the page (with its session and its
    departments, ``admission_offer``) is found by id, from the cache when it
    is there. Everything else Wagtail does before serving a page still
    happens (view restrictions, allowed methods, the serve hooks); a GET goes
    to the page.
    """
    page = admission_offer.live_page(page_id)
    if page is None:
        raise Http404
    if request.method != "POST":
        url = page.get_url(request)
        if not url:
            raise Http404
        return redirect(url)
    return _serve_like_wagtail(page, request)


def _serve_like_wagtail(page, request):
    """``wagtail.views.serve`` once the route is known: hooks, then the page."""
    on_serve_chain = serve_chain
    for hook in reversed(hooks.get_hooks("on_serve_page")):
        on_serve_chain = hook(on_serve_chain)
    for hook in hooks.get_hooks("before_serve_page"):
        result = hook(page, request, (), {})
        if isinstance(result, HttpResponse):
            return result
    return on_serve_chain(page, request, (), {})


# --- The status link -----------------------------------------------------------------


def admission_status(request, token: str):
    try:
        pk = signing.loads(token, salt=STATUS_SALT)
    except signing.BadSignature as error:
        raise Http404 from error
    application = (
        AdmissionApplication.objects.select_related("stage", "desired_department")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404
    returned = application.status == RequestStatus.RETURNED
    upload_form = DocumentUploadForm()
    if request.method == "POST":
        if not returned:
            messages.error(
                request, gettext("This application cannot be changed any more.")
            )
            return redirect(request.path)
        action = request.POST.get("action")
        if action == "resubmit":
            try:
                services.request_resubmit(request=application)
            except (ValidationError, BusinessRuleError) as error:
                messages.error(request, " ".join(_messages(error)))
            else:
                messages.success(request, gettext("Your application was resubmitted."))
            return redirect(request.path)
        upload_form = DocumentUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            try:
                services.admission_document_add(
                    application=application,
                    kind=upload_form.cleaned_data["kind"],
                    uploaded_file=upload_form.cleaned_data["file"],
                )
            except ValidationError as error:
                upload_form.add_error("file", error.messages)
            except BusinessRuleError as error:
                upload_form.add_error(None, str(error))
            else:
                messages.success(request, gettext("The document was added."))
                return redirect(request.path)
    return render(
        request,
        "website/admission_status.html",
        {
            "application": application,
            "documents": application.documents.all(),
            "returned": returned,
            "show_note": application.status
            in (RequestStatus.RETURNED, RequestStatus.REJECTED),
            "upload_form": upload_form,
        },
    )


def _messages(error) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error)]


# --- The teacher signup --------------------------------------------------------------


def serve_teacher_signup(page, request):
    if request.method != "POST":
        form = TeacherSignupForm()
        return render(request, "website/teacher_signup_page.html", _ctx(page, form))
    if rate_limited(request, "teacher_signup"):
        return too_many(request, page)
    form = TeacherSignupForm(request.POST)
    if form.is_bot:
        return render(request, "website/teacher_signup_thanks.html", {"page": page})
    if form.is_valid():
        try:
            services.teacher_signup_submit(
                password=form.cleaned_data["password1"], **form.signup_fields()
            )
        except ValidationError as error:
            add_service_error(form, error)
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "website/teacher_signup_thanks.html", {"page": page})
    return render(request, "website/teacher_signup_page.html", _ctx(page, form))
