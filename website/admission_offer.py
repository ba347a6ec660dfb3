"""What a live admission form page offers, kept in the cache between requests.

Every submission needs the page (its session, dates, shifts, required
documents, and whether a view restriction applies) and the departments it
offers. They change when an editor publishes, but are read on every request;
reading them from PostgreSQL is two queries over six tables, the dearest part
of a submission on a fresh database connection. So they are read once and kept
in Django's cache (the shared cache in production, see ``settings.production``).

The cached copy is forgotten, at once and again after the change commits,
whenever anything it holds may have changed: the page is published,
unpublished, saved, moved, renamed or deleted (with an ancestor too), its
departments change, a view restriction is added, changed or removed anywhere,
or a department or session is saved or deleted. A per-process cache
(``LocMemCache``, the development default) only forgets in the process that
made the change; other processes see the change within ``TIMEOUT`` seconds.

Previews never use it: a preview shows the draft's own departments.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length, Substr

KEY = "campusdesk:admission-offer:%d"
TIMEOUT = 300


def live_page(page_id: int):
    """The live admission page with this id, or None.

    Its session is loaded, and two attributes are set: ``any_view_restriction``
    and ``offered_departments`` (the departments it offers, by name).
    """
    key = KEY % page_id
    page = cache.get(key)
    if page is None:
        page = _read(page_id)
        if page is None:
            return None
        cache.set(key, page, TIMEOUT)
    return page


def departments_for(page, request=None) -> tuple:
    """The departments the page offers, by name: cached unless previewing."""
    if getattr(request, "is_preview", False) or not page.pk:
        return tuple(page.departments.order_by("name"))
    offered = getattr(page, "offered_departments", None)
    if offered is None:
        cached = live_page(page.pk)
        if cached is None:  # a page served but not live: read as it is
            return tuple(page.departments.order_by("name"))
        offered = cached.offered_departments
    return offered


def _read(page_id: int):
    from .models import AdmissionFormPage

    page = (
        AdmissionFormPage.objects.live()
        .select_related("session")
        .annotate(any_view_restriction=Exists(view_restrictions_on_path()))
        .filter(pk=page_id)
        .first()
    )
    if page is not None:
        page.offered_departments = tuple(page.departments.order_by("name"))
    return page


def view_restrictions_on_path():
    """The view restrictions ``Page.get_view_restrictions`` finds, for the outer page.

    Those of the page and its ancestors (a page's path starts with each of its
    ancestors' paths), an alias's being its source page's. Read with the page,
    the common answer (none) costs no query of its own; when there are some,
    Wagtail reads them as usual (``AdmissionFormPage.get_view_restrictions``).
    """
    from wagtail.models import PageViewRestriction

    def on_path(prefix):
        return Q(
            **{f"{prefix}path": Substr(OuterRef("path"), 1, Length(f"{prefix}path"))}
        )

    return PageViewRestriction.objects.filter(
        (on_path("page__") & Q(page__alias_of__isnull=True))
        | on_path("page__aliases__")
    )


# --- Forgetting ------------------------------------------------------------------------


def forget_all() -> None:
    """Forget every page's cached copy now, and again once the change commits.

    Now, so that the process making the change reads it back at once (inside
    its transaction too); after the commit, so that a copy another request
    read before the commit does not outlive it.
    """
    _forget_now()
    transaction.on_commit(_forget_now)


def _forget_now() -> None:
    from .models import AdmissionFormPage

    ids = AdmissionFormPage.objects.values_list("pk", flat=True)
    cache.delete_many([KEY % pk for pk in ids])


def _on_change(sender, **kwargs) -> None:
    forget_all()


def connect_signals() -> None:
    """Called from ``WebsiteConfig.ready``.

    A page deleted with an ancestor is deleted through the ancestor's
    ``Page`` queryset; the cascade still sends ``post_delete`` for each
    admission page's own row, with ``AdmissionFormPage`` as the sender.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.models import PageViewRestriction
    from wagtail.signals import (
        page_published,
        page_slug_changed,
        page_unpublished,
        post_page_move,
    )

    from records.models import AcademicSession, Department

    from .models import AdmissionFormPage

    uid = "campusdesk-admission-offer"
    for name, signal in (
        ("published", page_published),
        ("unpublished", page_unpublished),
        ("moved", post_page_move),
        ("slug", page_slug_changed),
    ):
        signal.connect(_on_change, dispatch_uid=f"{uid}:{name}")
    for model in (AdmissionFormPage, PageViewRestriction, Department, AcademicSession):
        label = model._meta.label_lower
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save:{label}")
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"{uid}:delete:{label}"
        )
    m2m_changed.connect(
        _on_change,
        sender=AdmissionFormPage.departments.through,
        dispatch_uid=f"{uid}:departments",
    )
