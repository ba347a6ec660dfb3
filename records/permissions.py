"""The permission policy: who may see and change which records, per object.

``RULES`` is the rules table (docs/permissions.md shows the same table): for
each role and record type, the actions it may take and the *scope* of objects
each action reaches. Model-level rights come from the role's group
(``records.roles.ROLE_PERMISSIONS`` is derived from ``RULES``); object-level
rights are django-guardian permissions that services grant and revoke:

- ``records.manage_department`` on a Department: a registrar's departments;
- ``records.manage_all_departments`` (model level): an institute-wide registrar;
- ``records.take_attendance`` / ``records.enter_marks`` on a ClassRoutine: the
  slot's teacher, and (attendance only) the class group's captains.

``RecordPermissionPolicy`` is registered with Wagtail for every record model;
the admin views, exports, document downloads, entry screens (and the API and
dashboards of later issues) all ask it. There is no second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies.base import ModelPermissionPolicy

from .roles import Role

# --- The rules table ----------------------------------------------------------------

# Scopes: which objects an action reaches.
ALL = "all"  # every object
DEPARTMENTS = "departments"  # objects of the departments the user manages
TEACHING = "teaching"  # objects of the departments the user teaches in
OWN_CLASSES = (
    "own_classes"  # attendance/marks/routines of the slots assigned to the user
)
OWN = "own"  # the user's own profile

SCOPE_LABELS = {
    ALL: _("everything"),
    DEPARTMENTS: _("their departments (or all, if institute-wide)"),
    TEACHING: _("the departments they teach in"),
    OWN_CLASSES: _("the classes assigned to them"),
    OWN: _("their own profile"),
}

# Actions: the four Django permissions plus export and history, which need "view".
VIEW, ADD, CHANGE, DELETE, EXPORT, HISTORY = (
    "view",
    "add",
    "change",
    "delete",
    "export",
    "history",
)
TAKE_ATTENDANCE, ENTER_MARKS = "take_attendance", "enter_marks"
ACTIONS = (VIEW, ADD, CHANGE, DELETE, EXPORT, HISTORY)
BASE_ACTION = {EXPORT: VIEW, HISTORY: VIEW}

RECORD_TYPES = (
    "department",
    "academicsession",
    "subject",
    "teacher",
    "student",
    "alumni",
    "document",
    "classroutine",
    "attendancerecord",
    "marksrecord",
    "activitylog",
)


def _every(scope: str, actions=ACTIONS) -> dict[str, str]:
    return dict.fromkeys(actions, scope)


_READ = (VIEW, EXPORT, HISTORY)
# The activity log is read and exported, never added to, changed or deleted
# through the product (entries are written by the services, pruned by age).
_LOG_READ = (VIEW, EXPORT)
_REGISTRAR_RECORDS = (
    "subject",
    "teacher",
    "student",
    "alumni",
    "document",
    "classroutine",
    "attendancerecord",
    "marksrecord",
)

RULES: dict[str, dict[str, dict[str, str]]] = {
    Role.INSTITUTE_HEAD: {
        **{record: _every(ALL) for record in RECORD_TYPES},
        "classroutine": {**_every(ALL), TAKE_ATTENDANCE: ALL, ENTER_MARKS: ALL},
        "activitylog": _every(ALL, _LOG_READ),
    },
    Role.REGISTRAR: {
        "department": _every(DEPARTMENTS, _READ),
        "academicsession": _every(ALL, _READ),
        **{record: _every(DEPARTMENTS) for record in _REGISTRAR_RECORDS},
        "classroutine": {
            **_every(DEPARTMENTS),
            TAKE_ATTENDANCE: DEPARTMENTS,
            ENTER_MARKS: DEPARTMENTS,
        },
        "activitylog": _every(DEPARTMENTS, _LOG_READ),
    },
    Role.TEACHER: {
        "department": _every(TEACHING, _READ),
        "academicsession": _every(ALL, _READ),
        "subject": _every(TEACHING, _READ),
        "classroutine": {
            **_every(TEACHING, _READ),
            TAKE_ATTENDANCE: OWN_CLASSES,
            ENTER_MARKS: OWN_CLASSES,
        },
        "student": _every(TEACHING, _READ),
        "teacher": {**_every(TEACHING, _READ), CHANGE: OWN},
        "attendancerecord": _every(OWN_CLASSES, (VIEW, ADD, CHANGE, EXPORT, HISTORY)),
        "marksrecord": _every(OWN_CLASSES, (VIEW, ADD, CHANGE, EXPORT, HISTORY)),
    },
    # Students and captains have no back-office access: they see their own
    # records in the portal; captains take attendance for their class group.
    Role.CAPTAIN: {"classroutine": {TAKE_ATTENDANCE: OWN_CLASSES}},
    Role.STUDENT: {},
}

# Head and registrar also manage accounts (Wagtail's user screens).
USER_RIGHTS = {
    Role.INSTITUTE_HEAD: (VIEW, ADD, CHANGE),
    Role.REGISTRAR: (VIEW,),
}


def model_permissions_for_role(role: str) -> list[str]:
    """The Django model permissions a role's group holds, derived from RULES."""
    perms = set()
    for record, actions in RULES.get(role, {}).items():
        for action in actions:
            base = BASE_ACTION.get(action, action)
            if base in (VIEW, ADD, CHANGE, DELETE):
                perms.add(f"records.{base}_{record}")
    for action in USER_RIGHTS.get(role, ()):
        perms.add(f"records.{action}_user")
    if role == Role.INSTITUTE_HEAD:
        perms.add("records.manage_all_departments")
    if role in (Role.TEACHER, Role.REGISTRAR, Role.INSTITUTE_HEAD):
        perms.add("wagtailadmin.access_admin")
    return sorted(perms)


# --- Where each record type sits in a department ----------------------------------

DEPARTMENT_PATH = {
    "department": "pk",
    "academicsession": None,
    "subject": "department",
    "teacher": "department",
    "student": "department",
    "classroutine": "department",
    "alumni": "student__department",
    "document": "student__department",
    "attendancerecord": "student__department",
    "marksrecord": "student__department",
    "activitylog": "department",
}


# --- Scopes -------------------------------------------------------------------------


@dataclass(frozen=True)
class UserScope:
    """What one user reaches, computed once per request and cached on the user."""

    all_departments: bool
    managed_departments: frozenset[int]
    teaching_departments: frozenset[int]
    attendance_routines: frozenset[int]
    marks_routines: frozenset[int]
    # (subject id, shift, session id) of the routines above: the class group
    # of each slot (the subject fixes department and semester).
    attendance_classes: frozenset[tuple[int, str, int]]
    marks_classes: frozenset[tuple[int, str, int]]
    teacher_id: int | None


def _guardian_ids(user, perm: str, model) -> set[int]:
    from guardian.shortcuts import get_objects_for_user

    return set(
        get_objects_for_user(
            user, perm, klass=model, with_superuser=False, accept_global_perms=False
        ).values_list("pk", flat=True)
    )


def user_scope(user) -> UserScope:
    cached = getattr(user, "_campusdesk_scope", None)
    if cached is not None:
        return cached
    from .models import ClassRoutine, Department

    if not (user.is_authenticated and user.is_active):
        scope = UserScope(
            False,
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            None,
        )
    else:
        all_departments = user.is_superuser or user.has_perm(
            "records.manage_all_departments"
        )
        managed = (
            set()
            if all_departments
            else _guardian_ids(user, "records.manage_department", Department)
        )
        attendance = _guardian_ids(user, "records.take_attendance", ClassRoutine)
        marks = _guardian_ids(user, "records.enter_marks", ClassRoutine)
        try:
            teacher = user.teacher_profile
        except Exception:  # no Teacher linked (RelatedObjectDoesNotExist)
            teacher = None
        teaching: set[int] = set()
        classes = {
            routine_id: (subject_id, shift, session_id, department_id)
            for routine_id, subject_id, shift, session_id, department_id in (
                ClassRoutine.objects.filter(pk__in=attendance | marks).values_list(
                    "pk", "subject_id", "shift", "session_id", "department_id"
                )
            )
        }
        if teacher is not None:
            teaching.add(teacher.department_id)
            teaching.update(
                c[3] for rid, c in classes.items() if rid in marks | attendance
            )
        scope = UserScope(
            all_departments=all_departments,
            managed_departments=frozenset(managed),
            teaching_departments=frozenset(teaching),
            attendance_routines=frozenset(attendance),
            marks_routines=frozenset(marks),
            attendance_classes=frozenset(classes[r][:3] for r in attendance),
            marks_classes=frozenset(classes[r][:3] for r in marks),
            teacher_id=teacher.pk if teacher is not None else None,
        )
    user._campusdesk_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope (after grants change within one request or test)."""
    if hasattr(user, "_campusdesk_scope"):
        del user._campusdesk_scope


NOTHING = Q(pk__in=[])


def _departments_q(record: str, ids) -> Q:
    path = DEPARTMENT_PATH[record]
    if path is None:
        return Q()
    return Q(**{f"{path}__in": sorted(ids)})


def _classes_q(record: str, classes, routines) -> Q:
    if record == "classroutine":
        return Q(pk__in=sorted(routines)) if routines else NOTHING
    if record in ("attendancerecord", "marksrecord"):
        q = NOTHING
        for subject_id, shift, session_id in sorted(classes):
            q |= Q(
                subject_id=subject_id,
                student__shift=shift,
                student__session_id=session_id,
            )
        return q
    return NOTHING


def scope_q(user, record: str, action: str) -> Q | None:
    """The filter of the objects ``action`` reaches, or None when it reaches nothing."""
    if user.is_superuser and user.is_active:
        return Q()
    role = getattr(user, "role", None)
    scope_name = RULES.get(role, {}).get(record, {}).get(action)
    if scope_name is None:
        return None
    scope = user_scope(user)
    if scope_name == ALL:
        return Q()
    if scope_name == DEPARTMENTS:
        if scope.all_departments:
            return Q()
        return _departments_q(record, scope.managed_departments)
    if scope_name == TEACHING:
        return _departments_q(record, scope.teaching_departments)
    if scope_name == OWN_CLASSES:
        if action == ENTER_MARKS or record == "marksrecord":
            return _classes_q(record, scope.marks_classes, scope.marks_routines)
        return _classes_q(record, scope.attendance_classes, scope.attendance_routines)
    if scope_name == OWN:
        if record == "teacher":
            return Q(pk=scope.teacher_id) if scope.teacher_id else NOTHING
        if record == "student":
            return Q(user=user)
    return None


def _record_name(model) -> str:
    return model._meta.model_name


def scope_queryset(user, queryset: QuerySet, action: str = VIEW) -> QuerySet:
    q = scope_q(user, _record_name(queryset.model), action)
    if q is None:
        return queryset.none()
    return queryset.filter(q) if q else queryset


def user_can(user, action: str, instance) -> bool:
    """May ``user`` take ``action`` on this object? The one question every screen asks."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    record = _record_name(type(instance))
    base = BASE_ACTION.get(action, action)
    if base in (VIEW, ADD, CHANGE, DELETE) and not user.has_perm(
        f"records.{base}_{record}"
    ):
        return False
    q = scope_q(user, record, action)
    if q is None:
        return False
    if not q:
        return True
    if instance.pk is None:
        return _unsaved_in_scope(user, record, action, instance)
    return type(instance)._default_manager.filter(q, pk=instance.pk).exists()


def _department_of(record: str, instance) -> int | None:
    path = DEPARTMENT_PATH[record]
    if path is None:
        return None
    if path == "pk":
        return instance.pk
    target = instance
    parts = path.split("__")
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)


def user_can_place(user, action: str, instance) -> bool:
    """Would this object, with its values as they are now, sit inside the scope?

    Used before saving a new or edited object, so a registrar cannot move a
    student into a department they do not manage.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    record = _record_name(type(instance))
    if scope_q(user, record, action) is None:
        return False
    return _unsaved_in_scope(user, record, action, instance)


def _unsaved_in_scope(user, record: str, action: str, instance) -> bool:
    """Scope check of an object being created (it has no row to filter yet)."""
    scope_name = RULES.get(user.role, {}).get(record, {}).get(action)
    scope = user_scope(user)
    if scope_name == ALL or (scope_name == DEPARTMENTS and scope.all_departments):
        return True
    if scope_name in (DEPARTMENTS, TEACHING):
        ids = (
            scope.managed_departments
            if scope_name == DEPARTMENTS
            else scope.teaching_departments
        )
        return _department_of(record, instance) in ids
    if scope_name == OWN and record == "teacher":
        # Their own profile, and they cannot move it to another department
        # (that would widen what they see).
        from .models import Teacher

        return (
            instance.pk is not None
            and instance.pk == scope.teacher_id
            and Teacher.objects.filter(
                pk=instance.pk, department_id=instance.department_id
            ).exists()
        )
    if scope_name == OWN_CLASSES and record in ("attendancerecord", "marksrecord"):
        classes = (
            scope.marks_classes if record == "marksrecord" else scope.attendance_classes
        )
        student = getattr(instance, "student", None)
        return (
            student is not None
            and (
                instance.subject_id,
                student.shift,
                student.session_id,
            )
            in classes
        )
    return False


class RecordPermissionPolicy(ModelPermissionPolicy):
    """Wagtail's model policy, narrowed to the user's scope for objects."""

    def user_has_permission(self, user, action):
        if user.is_active and user.is_superuser:
            return True
        record = _record_name(self.model)
        if action in (VIEW, ADD, CHANGE, DELETE) and not (
            RULES.get(getattr(user, "role", None), {}).get(record, {}).get(action)
        ):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return user_can(user, action, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = self.model._default_manager.all()
        q = None
        for action in actions:
            if not self.user_has_permission(user, BASE_ACTION.get(action, action)):
                continue
            action_q = scope_q(user, _record_name(self.model), action)
            if action_q is None:
                continue
            if not action_q:
                return queryset
            q = action_q if q is None else q | action_q
        return queryset.filter(q) if q is not None else queryset.none()


# --- Helpers used by views ------------------------------------------------------------


def user_can_view_student(user, student) -> bool:
    if user.is_authenticated and student.user_id == user.pk:
        return True
    return user_can(user, VIEW, student)


def user_can_view_document(user, document) -> bool:
    student = document.student
    if user.is_authenticated and student is not None and student.user_id == user.pk:
        return True
    return user_can(user, VIEW, document)


def user_can_take_attendance(user, routine) -> bool:
    return user_can(user, TAKE_ATTENDANCE, routine)


def routines_for_attendance(user, queryset: QuerySet) -> QuerySet:
    return scope_queryset(user, queryset, TAKE_ATTENDANCE)


def routines_for_marks(user, queryset: QuerySet) -> QuerySet:
    return scope_queryset(user, queryset, ENTER_MARKS)
