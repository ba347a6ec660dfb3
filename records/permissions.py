"""The permission policy of the records (object-level rules arrive with issue 4).

Every view that serves a record's data asks here, so issue 4 narrows one place.
"""

from __future__ import annotations

from .models import Document, Student


def user_can_view_student(user, student: Student) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("records.view_student"):
        return True
    return student.user_id is not None and student.user_id == user.pk


def user_can_view_document(user, document: Document) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("records.view_document"):
        return True
    student = document.student
    return student is not None and student.user_id == user.pk
